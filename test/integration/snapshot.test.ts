/**
 * `snapshot --out FILE` end to end: the real CLI reads a simulator serving the demo state, over
 * signed HTTP, into a state file; a second simulator started on that file is an exact copy (the
 * same plan), and a listing page that fails leaves nothing behind.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';

import { writePrivateFile } from '../../lib/cli/commands/snapshot';
import { Simulator } from '../../lib/simulator';
import { parseSimulatorState, SimulatorStateInput } from '../../lib/simulator/state';
import { runCaptured } from '../support/capture';
import { forward, listen, TestServer } from '../support/http-server';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

const AK = 'TESTAKSNAPSHOT000001';
const SK = 'test-secret-key-snapshot';
const DEMO_STATE = 'policies/examples/demo-state.json';
const DEMO_POLICY = 'policies/examples/demo-policy.yaml';

const files = tempFiles('vpcep-snapshot-');
const start = simulatorPerTest();

async function demoState(): Promise<SimulatorStateInput> {
  return JSON.parse(await readFile(DEMO_STATE, 'utf8')) as SimulatorStateInput;
}

/** `records` sorted by id (a copy). */
function byId<T extends { id: string }>(records: T[]): T[] {
  return [...records].sort((a, b) => a.id.localeCompare(b.id));
}

/** The services of `sim` in a fixed order (each with its lists in a fixed order), to compare two copies. */
function servicesOf(sim: Simulator) {
  return byId(sim.state().services).map((s) => ({
    ...s,
    connections: byId(s.connections),
    permissions: byId(s.permissions),
  }));
}

/** Snapshots `original` into `name` and starts a second simulator on that file. */
async function snapshotCopy(original: Simulator, name: string) {
  const out = files.path(name);
  const snap = await runCaptured(['snapshot', '--out', out], apiEnv(original, { ak: AK, sk: SK }));
  expect(snap).toMatchObject({ code: 0, out: '' });
  const copy = await start({
    state: JSON.parse(await readFile(out, 'utf8')) as SimulatorStateInput,
    credentials: { ak: AK, sk: SK },
  });
  return { copy, err: snap.err };
}

/**
 * A project with what the demo lacks: a failed service and connection with their error lists,
 * a record the policy does not govern, a gateway service, a project id of its own.
 */
const UNUSUAL_STATE: SimulatorStateInput = {
  project_id: 'p-snapshot-0001',
  services: [
    {
      id: 'svc-failed',
      service_name: 'broken',
      status: 'failed',
      error: [{ error_code: 'EndPoint.0100', error_message: 'backend gone' }],
      connections: [
        { id: 'ep-failed', status: 'failed', error: [{ error_code: 'EndPoint.0200', error_message: 'no route' }] },
      ],
    },
    {
      id: 'svc-gateway',
      service_type: 'gateway',
      server_type: 'VIP',
      tcp_proxy: 'proxy_vni',
      approval_enabled: false,
      ports: [{ client_port: 53, server_port: 5353, protocol: 'TCP' }],
      connections: [
        { id: 'ep-rejected', status: 'rejected', marker_id: 42 },
        { id: 'ep-described', status: 'accepted', description: 'vpcep-approver: accepted, rule payments, run r-1' },
      ],
      permissions: [
        { id: 'perm-org', permission: 'organizations:orgPath::o-1/r-2', description: 'whole org' },
        { id: 'perm-padded', permission: ' iam:domain::5fc973eea581490997e82ea11a1df31f ' },
      ],
    },
  ],
};

describe('vpcep-approver snapshot', () => {
  it('copies the demo project exactly: a second simulator on the file plans the same', async () => {
    const original = await start({ state: await demoState(), credentials: { ak: AK, sk: SK } });
    const { copy, err } = await snapshotCopy(original, 'exact.json');
    expect(err).toContain('snapshot: 3/3 services read, 10 connections, 4 whitelist records');

    // Every service, connection and whitelist record, with every field the state holds (in the
    // order the API lists them, which the simulator keeps for itself).
    const expected = servicesOf(original).map((s) => ({
      ...s,
      permissions: s.permissions.map((p) => ({ description: '', ...p })), // 4.2.8 lists an absent one as ""
    }));
    expect(servicesOf(copy)).toEqual(expected);
    expect(copy.projectId).toBe(original.projectId);

    for (const scope of ['sweep', 'compliance']) {
      const plan = (sim: Simulator) =>
        runCaptured(['plan', '--policy', DEMO_POLICY, '--scope', scope, '--json'], apiEnv(sim, { ak: AK, sk: SK }));
      const [before, after] = [await plan(original), await plan(copy)];
      expect(before.code).toBe(0);
      expect(JSON.parse(before.out)).toMatchObject({ actions: expect.arrayContaining([expect.anything()]) });
      expect(after.out).toBe(before.out);
    }
  });

  it('carries failed records with their errors, connection descriptions, ungoverned records and the project id', async () => {
    const original = await start({ state: UNUSUAL_STATE, credentials: { ak: AK, sk: SK } });
    const { copy } = await snapshotCopy(original, 'unusual.json');
    const expected = servicesOf(original).map((s) => ({
      ...s,
      permissions: s.permissions.map((p) => ({ description: '', ...p })),
    }));
    expect(servicesOf(copy)).toEqual(expected);
    expect(copy.projectId).toBe('p-snapshot-0001');
  });

  it('writes the file with mode 0600 and replaces one already there', async () => {
    const sim = await start({ state: await demoState() });
    const out = files.path('private.json');
    await writeFile(out, 'old\n', { mode: 0o644 });
    const snap = await runCaptured(['snapshot', '--out', out], apiEnv(sim, { ak: AK, sk: SK }));
    expect(snap.code).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(parseSimulatorState(JSON.parse(await readFile(out, 'utf8')), out).services).toHaveLength(3);
  });

  describe('when a page fails', () => {
    let proxy: TestServer | undefined;
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });

    it('writes nothing: the file already there is left as it was, and no temporary file remains', async () => {
      const sim = await start({ state: await demoState() });
      const services = sim.state().services;
      const last = services[services.length - 1]!.id;
      // The whitelist of the last service read fails for good (403 is not retried).
      proxy = await listen((req) =>
        req.path.endsWith(`/vpc-endpoint-services/${last}/permissions`)
          ? { status: 403, body: { error_code: 'APIGW.0302', error_msg: 'The IAM or ACL policy denies access.' } }
          : forward(req, sim.url),
      );
      const dir = files.path('failing');
      await mkdir(dir);
      const out = `${dir}/state.json`;
      await writeFile(out, 'kept\n');

      const snap = await runCaptured(['snapshot', '--out', out], {
        ...apiEnv(sim, { ak: AK, sk: SK }),
        VPCEP_ENDPOINT: proxy.url,
      });
      expect(snap.code).toBe(1);
      expect(snap.err).toMatch(/error: .*403/);
      expect(proxy.seen.some((r) => r.path.endsWith(`/${last}/permissions`))).toBe(true);
      expect(await readdir(dir)).toEqual(['state.json']);
      expect(await readFile(out, 'utf8')).toBe('kept\n');
    });

    it('writes nothing when the services listing fails, and creates no file', async () => {
      proxy = await listen(() => ({ status: 403, body: { error_code: 'APIGW.0302', error_msg: 'denied' } }));
      const dir = files.path('failing-services');
      await mkdir(dir);
      const snap = await runCaptured(['snapshot', '--out', `${dir}/state.json`], {
        VPCEP_ENDPOINT: proxy.url,
        HUAWEICLOUD_SDK_PROJECT_ID: 'p0a1b2c3',
        HUAWEICLOUD_SDK_AK: AK,
        HUAWEICLOUD_SDK_SK: SK,
      });
      expect(snap.code).toBe(1);
      expect(snap.err).toMatch(/error: .*403/);
      expect(await readdir(dir)).toEqual([]);
    });

    it('removes the temporary file when the file cannot be put in place', async () => {
      // The command refuses a folder as --out up front; the writer itself must still clean up
      // when the rename fails (here: a folder appeared at the path).
      const dir = files.path('target-is-a-folder');
      await mkdir(`${dir}/state.json`, { recursive: true });
      await expect(writePrivateFile(`${dir}/state.json`, '{}\n')).rejects.toThrow(
        `--out ${dir}/state.json: cannot write it (EISDIR)`,
      );
      expect(await readdir(dir)).toEqual(['state.json']);
    });
  });

  it('refuses a folder it cannot write before reading anything', async () => {
    const sim = await start({ state: await demoState() });
    const snap = await runCaptured(
      ['snapshot', '--out', files.path('no-such-folder/state.json')],
      apiEnv(sim, { ak: AK, sk: SK }),
    );
    expect(snap.code).toBe(1);
    expect(snap.err).toContain('no-such-folder/state.json: its folder cannot be written (ENOENT)');
    expect(sim.log()).toHaveLength(0);
  });

  it.each([
    ['-', '--out "-" is not a file name'],
    ['', '--out "" is not a file name'],
    ['.', '--out .: is a folder; name the file to write'],
  ])('refuses --out %j before reading anything', async (out, message) => {
    const sim = await start({ state: await demoState() });
    const snap = await runCaptured(['snapshot', '--out', out], apiEnv(sim, { ak: AK, sk: SK }));
    expect(snap.code).toBe(1);
    expect(snap.err).toContain(message);
    expect(sim.log()).toHaveLength(0);
  });

  it('--help says what it reads and that the file holds account ids', async () => {
    const help = await runCaptured(['snapshot', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('every connection (4.2.6)');
    expect(help.out).toMatch(/account \(domain\)\s+ids/);
    expect(help.out).toContain('mode 0600');
  });
});
