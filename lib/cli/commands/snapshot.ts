/**
 * `snapshot --out FILE` (CONTRACT.md sections 1 and 5): the live project read whole (every
 * endpoint service, connection and whitelist record, every page) into a simulator state file, so
 * `simulator --state FILE` serves an exact copy a policy change can be rehearsed on. The file is
 * written to a temporary file created 0600 in the target's folder and renamed into place; a
 * listing that fails leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';

import { collect } from '../../collect';
import { createReadClient } from '../../deps';
import { UsageError } from '../../errors';
import type { Connection, EndpointService, WhitelistRecord } from '../../model';
import {
  definedFields,
  parseSimulatorState,
  type ConnectionState,
  type PermissionState,
  type ServiceState,
  type SimulatorStateInput,
} from '../../simulator/state';
import type { VpcepClient } from '../../vpcep/client';
import { addApiOptions, ApiOptions, loadApiConfig, runPacing, stderrLogger } from '../api-options';
import { CliContext } from '../context';

type SnapshotService = SimulatorStateInput['services'] extends (infer S)[] | undefined ? S : never;
type SnapshotConnection = NonNullable<SnapshotService['connections']>[number];
type SnapshotPermission = NonNullable<SnapshotService['permissions']>[number];

/** The fields of a service (4.2.5) the state file holds, besides its id and its lists. */
const SERVICE_FIELDS = [
  'service_name',
  'approval_enabled',
  'status',
  'server_type',
  'service_type',
  'vpc_id',
  'port_id',
  'ports',
  'tcp_proxy',
  'created_at',
  'updated_at',
  'error',
] as const satisfies readonly (keyof ServiceState & keyof EndpointService)[];

/**
 * A connection as 4.2.6 lists it. Its `description` (the newer API's) is carried when the client
 * keeps it; the other details of CONNECTION_DETAILS are the consumer's (4.3), never listed here.
 */
type ListedConnection = Connection & Partial<Pick<ConnectionState, 'description'>>;

/** The fields of a connection (4.2.6) the state file holds, besides its id and domain. */
const CONNECTION_FIELDS = [
  'status',
  'marker_id',
  'created_at',
  'updated_at',
  'description',
  'error',
] as const satisfies readonly (keyof ConnectionState & keyof ListedConnection)[];

/** The fields of a whitelist record (4.2.8) the state file holds, besides its id and permission. */
const PERMISSION_FIELDS = ['description', 'created_at'] as const satisfies readonly (keyof PermissionState &
  keyof WhitelistRecord)[];

/** A line on stderr every this many services, and every this many connections, while reading. */
const PROGRESS_SERVICES = 50;
const PROGRESS_CONNECTIONS = 10_000;

/** What a snapshot read so far, reported on stderr as it goes. */
class Progress {
  services = 0;
  connections = 0;
  permissions = 0;
  private lastConnections = 0;

  constructor(
    private readonly ctx: CliContext,
    readonly total: number,
  ) {}

  connectionRead(): void {
    this.connections++;
    if (this.connections - this.lastConnections >= PROGRESS_CONNECTIONS) this.report();
  }

  serviceRead(permissions: number): void {
    this.services++;
    this.permissions += permissions;
    if (this.services % PROGRESS_SERVICES === 0 || this.services === this.total) this.report();
  }

  private report(): void {
    this.lastConnections = this.connections;
    this.ctx.stderr.write(
      `snapshot: ${this.services}/${this.total} services read, ${this.connections} connections, ` +
        `${this.permissions} whitelist records\n`,
    );
  }
}

/** One service as the state file holds it: its fields as listed, all its connections and records. */
async function readService(client: VpcepClient, s: EndpointService, progress: Progress): Promise<SnapshotService> {
  const connections: SnapshotConnection[] = [];
  const readConnections = async () => {
    for await (const c of client.listConnections(s.id) as AsyncIterable<ListedConnection>) {
      // Values the state file does not admit (a status it does not know) are refused by the check below.
      connections.push({
        id: c.id,
        domain_id: c.domain_id,
        ...definedFields(c, CONNECTION_FIELDS),
      } as SnapshotConnection);
      progress.connectionRead();
    }
  };
  const [, records] = await Promise.all([readConnections(), collect(client.listWhitelist(s.id))]);
  const permissions: SnapshotPermission[] = records.map((r) => ({
    id: r.id,
    permission: r.permission,
    ...definedFields(r, PERMISSION_FIELDS),
  }));
  progress.serviceRead(permissions.length);
  return { id: s.id, ...definedFields(s, SERVICE_FIELDS), connections, permissions } as SnapshotService;
}

/**
 * Reads the whole project through `client` into a state file's content (CONTRACT section 5),
 * checked by the simulator's own parser so the file loads. Any listing that fails throws.
 */
export async function readProjectSnapshot(
  client: VpcepClient,
  projectId: string,
  ctx: CliContext,
): Promise<SimulatorStateInput> {
  const services = await collect(client.listServices());
  ctx.stderr.write(`snapshot: ${services.length} services listed in project ${projectId}\n`);
  const progress = new Progress(ctx, services.length);
  const state: SimulatorStateInput = { project_id: projectId, services: [] };
  for (const s of services) state.services!.push(await readService(client, s, progress));
  parseSimulatorState(state, `the snapshot of project ${projectId}`);
  return state;
}

/**
 * Writes `text` to `path` through a temporary file in the same folder, created with mode 0600
 * (flags 'wx': a new file, never one that was there), then renamed over `path`. On any failure
 * the temporary file is removed and `path` is left as it was.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new UsageError(`--out ${path}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * `--out` names a file that can be written: not empty, not `-` (a file is written, never stdout:
 * the state holds account ids), not a folder, in a folder that can be written. A symlink there is
 * replaced by the file, its target left alone.
 */
async function checkOutPath(out: string): Promise<void> {
  if (out.trim() === '' || out === '-')
    throw new UsageError(`--out ${JSON.stringify(out)} is not a file name: the snapshot is written to a file`);
  const existing = await lstat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--out ${out}: is a folder; name the file to write`);
  await access(dirname(out), constants.W_OK).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--out ${out}: its folder cannot be written (${err.code ?? 'error'})`);
  });
}

/** `snapshot --out FILE`: the live project as a simulator state file. */
export function registerSnapshot(program: Command, ctx: CliContext): void {
  addApiOptions(
    program
      .command('snapshot')
      .description(
        'read the live project into a simulator state file, to rehearse a change on (simulator --state FILE)',
      )
      .requiredOption('--out <file>', 'the state file to write (replaced whole, mode 0600)')
      .addHelpText(
        'after',
        '\nReads every endpoint service of the project (4.2.5), every connection (4.2.6) and every whitelist\n' +
          "record (4.2.8) of each, all pages. The file holds the project id and its consumers' account (domain)\n" +
          'ids: keep it as you keep other records of the account. It is written to a temporary file created\n' +
          "with mode 0600 in the file's folder and renamed into place; if any page fails, nothing is written.\n" +
          'Progress goes to stderr.\n',
      ),
  ).action(async (options: ApiOptions & { out: string }) => {
    const { connection, limits } = loadApiConfig(options, ctx);
    // Refused before a long read, not after it.
    await checkOutPath(options.out);
    const client = createReadClient({ ...connection, logger: stderrLogger(ctx), ...runPacing(limits) });
    const state = await readProjectSnapshot(client, connection.projectId, ctx);
    await writePrivateFile(options.out, `${JSON.stringify(state, null, 2)}\n`);
    const connections = state.services!.reduce((n, s) => n + (s.connections?.length ?? 0), 0);
    ctx.stderr.write(
      `snapshot: wrote ${options.out} (${state.services!.length} services, ${connections} connections)\n`,
    );
  });
}
