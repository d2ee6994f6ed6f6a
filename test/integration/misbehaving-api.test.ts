import { readFile, writeFile } from 'node:fs/promises';
import { ServerResponse } from 'node:http';

import { generateState, Simulator, startSimulator } from '../../lib/simulator';
import { createVpcepClient, CreateVpcepClientOptions } from '../../lib/vpcep/client';
import { createNodeFetch } from '../../lib/vpcep/http';
import { runCaptured } from '../support/capture';
import { forward, listen, RequestHandler, TestServer } from '../support/http-server';
import { PAYMENTS } from '../support/ids';
import { consumerDomains, generatedStatePolicy } from '../support/scenarios';
import { tempFiles } from '../support/simulator';

/**
 * Answers no honest VPCEP sends (CONTRACT section 1, hardening), from a small server on
 * 127.0.0.1: throttling with odd Retry-After values (to the real client over node-fetch, its
 * sleep injected so the waits it chose are read, not timed), listings that never end or whose
 * total_count lies, a body too large to read (to the CLI, as an operator meets them).
 */
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SERVICE = { id: PAYMENTS, service_name: 'payments', approval_enabled: true, status: 'available' };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A client of the test server whose waits are recorded instead of slept. */
async function clientOf(handler: RequestHandler, overrides: Partial<CreateVpcepClientOptions> = {}) {
  server = await listen(handler);
  const sleeps: number[] = [];
  const client = createVpcepClient({
    endpoint: server.url,
    projectId: PROJECT,
    credentials: { ak: 'AKMISBEHAVING000001', sk: 'sk-misbehaving' },
    fetch: createNodeFetch(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  return { client, sleeps, seen: server.seen };
}

describe('throttling with an odd Retry-After', () => {
  it.each(['0', '-1', 'Thu, 01 Jan 1970 00:00:00 GMT', 'soon'])(
    'Retry-After %j never shortens the backoff',
    async (retryAfter) => {
      const { client, sleeps, seen } = await clientOf(() =>
        server!.seen.length <= 4
          ? { status: 429, headers: { 'Retry-After': retryAfter }, body: { error_code: 'APIGW.0308' } }
          : { body: SERVICE },
      );
      await expect(client.getService(PAYMENTS)).resolves.toMatchObject({ id: PAYMENTS });
      expect(seen).toHaveLength(5);
      // The throttling backoff (random 0.5 of 500 ms doubling), as if no Retry-After were sent.
      expect(sleeps).toEqual([250, 500, 1000, 2000]);
    },
  );

  it('a valid Retry-After lengthens the wait, up to 20 s, on a 429 and on a 503', async () => {
    const answers = [
      { status: 429, headers: { 'Retry-After': '3' }, body: { error_code: 'APIGW.0308' } },
      { status: 503, headers: { 'Retry-After': '2' }, body: 'busy' },
      { status: 429, headers: { 'Retry-After': '86400' }, body: { error_code: 'APIGW.0308' } },
    ];
    const { client, sleeps } = await clientOf(() => answers.shift() ?? { body: SERVICE });
    await client.getService(PAYMENTS);
    expect(sleeps).toEqual([3000, 2000, 20_000]);
  });
});

const files = tempFiles('vpcep-misbehaving-');
const AUTH = { HUAWEICLOUD_SDK_AK: 'AKMISBEHAVING000001', HUAWEICLOUD_SDK_SK: 'sk-misbehaving' };

/** Runs the CLI against the test server. */
function cli(args: string[], projectId = PROJECT) {
  return runCaptured(args, { VPCEP_ENDPOINT: server!.url, HUAWEICLOUD_SDK_PROJECT_ID: projectId, ...AUTH });
}

/** `n` endpoint services from number `from` on, as 4.2.5 lists them. */
function services(n: number, from: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(from + i).padStart(12, '0')}`,
    service_name: `svc-${from + i}`,
    approval_enabled: true,
    status: 'available',
  }));
}

describe('bounded reading', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('a whitelist listing that never ends fails that service, naming the listing and its bound; the others are reviewed and the run ends with its events', async () => {
    const state = generateState({ services: 2, connectionsPerService: 1, pendingRatio: 1, domains: 2, seed: 3 });
    const [endless, honest] = state.services.map((s) => s.id) as [string, string];
    sim = await startSimulator({ state });
    // Full pages of new records, and no total_count, for as long as they are asked for.
    server = await listen((req) =>
      req.method === 'GET' && req.path === `/v1/${state.project_id}/vpc-endpoint-services/${endless}/permissions`
        ? {
            body: {
              permissions: Array.from({ length: 500 }, (_, i) => ({
                id: `perm-${Number(req.query.get('offset') ?? 0) + i}`,
                permission: `iam:domain::${'a'.repeat(32)}`,
              })),
            },
          }
        : forward(req, sim!.url),
    );
    const policy = files.path('allow-all.yaml');
    await writeFile(policy, generatedStatePolicy(state, { allow: consumerDomains(state) }));
    const audit = files.path('endless.jsonl');

    const run = await cli(['apply', '--policy', policy, '--audit-file', audit], state.project_id);

    expect(run.code).toBe(1);
    expect(run.err).toContain(
      `error: ${endless}: VPCEP_LISTING_BOUND: listing whitelist of service ${endless}: more than 10000 records, the bound (listBounds.whitelist, whitelist records of one service)`,
    );
    const pages = server.seen.filter((r) => r.path.endsWith(`${endless}/permissions`));
    expect(pages).toHaveLength(21);
    const status = (id: string) => sim!.state().services.find((s) => s.id === id)!.connections[0]!.status;
    expect(status(honest)).toBe('accepted');
    expect(status(endless)).toBe('pendingAcceptance');
    const events = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    expect(events.filter((e) => e.type === 'vpcep.connection.accept').map((e) => e.data.outcome)).toEqual([
      'succeeded',
    ]);
    expect(events.at(-1)!.type).toBe('vpcep.run.completed');
  });

  it('a total_count that grows by more than a page between two pages fails the listing', async () => {
    server = await listen((req) => {
      const offset = Number(req.query.get('offset') ?? 0);
      return { body: { endpoint_services: services(1000, offset), total_count: offset === 0 ? 1500 : 9000 } };
    });
    const run = await cli(['services']);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'listing endpoint services: total_count grew from 1500 (page at offset 0) to 9000 (page at offset 1000), more than a page (1000) between two pages; the count cannot be trusted',
    );
    expect(server.seen).toHaveLength(2);
  });

  it('an endless listing of huge records, each page under the response bound, fails at the bound of the bytes held', async () => {
    // 1,000 services a page, each with a 15 KB name: 15 MB pages, each under 16 MiB, never ending.
    const name = 'n'.repeat(15_000);
    server = await listen((req) => {
      const offset = Number(req.query.get('offset') ?? 0);
      return { body: { endpoint_services: services(1000, offset).map((s) => ({ ...s, service_name: name })) } };
    });
    const run = await cli(['services']);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'listing endpoint services: the listings in progress would hold more than 67108864 bytes of pages together, the bound (listBounds.allListingsBytes, bytes of the pages of all listings in progress at once); stopping at offset 4000',
    );
    expect(server.seen).toHaveLength(5);
  });

  it('a response body over 16 MiB is refused before parsing, and its connection dropped', async () => {
    const sent = { bytes: 0 };
    let closed: (early: boolean) => void;
    const closedEarly = new Promise<boolean>((resolve) => (closed = resolve));
    const total = 300 * 1024 * 1024;
    /** 300 MB of one listing page, written as fast as the client reads it, until it hangs up. */
    const stream = (res: ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.from(`${JSON.stringify(services(100, 0)).slice(1, -1)},`);
      res.write('{"endpoint_services":[');
      const more = () => {
        while (sent.bytes < total) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('{}]}');
      };
      res.on('close', () => closed(!res.writableFinished));
      more();
      return undefined;
    };
    server = await listen((_, res) => stream(res));
    const run = await cli(['services']);
    expect(run.code).toBe(1);
    expect(run.err).toContain("the response body is larger than 16 MiB, the client's bound; refused before parsing");
    expect(server.seen).toHaveLength(1);
    expect(await closedEarly).toBe(true);
    expect(sent.bytes).toBeLessThan(total);
  });
});
