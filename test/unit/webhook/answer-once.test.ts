import { claimOnce, MAX_KEPT_ANSWER_BYTES, OnceClaim, WEBHOOK_RECORD_KEEP_MS } from '../../../lib/webhook/answer-once';
import { createMemoryWebhookRequestStore, webhookRecordKey } from '../../../lib/webhook/request-store';

const T0 = Date.UTC(2026, 11, 2, 18, 0, 0);
const SIG = `sha256=${'ab'.repeat(32)}`;

function setup() {
  let nowMs = T0;
  const clock = () => new Date(nowMs);
  const store = createMemoryWebhookRequestStore({ clock });
  const claim = (runId: string, untilSeconds = 35, signature = SIG) =>
    claimOnce(store, { signature, runId, now: clock(), until: new Date(nowMs + untilSeconds * 1000) });
  return { store, clock, claim, advance: (ms: number) => (nowMs += ms) };
}

function claimed(result: OnceClaim): Extract<OnceClaim, { claimed: true }> {
  if (!result.claimed) throw new Error(`expected a claim, got ${result.answer.statusCode} ${result.answer.body}`);
  return result;
}
function answered(result: OnceClaim) {
  if (result.claimed) throw new Error('expected an answer, got a claim');
  return { ...result.answer, json: JSON.parse(result.answer.body) as Record<string, unknown> };
}

describe('claimOnce()', () => {
  it('lets the first copy review; a copy meanwhile gets 409 in_progress with Retry-After', async () => {
    const { claim, advance } = setup();
    claimed(await claim('run-1', 35));
    advance(10_000);
    const copy = answered(await claim('run-2'));
    expect(copy.statusCode).toBe(409);
    expect(copy.headers['retry-after']).toBe('25');
    expect(copy.json).toEqual({
      error: 'in_progress',
      message: 'a copy of this request is being reviewed by run run-1; retry after 25 s for its answer',
    });
  });

  it('gives every later copy the first answer, for 660 s', async () => {
    const { claim, clock, advance } = setup();
    const first = claimed(await claim('run-1'));
    const answer = { statusCode: 200, body: JSON.stringify({ run_id: 'run-1', actions: [], left_pending: [] }) };
    expect(await first.finish(answer, clock())).toBe(true);
    advance(WEBHOOK_RECORD_KEEP_MS);
    expect(answered(await claim('run-2'))).toMatchObject({
      ...answer,
      headers: { 'content-type': 'application/json' },
    });
    expect(WEBHOOK_RECORD_KEEP_MS).toBeGreaterThanOrEqual(660_000);
    // Past the keeping time the timestamp is stale anyway (verifyWebhook refuses it first).
    advance(1);
    claimed(await claim('run-3'));
  });

  it('keeps other answers too: a 404 or a 502 is the answer every copy gets', async () => {
    const { claim, clock } = setup();
    const answer = {
      statusCode: 502,
      body: '{"run_id":"run-1","actions":[],"left_pending":[],"failures":[{"service_id":"s"}]}',
    };
    await claimed(await claim('run-1')).finish(answer, clock());
    expect(answered(await claim('run-2'))).toMatchObject(answer);
  });

  it('answers 401 (replayed) when the first answer was too large to keep', async () => {
    const { claim, clock } = setup();
    await claimed(await claim('run-1')).finish(
      { statusCode: 200, body: `"${'x'.repeat(MAX_KEPT_ANSWER_BYTES)}"` },
      clock(),
    );
    const copy = answered(await claim('run-2'));
    expect(copy.statusCode).toBe(401);
    expect(copy.json).toEqual({
      error: 'unauthorized',
      message:
        'this signature was already used (replayed request, reviewed by run run-1); sign again with a new timestamp',
    });
  });

  it('lets a copy review once the first claim lapsed (a crashed review), and the stale holder can no longer finish', async () => {
    const { claim, clock, advance } = setup();
    const crashed = claimed(await claim('run-1', 35));
    advance(35_000);
    expect(answered(await claim('run-2')).statusCode).toBe(409);
    advance(1);
    const retry = claimed(await claim('run-2'));
    expect(await crashed.finish({ statusCode: 200, body: '{"run_id":"run-1"}' }, clock())).toBe(false);
    expect(await retry.finish({ statusCode: 200, body: '{"run_id":"run-2"}' }, clock())).toBe(true);
    expect(answered(await claim('run-3')).body).toBe('{"run_id":"run-2"}');
  });

  it('keeps no 409 (the service was leased, nothing was done): the same request retried is reviewed', async () => {
    const { claim, clock } = setup();
    const first = claimed(await claim('run-1'));
    expect(await first.finish({ statusCode: 409, body: '{"error":"service_leased"}' }, clock())).toBe(true);
    claimed(await claim('run-2'));
  });

  it('lets a copy review at once when the first review gave its claim up', async () => {
    const { claim } = setup();
    await claimed(await claim('run-1')).abandon();
    claimed(await claim('run-2'));
  });

  it('treats signatures that differ only in the case of their hex digits as one request', async () => {
    const { claim } = setup();
    claimed(await claim('run-1', 35, SIG));
    expect(answered(await claim('run-2', 35, SIG.toUpperCase().replace('SHA256', 'sha256'))).statusCode).toBe(409);
    expect(webhookRecordKey(SIG)).toMatch(/^webhook#[0-9a-f]{64}$/);
    expect(webhookRecordKey(SIG)).not.toContain('ab'.repeat(32));
  });

  it('keeps requests with different signatures apart', async () => {
    const { claim } = setup();
    claimed(await claim('run-1', 35, SIG));
    claimed(await claim('run-2', 35, `sha256=${'cd'.repeat(32)}`));
  });
});

describe('createMemoryWebhookRequestStore() (no lease table)', () => {
  const clock = () => new Date(T0);
  const until = new Date(T0 + 60_000);

  it('never holds more than maxEntries requests, forgetting the oldest first', async () => {
    const store = createMemoryWebhookRequestStore({ clock, maxEntries: 3 });
    for (const run of ['a', 'b', 'c', 'd'])
      expect(await store.claim(`sig-${run}`, run, until)).toEqual({ state: 'claimed' });
    expect(await store.claim('sig-d', 'x', until)).toMatchObject({ state: 'in_progress', holder: 'd' });
    expect(await store.claim('sig-b', 'x', until)).toMatchObject({ state: 'in_progress', holder: 'b' });
    expect(await store.claim('sig-a', 'x', until)).toEqual({ state: 'claimed' });
  });

  it('keeps at most maxAnswerBytes of answers, forgetting the oldest first', async () => {
    const store = createMemoryWebhookRequestStore({ clock, maxAnswerBytes: 10 });
    const answer = { statusCode: 200, body: '"1234"' };
    for (const run of ['a', 'b']) {
      await store.claim(`sig-${run}`, run, until);
      expect(await store.complete(`sig-${run}`, run, answer, until)).toBe(true);
    }
    expect(await store.claim('sig-b', 'x', until)).toEqual({ state: 'completed', holder: 'b', answer });
    expect(await store.claim('sig-a', 'x', until)).toEqual({ state: 'claimed' });
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => createMemoryWebhookRequestStore({ maxEntries: 0 })).toThrow(
      /maxEntries must be a positive integer, got 0/,
    );
    expect(() => createMemoryWebhookRequestStore({ maxAnswerBytes: 1.5 })).toThrow(
      /maxAnswerBytes must be a positive integer, got 1.5/,
    );
  });
});
