/**
 * `npm run bench:endless`: how large the process grows before an endless listing fails under the
 * default bounds (CONTRACT section 1: 100,000 services, 100,000 connections of a service, 10,000
 * whitelist records), against the 512 MB a worker has. A server in this process answers every
 * page of one listing with a full page of new records and no `total_count`, forever; the CLI's
 * `apply` runs against it in a child process, whose peak RSS (VmHWM, read from /proc while it
 * runs) is the figure. One run prints one table:
 *
 *   services       the services listing never ends
 *   connections    one service, whose connections never end
 *   connections16  16 services (the default concurrency), every one's connections never end
 *   connections64  64 services at --concurrency 64 (the most it takes), the same
 *
 * The last two meet the bound of all listings in progress (listBounds.allListings) first.
 *   whitelist      one service, whose whitelist never ends
 *   huge           the services listing never ends, each record with a 15 KB name (15 MB pages,
 *                  each under the 16 MiB response bound): it meets listBounds.allListingsBytes
 *
 *   npm run bench:endless                        # all six
 *   npm run bench:endless -- --only connections  # one case
 *   npm run bench:endless -- --heap 0            # V8's own heap limit instead of 400 MB
 *
 * By default the child runs with --max-old-space-size=400, as a process must in a 512 MB worker:
 * with V8's default limit (a quarter of this machine's 24 GiB) it collects garbage lazily, and
 * its RSS says more about the collector's leisure than about what the run holds.
 * Linux only (/proc). Each case checks that the run failed naming the listing and its bound and
 * still ended with its run.completed event.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { spawnCli } from '../test/support/cli-process';
import { listen, ReceivedRequest } from '../test/support/http-server';

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, heap: { type: 'string', default: '400' } },
});
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const LIMIT_MB = 512;

interface Case {
  name: string;
  /** Services the (honest) services listing holds, or 'endless'. */
  services: number | 'endless';
  /** Which per-service listing never ends. */
  endless?: 'connections' | 'permissions';
  /** What stderr must say. */
  expect: RegExp;
  /** `--concurrency` (default: the CLI's, 16). */
  concurrency?: number;
  /** Characters of each endless service's name (default: the reference's few). */
  nameLength?: number;
}

const CASES: Case[] = [
  { name: 'services', services: 'endless', expect: /listing endpoint services: more than 100000 records/ },
  {
    name: 'connections',
    services: 1,
    endless: 'connections',
    expect: /listing connections of service \S+: more than 100000 records/,
  },
  {
    name: 'connections16',
    services: 16,
    endless: 'connections',
    expect: /listing connections of service \S+: /,
  },
  {
    name: 'connections64',
    services: 64,
    endless: 'connections',
    concurrency: 64,
    expect: /listing connections of service \S+: /,
  },
  {
    name: 'whitelist',
    services: 1,
    endless: 'permissions',
    expect: /listing whitelist of service \S+: more than 10000 records/,
  },
  {
    name: 'huge',
    services: 'endless',
    nameLength: 15_000,
    expect: /listing endpoint services: the listings in progress would hold more than 67108864 bytes of pages/,
  },
];

const uuid = (n: number) => `4189d3c2-8882-4871-a3c2-${String(n).padStart(12, '0')}`;

/** An endpoint service as 4.2.5's example shows one. */
const service = (n: number) => ({
  id: uuid(n),
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  status: 'available',
  approval_enabled: true,
  service_name: `svc-${n}`,
  server_type: 'VM',
  service_type: 'interface',
  ports: [
    { client_port: 8080, server_port: 90, protocol: 'TCP' },
    { client_port: 8081, server_port: 80, protocol: 'TCP' },
  ],
  project_id: PROJECT,
  created_at: '2018-01-30T07:42:01Z',
  updated_at: '2018-01-30T07:42:01Z',
});

/** A connection as 4.2.6's example shows one. */
const connection = (n: number) => ({
  id: uuid(n),
  status: 'pendingAcceptance',
  marker_id: 16777216 + n,
  domain_id: '5fc973eea581490997e82ea11a1df31f',
  created_at: '2018-09-17T11:10:11Z',
  updated_at: '2018-09-17T11:10:12Z',
});

/** A whitelist record as 4.2.8's example shows one. */
const permission = (n: number) => ({
  id: uuid(n),
  permission: 'iam:domain::5fc973eea581490997e82ea11a1df31f',
  description: '',
  created_at: '2018-10-10T12:00:00Z',
});

/** A full page of new records at `offset`, no total_count. */
function page<T>(req: ReceivedRequest, make: (n: number) => T): T[] {
  const offset = Number(req.query.get('offset') ?? 0);
  const limit = Number(req.query.get('limit') ?? 10);
  return Array.from({ length: limit }, (_, i) => make(offset + i));
}

function answer(c: Case, req: ReceivedRequest) {
  const services = `/v1/${PROJECT}/vpc-endpoint-services`;
  if (req.path === services)
    return {
      body:
        c.services === 'endless'
          ? {
              endpoint_services: page(req, (n) => ({
                ...service(n),
                ...(c.nameLength !== undefined && { service_name: 'n'.repeat(c.nameLength) }),
              })),
            }
          : { endpoint_services: Array.from({ length: c.services }, (_, i) => service(i)), total_count: c.services },
    };
  if (req.path.endsWith('/connections'))
    return { body: c.endless === 'connections' ? { connections: page(req, connection) } : { connections: [] } };
  if (req.path.endsWith('/permissions'))
    return { body: c.endless === 'permissions' ? { permissions: page(req, permission) } : { permissions: [] } };
  return { status: 404, body: { error_code: 'APIGW.0101', error_msg: `no route ${req.method} ${req.path}` } };
}

/** Peak resident set (VmHWM) of `pid` in MiB, or undefined once it is gone. */
async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

async function runCase(c: Case, dir: string): Promise<string[]> {
  const server = await listen((req) => answer(c, req));
  const policy = join(dir, 'policy.yaml');
  await writeFile(policy, 'version: 1\nservices:\n  - rule: all\n    match: { name: "*" }\n    allow: []\n');
  const audit = join(dir, `${c.name}.jsonl`);
  const started = Date.now();
  const concurrency = c.concurrency === undefined ? [] : ['--concurrency', String(c.concurrency)];
  const { child, done } = spawnCli(['apply', '--policy', policy, '--audit-file', audit, ...concurrency], {
    VPCEP_ENDPOINT: server.url,
    HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
    HUAWEICLOUD_SDK_AK: 'BENCHENDLESSAK000001',
    HUAWEICLOUD_SDK_SK: 'bench-endless-secret',
    ...(args.heap !== '0' && { NODE_OPTIONS: `--max-old-space-size=${args.heap}` }),
  });
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const mb = await peakRss(child.pid!);
      if (mb !== undefined) peak = Math.max(peak, mb);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await done;
  running = false;
  await sampler;
  const seconds = (Date.now() - started) / 1000;
  await server.close();
  const last = (await readFile(audit, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
  const completed = last.includes('"vpcep.run.completed"');
  const named = c.expect.test(result.stderr);
  const ok = result.code === 1 && named && completed && peak < LIMIT_MB;
  if (!named) process.stderr.write(result.stderr);
  return [
    c.name,
    String(server.seen.length),
    `${peak.toFixed(0)} MiB`,
    `${seconds.toFixed(1)} s`,
    `exit ${result.code}, ${named ? 'bound named' : 'BOUND NOT NAMED'}, ${completed ? 'run.completed' : 'NO run.completed'}`,
    ok ? 'ok' : 'FAIL',
  ];
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('bench:endless reads /proc: Linux only');
  const dir = await mkdtemp(join(tmpdir(), 'vpcep-bench-endless-'));
  const rows: string[][] = [];
  try {
    for (const c of CASES.filter((k) => args.only === undefined || k.name === args.only)) {
      rows.push(await runCase(c, dir));
      process.stderr.write(`${rows.at(-1)!.join(' | ')}\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const heap = args.heap === '0' ? "V8's default heap limit" : `--max-old-space-size=${args.heap}`;
  process.stdout.write(`${heap}\n\n`);
  const header = ['case', 'requests', `peak RSS (limit ${LIMIT_MB} MiB)`, 'wall time', 'end', ''];
  process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
  if (rows.some((r) => r.at(-1) !== 'ok')) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
