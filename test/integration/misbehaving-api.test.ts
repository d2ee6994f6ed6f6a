import { createVpcepClient, CreateVpcepClientOptions } from '../../lib/vpcep/client';
import { createNodeFetch } from '../../lib/vpcep/http';
import { listen, RequestHandler, TestServer } from '../support/http-server';
import { PAYMENTS } from '../support/ids';

/**
 * Answers no honest VPCEP sends (CONTRACT section 1, hardening), from a small server on
 * 127.0.0.1, to the real client over node-fetch: throttling with odd Retry-After values. The
 * client's sleep is injected, so the waits it chose are read, not timed.
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
