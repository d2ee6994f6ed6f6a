import fc from 'fast-check';
import { backoffDelay, isTransient, provesNotApplied, shouldRetry } from '../../../lib/vpcep/retry';

describe('isTransient()', () => {
  it.each([
    [{ status: 500, errorCode: 'EndPoint.0001' }, true],
    [{ status: 502 }, true],
    [{ status: 503 }, true],
    [{ status: 429 }, true],
    [{ status: 400, errorCode: 'EndPoint.0022' }, true],
    [{ status: 429, errorCode: 'APIGW.0308' }, true],
    [{ status: 400, errorCode: 'APIGW.0308' }, true],
    [{ network: true, errorCode: 'ECONNRESET' }, true],
    [{ network: true, errorCode: 'TIMEOUT' }, true],
    [{ status: 400, errorCode: 'EndPoint.0002' }, false],
    [{ status: 401, errorCode: 'EndPoint.0003' }, false],
    [{ status: 404, errorCode: 'EndPoint.0005' }, false],
    [{ status: 400, errorCode: 'EndPoint.2031' }, false],
    [{ network: true, errorCode: 'CERT_HAS_EXPIRED' }, false],
  ])('%j -> %s', (failure, expected) => {
    expect(isTransient(failure)).toBe(expected);
  });
});

describe('shouldRetry()', () => {
  it('retries idempotent calls on any transient failure', () => {
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
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, { baseDelayMs: 200, maxDelayMs: 10_000 }, () => 0.5))).toEqual([100, 200, 400, 800, 5000]);
  });
});
