import fc from 'fast-check';

import { backoffDelay } from '../../../lib/backoff';
import { VpcepFailure } from '../../../lib/vpcep/errors';
import { RateLimiter } from '../../../lib/vpcep/rate-limiter';
import {
  AttemptOutcome,
  callWithRetries,
  classifyFailure,
  DEFAULT_RETRY_OPTIONS,
  isTransient,
  provesNotApplied,
  RetryContext,
  retryDelay,
  RetryQuota,
  shouldRetry,
} from '../../../lib/vpcep/retry';

describe('classifyFailure()', () => {
  it.each([
    [{ status: 503, errorCode: 'VPCEP_RESPONSE_TOO_LARGE' }, 'fatal'],
    [{ status: 400, errorCode: 'EndPoint.0022' }, 'throttling'],
    [{ status: 429, errorCode: 'APIGW.0308' }, 'throttling'],
    [{ status: 429, errorCode: 'APIG.0308' }, 'throttling'],
    [{ status: 400, errorCode: 'APIGW.0308' }, 'throttling'],
    [{ status: 429 }, 'throttling'],
    [{ status: 500, errorCode: 'EndPoint.0001' }, 'transient'],
    [{ status: 502 }, 'transient'],
    [{ status: 503 }, 'transient'],
    [{ status: 400, errorCode: 'EndPoint.0013' }, 'transient'],
    [{ network: true, errorCode: 'ECONNRESET' }, 'transient'],
    [{ network: true, errorCode: 'TIMEOUT' }, 'transient'],
    [{ status: 400, errorCode: 'EndPoint.0002' }, 'fatal'],
    [{ status: 401, errorCode: 'EndPoint.0003' }, 'fatal'],
    [{ status: 404, errorCode: 'EndPoint.0005' }, 'fatal'],
    [{ status: 400, errorCode: 'EndPoint.2031' }, 'fatal'],
    [{ network: true, errorCode: 'ENOTFOUND' }, 'fatal'],
    [{ network: true, errorCode: 'CERT_HAS_EXPIRED' }, 'fatal'],
  ] as [VpcepFailure, string][])('%j -> %s', (failure, expected) => {
    expect(classifyFailure(failure)).toBe(expected);
    expect(isTransient(failure)).toBe(expected !== 'fatal');
  });
});

describe('shouldRetry()', () => {
  it('retries idempotent calls on any throttled or transient failure', () => {
    expect(shouldRetry({ status: 500 }, { idempotent: true })).toBe(true);
    expect(shouldRetry({ network: true, errorCode: 'ECONNRESET' }, { idempotent: true })).toBe(true);
  });

  it('retries other calls only when the failure proves nothing was applied', () => {
    expect(shouldRetry({ status: 500 }, { idempotent: false })).toBe(false);
    expect(shouldRetry({ network: true, errorCode: 'ECONNRESET' }, { idempotent: false })).toBe(false);
    expect(shouldRetry({ network: true, errorCode: 'TIMEOUT' }, { idempotent: false })).toBe(false);
    expect(shouldRetry({ status: 400, errorCode: 'EndPoint.0022' }, { idempotent: false })).toBe(true);
    expect(shouldRetry({ network: true, errorCode: 'ECONNREFUSED' }, { idempotent: false })).toBe(true);
    expect(provesNotApplied({ status: 429, errorCode: 'APIGW.0308' })).toBe(true);
    expect(provesNotApplied({ status: 429 })).toBe(true);
  });

  it('never retries a permanent failure', () => {
    expect(shouldRetry({ status: 403, errorCode: 'EndPoint.0004' }, { idempotent: true })).toBe(false);
  });
});

describe('backoffDelay()', () => {
  it('draws a full-jitter delay below an exponentially growing, capped ceiling', () => {
    fc.assert(
      fc.property(fc.nat(30), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const options = { baseDelayMs: 200, maxDelayMs: 10_000 };
        const delay = backoffDelay(retry, options, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(10_000, 200 * 2 ** retry));
      }),
    );
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, { baseDelayMs: 200, maxDelayMs: 10_000 }, () => 0.5))).toEqual([
      100, 200, 400, 800, 5000,
    ]);
  });
});

describe('RetryQuota', () => {
  it('has the AWS SDK standard shape: 500, a retry 5, a timeout 10, a success refunds 1 or its last retry', () => {
    const q = new RetryQuota();
    expect(q.available).toBe(500);
    expect(q.take({ status: 500 })).toBe(5);
    expect(q.take({ network: true, errorCode: 'TIMEOUT' })).toBe(10);
    expect(q.available).toBe(485);
    q.succeeded(10);
    expect(q.available).toBe(495);
    q.succeeded(undefined);
    expect(q.available).toBe(496);
    for (let i = 0; i < 10; i++) q.succeeded(undefined);
    expect(q.available).toBe(500);
  });

  it('refuses a retry it cannot pay for, taking nothing', () => {
    const q = new RetryQuota({ capacity: 12 });
    expect(q.take({ status: 500 })).toBe(5);
    expect(q.take({ network: true })).toBeUndefined();
    expect(q.take({ status: 500 })).toBe(5);
    expect(q.take({ status: 500 })).toBeUndefined();
    expect(q.available).toBe(2);
  });

  it('an outage stops retrying within a bounded number of failures; scattered errors never empty it', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 400 }), (failures) => {
        const q = new RetryQuota();
        let retries = 0;
        for (const f of failures) if (f && q.take({ status: 500 }) !== undefined) retries++;
        expect(retries).toBeLessThanOrEqual(100);
      }),
    );
    const q = new RetryQuota();
    for (let call = 0; call < 100_000; call++) {
      // 2% of calls fail once, then succeed.
      const cost = call % 50 === 0 ? q.take({ status: 500 }) : undefined;
      expect(call % 50 !== 0 || cost !== undefined).toBe(true);
      q.succeeded(cost);
    }
    expect(q.available).toBe(500);
  });
});

/** A clock that only the injected sleep moves. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => (now += ms),
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('callWithRetries()', () => {
  function context(overrides: Partial<RetryContext> = {}) {
    const time = fakeTime();
    const ctx: RetryContext = {
      idempotent: true,
      options: DEFAULT_RETRY_OPTIONS,
      quota: new RetryQuota(),
      limiter: new RateLimiter({ now: time.now, sleep: time.sleep }),
      now: time.now,
      sleep: time.sleep,
      random: () => 0.5,
      ...overrides,
    };
    return { ctx, time };
  }
  const replies =
    (...outcomes: AttemptOutcome<string>[]) =>
    async () =>
      outcomes.shift() ?? { ok: true as const, value: 'done' };

  it('waits after throttling, without an attempt cap and without quota, until it succeeds', async () => {
    const { ctx, time } = context({ quota: new RetryQuota({ capacity: 0 }) });
    const throttled = Array.from({ length: 20 }, () => ({
      ok: false as const,
      failure: { status: 400, errorCode: 'EndPoint.0022' },
    }));
    const result = await callWithRetries(replies(...throttled), 30_000, ctx);
    expect(result).toEqual({ ok: true, value: 'done', attempts: 21 });
    // Throttling backoff: base 500 ms, doubling, capped at 20 s (random 0.5 of each ceiling).
    expect(time.sleeps.slice(0, 7)).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000]);
  });

  it.each([
    ['Retry-After: 0', 0],
    ['a Retry-After in the past (0 ms)', 0],
    ['an unreadable Retry-After (undefined)', undefined],
  ])('waits the whole throttling backoff after %s: Retry-After never shortens it', async (_, retryAfterMs) => {
    const { ctx, time } = context();
    const throttled = Array.from({ length: 5 }, () => ({
      ok: false as const,
      failure: { status: 429 },
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    }));
    await callWithRetries(replies(...throttled), 30_000, ctx);
    expect(time.sleeps).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('honours Retry-After on a 503 as on a 429, and not on a 500', async () => {
    const { ctx, time } = context();
    const busy = { ok: false as const, failure: { status: 503 }, retryAfterMs: 3000 };
    const failed = { ok: false as const, failure: { status: 500 }, retryAfterMs: 3000 };
    await callWithRetries(replies(busy, failed), 30_000, ctx);
    // 503: max(50 ms backoff, 3 s); 500: the 100 ms ceiling's backoff alone.
    expect(time.sleeps).toEqual([3000, 100]);
  });

  it('ends a throttled call when the next try could not finish before the deadline', async () => {
    const { ctx, time } = context({ deadline: fakeTime().now() + 10_000 });
    const throttled = Array.from({ length: 50 }, () => ({
      ok: false as const,
      failure: { status: 429, errorCode: 'APIGW.0308' },
    }));
    const result = await callWithRetries(replies(...throttled), 30_000, ctx);
    expect(result).toMatchObject({ ok: false, end: 'deadline' });
    expect(time.now()).toBeLessThanOrEqual(ctx.deadline!);
  });

  it('stops a transient failure at the quota and refunds on success', async () => {
    const quota = new RetryQuota({ capacity: 10 });
    const { ctx } = context({ quota });
    const err = { ok: false as const, failure: { status: 500 } };
    expect(await callWithRetries(replies(err, err, err), 30_000, ctx)).toMatchObject({
      ok: false,
      end: 'quota',
      attempts: 3,
    });
    expect(quota.available).toBe(0);
    expect(await callWithRetries(replies(), 30_000, ctx)).toMatchObject({ ok: true });
    expect(quota.available).toBe(1);
  });

  it('gives each attempt the time left before the deadline as its timeout', async () => {
    const time = fakeTime();
    const { ctx } = context({ now: time.now, deadline: time.now() + 5000 });
    const timeouts: number[] = [];
    await callWithRetries(
      async (t) => {
        timeouts.push(t);
        return { ok: true, value: 'x' };
      },
      30_000,
      ctx,
    );
    expect(timeouts).toEqual([5000]);
  });
});

describe('retryDelay()', () => {
  it('is max(backoff, min(Retry-After, cap)): Retry-After only lengthens the wait, up to the cap', () => {
    expect(retryDelay(250, undefined, 20_000)).toBe(250);
    expect(retryDelay(250, 0, 20_000)).toBe(250);
    expect(retryDelay(250, -1000, 20_000)).toBe(250);
    expect(retryDelay(250, Number.NaN, 20_000)).toBe(250);
    expect(retryDelay(250, 3000, 20_000)).toBe(3000);
    expect(retryDelay(250, 3_600_000, 20_000)).toBe(20_000);
    expect(retryDelay(25_000, 3000, 20_000)).toBe(25_000);
  });
});

describe('RateLimiter', () => {
  it('stays out of the way until the first throttle', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ now: time.now, sleep: time.sleep });
    for (let i = 0; i < 1000; i++) {
      const p = await limiter.acquire();
      if (p.ok) p.release('ok');
    }
    expect(time.sleeps).toEqual([]);
  });

  it('paces just under a limit the gateway names: never more than 95% of it in any sliding window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom('second', 'minute'),
        fc.integer({ min: 0, max: 60 }),
        async (limit, unit, burst) => {
          const time = fakeTime();
          const limiter = new RateLimiter({ now: time.now, sleep: time.sleep });
          const windowMs = unit === 'second' ? 1000 : 60_000;
          // A burst before the first throttle, then the gateway's answer.
          const starts: number[] = [];
          for (let i = 0; i < burst; i++) {
            const p = await limiter.acquire();
            if (p.ok) p.release('ok');
          }
          const first = await limiter.acquire();
          if (first.ok) first.release('throttled', { requests: limit, windowMs });
          for (let i = 0; i < 3 * limit; i++) {
            const p = await limiter.acquire();
            if (!p.ok) throw new Error('refused');
            starts.push(p.sentAt);
            time.advance(1);
            p.release('ok');
          }
          const cap = Math.max(1, Math.floor(limit * 0.95));
          for (let i = cap; i < starts.length; i++)
            expect(starts[i]! - starts[i - cap]!).toBeGreaterThanOrEqual(windowMs - 1e-6);
          // And close to it: 3 x limit requests take about 3 windows, not much more.
          const span = starts[starts.length - 1]! - starts[0]!;
          expect(span).toBeLessThanOrEqual((3 * limit * windowMs) / cap + windowMs);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('halves the calls in flight on an unnamed throttle (EndPoint.0022), once per round, and grows back', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ now: time.now, sleep: time.sleep });
    const permits = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    time.advance(10);
    for (const p of permits) if (p.ok) p.release('throttled');
    // Eight throttles of one round: one cut, from 8 in flight to 4.
    expect(limiter.state().window).toBe(4);
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await limiter.acquire());
    let fifth = false;
    const waiting = limiter.acquire().then((p) => {
      fifth = true;
      return p;
    });
    await new Promise((r) => setImmediate(r));
    expect(fifth).toBe(false);
    const first = held[0]!;
    if (first.ok) first.release('ok');
    const p = await waiting;
    expect(fifth).toBe(true);
    // Additive increase: 4 + 1/4 after one success.
    expect(limiter.state().window).toBeCloseTo(4.25);
    for (const h of [...held.slice(1), p]) if (h.ok) h.release('ok');
    for (let i = 0; i < 3000; i++) {
      const q = await limiter.acquire();
      if (q.ok) q.release('ok');
    }
    expect(limiter.state().window).toBe(Infinity);
  });

  it('caps requests per second at --max-rate from the first request', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ now: time.now, sleep: time.sleep, maxRate: 10 });
    const starts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const p = await limiter.acquire();
      if (p.ok) {
        starts.push(p.sentAt);
        p.release('ok');
      }
    }
    for (let i = 10; i < starts.length; i++) expect(starts[i]! - starts[i - 10]!).toBeGreaterThanOrEqual(1000);
    expect(starts[49]! - starts[0]!).toBe(4900);
  });

  it('honours a --max-rate below one request a second (0.5: one request every 2 s)', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ now: time.now, sleep: time.sleep, maxRate: 0.5 });
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await limiter.acquire();
      if (p.ok) {
        starts.push(p.sentAt);
        p.release('ok');
      }
    }
    expect(starts.map((s) => s - starts[0]!)).toEqual([0, 2000, 4000, 6000]);
  });

  it('refuses a start later than the deadline, and gives up when interrupted', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ now: time.now, sleep: time.sleep, maxRate: 1 });
    const a = await limiter.acquire({ deadline: time.now() + 5000, minTimeMs: 1000 });
    expect(a.ok).toBe(true);
    if (a.ok) a.release('ok');
    expect(await limiter.acquire({ deadline: time.now() + 1500, minTimeMs: 1000 })).toEqual({
      ok: false,
      reason: 'deadline',
    });
    const controller = new AbortController();
    controller.abort();
    expect(await limiter.acquire({ signal: controller.signal })).toEqual({ ok: false, reason: 'interrupted' });
  });
});
