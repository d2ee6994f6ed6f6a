import { UsageError } from '../../../lib/errors';
import { FaultInjector } from '../../../lib/simulator/faults';

const clock = () => new Date('2026-11-26T08:00:00Z');
const run = (inj: FaultInjector, n: number) => Array.from({ length: n }, () => inj.decide('p')?.kind ?? 'ok');

describe('FaultInjector', () => {
  it('gives the same sequence for the same seed, and restarts it on set()', () => {
    const a = new FaultInjector({ seed: 11, errorRate: 0.2, throttleRate: 0.2 }, clock);
    const first = run(a, 100);
    expect(run(new FaultInjector({ seed: 11, errorRate: 0.2, throttleRate: 0.2 }, clock), 100)).toEqual(first);
    a.set({ seed: 11, errorRate: 0.2, throttleRate: 0.2 });
    expect(run(a, 100)).toEqual(first);
    expect(first.filter((k) => k === 'error').length).toBeGreaterThan(5);
  });

  it('never fails with rates of 0 and always with a rate of 1', () => {
    expect(new Set(run(new FaultInjector({ seed: 1 }, clock), 50))).toEqual(new Set(['ok']));
    expect(new Set(run(new FaultInjector({ seed: 1, errorRate: 1 }, clock), 50))).toEqual(new Set(['error']));
  });

  it('refuses a rate outside [0, 1] naming the field', () => {
    expect(() => new FaultInjector({ errorRate: 2 }, clock)).toThrow(UsageError);
    expect(() => new FaultInjector({ errorRate: 2 }, clock)).toThrow(/errorRate/);
  });
});

describe('FaultInjector rate limit', () => {
  function at() {
    let now = Date.parse('2026-11-26T08:00:00Z');
    return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
  }

  it('admits at most N requests in any sliding second, answering 429 APIGW.0308 with the limit in the message', () => {
    const t = at();
    const inj = new FaultInjector({ rateLimitPerSecond: 3 }, t.clock);
    const kinds: string[] = [];
    // One request every 200 ms: 5 a second offered, 3 admitted in any second.
    for (let i = 0; i < 20; i++) {
      kinds.push(inj.decide('p')?.kind ?? 'ok');
      t.advance(200);
    }
    expect(kinds.slice(0, 10)).toEqual([
      'ok',
      'ok',
      'ok',
      'rate-limit',
      'rate-limit',
      'ok',
      'ok',
      'ok',
      'rate-limit',
      'rate-limit',
    ]);
    const refused = new FaultInjector({ rateLimitPerSecond: 1 }, t.clock);
    refused.decide('p');
    const answer = refused.decide('p')!;
    expect(answer.error.status).toBe(429);
    expect(answer.error.body).toEqual({
      error_code: 'APIGW.0308',
      error_msg: 'The throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 second',
    });
    expect(answer.error.headers).toEqual({});
  });

  it('does not count refused requests: a client that keeps knocking is admitted as soon as the second has passed', () => {
    const t = at();
    const inj = new FaultInjector({ rateLimitPerSecond: 2 }, t.clock);
    expect([inj.decide('p'), inj.decide('p')].map((d) => d?.kind ?? 'ok')).toEqual(['ok', 'ok']);
    for (let i = 0; i < 9; i++) {
      t.advance(100);
      expect(inj.decide('p')?.kind).toBe('rate-limit');
    }
    t.advance(100);
    expect(inj.decide('p')?.kind ?? 'ok').toBe('ok');
  });

  it('counts each project apart, and sends Retry-After only when asked', () => {
    const t = at();
    const inj = new FaultInjector({ rateLimitPerSecond: 1, retryAfterSeconds: 2 }, t.clock);
    expect(inj.decide('a')).toBeUndefined();
    expect(inj.decide('b')).toBeUndefined();
    expect(inj.decide('a')!.error.headers).toEqual({ 'retry-after': '2' });
  });

  it('with injectOn write fails only POST, PUT and DELETE', () => {
    const inj = new FaultInjector({ seed: 3, errorRate: 1, injectOn: 'write' }, clock);
    expect(['GET', 'GET', 'POST', 'PUT', 'DELETE', 'GET'].map((m) => inj.decide('p', m)?.kind ?? 'ok')).toEqual([
      'ok',
      'ok',
      'error',
      'error',
      'error',
      'ok',
    ]);
  });
});

describe('FaultInjector gateway limits', () => {
  function at() {
    let now = Date.parse('2026-11-26T08:00:00Z');
    return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
  }
  const kind = (d: ReturnType<FaultInjector['decide']>) => d?.kind ?? 'ok';

  it('keeps a route limit for its operation alone, per project', () => {
    const t = at();
    const inj = new FaultInjector({ routeLimits: { acceptOrReject: { requests: 2, per: 'minute' } } }, t.clock);
    const writes = [1, 2, 3].map(() => kind(inj.decide('p', 'POST', 'acceptOrReject')));
    const reads = [1, 2, 3, 4, 5].map(() => kind(inj.decide('p', 'GET', 'listConnections')));
    const whitelist = kind(inj.decide('p', 'POST', 'updateWhitelist'));
    expect({ writes, reads, whitelist }).toEqual({
      writes: ['ok', 'ok', 'rate-limit'],
      reads: ['ok', 'ok', 'ok', 'ok', 'ok'],
      whitelist: 'ok',
    });
    expect(kind(inj.decide('other', 'POST', 'acceptOrReject'))).toBe('ok');
    expect(inj.decide('p', 'POST', 'acceptOrReject')!.error.body.error_msg).toBe(
      'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 minute',
    );
  });

  it('takes the shared limit as rateLimit or rateLimitPerSecond, but not both', () => {
    const t = at();
    const perMinute = new FaultInjector({ rateLimit: { requests: 1, per: 'minute' } }, t.clock);
    expect([
      kind(perMinute.decide('p', 'GET', 'getQuotas')),
      kind(perMinute.decide('p', 'GET', 'listServices')),
    ]).toEqual(['ok', 'rate-limit']);
    t.advance(60_000);
    expect(kind(perMinute.decide('p', 'GET', 'listServices'))).toBe('ok');
    expect(
      () => new FaultInjector({ rateLimit: { requests: 1, per: 'second' }, rateLimitPerSecond: 1 }, t.clock),
    ).toThrow(
      'invalid simulator faults: rateLimitPerSecond: rateLimit and rateLimitPerSecond are the same limit: give one',
    );
  });

  it('refuses a route limit on an operation the simulator does not serve, and a unit it does not know', () => {
    expect(
      () => new FaultInjector({ routeLimits: { listVersions: { requests: 1, per: 'second' } } }, at().clock),
    ).toThrow(UsageError);
    expect(
      () => new FaultInjector({ routeLimits: { listVersions: { requests: 1, per: 'second' } } }, at().clock),
    ).toThrow(/routeLimits/);
    expect(() => new FaultInjector({ rateLimit: { requests: 1, per: 'hour' as 'minute' } }, at().clock)).toThrow(
      /rateLimit\.per/,
    );
  });

  it('counts refused requests against every window that applies only with countRefused', () => {
    const t = at();
    const limits = {
      rateLimit: { requests: 10, per: 'second' as const },
      routeLimits: { acceptOrReject: { requests: 1, per: 'second' as const } },
    };
    const plain = new FaultInjector(limits, t.clock);
    const counting = new FaultInjector({ ...limits, countRefused: true }, t.clock);
    const burst = (inj: FaultInjector) => [
      ...[1, 2, 3, 4, 5].map(() => kind(inj.decide('p', 'POST', 'acceptOrReject'))),
      ...[1, 2, 3, 4, 5, 6].map(() => kind(inj.decide('p', 'GET', 'listConnections'))),
    ];
    // Refused accepts take no room from the shared limit unless they count.
    expect(burst(plain).filter((k) => k === 'ok')).toHaveLength(7);
    expect(burst(counting).filter((k) => k === 'ok')).toHaveLength(6);
  });
});
