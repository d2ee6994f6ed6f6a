import { ROUTES } from '../../../lib/simulator/api';
import { operationForRoute, OPERATIONS } from '../../../lib/vpcep/operations';
import { parseGatewayLimit } from '../../../lib/vpcep/rate-limiter';
import { parseRetryAfter } from '../../../lib/vpcep/transport';

describe('parseGatewayLimit()', () => {
  it.each([
    [
      'The throttling threshold has been reached: policy user over ratelimit,limit:50,time:1 second',
      { requests: 50, windowMs: 1000 },
    ],
    ['policy user over ratelimit,limit:100,time:1 minute', { requests: 100, windowMs: 60_000 }],
    ['policy ip over ratelimit, limit: 20, time: 2 seconds', { requests: 20, windowMs: 2000 }],
    ['The number of requests exceeded the limit. Please try later.', undefined],
    ['limit:0,time:1 second', undefined],
    [undefined, undefined],
  ])('%j -> %j', (message, expected) => {
    expect(parseGatewayLimit(message)).toEqual(expected);
  });
});

describe('parseRetryAfter()', () => {
  const now = new Date('2026-11-26T08:00:00Z');
  it('reads seconds and HTTP dates, ignores what it cannot read', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('reads no year into a bare number: "-1" and "1e3" are unreadable, "0" is 0 and "1.5" is 1.5 s', () => {
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1e3', now)).toBeUndefined();
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
  });
});

describe('the operations table', () => {
  it('has one operation for each route the simulator serves, with its section 6 IAM action', () => {
    for (const route of ROUTES) {
      const [method, template] = route.name.split(' ') as [string, string];
      const name = operationForRoute(method, template);
      expect([route.name, name && OPERATIONS[name].iamAction]).toEqual([
        route.name,
        expect.stringMatching(/^vpcep:[A-Za-z]+:[a-z]+$/),
      ]);
    }
  });
});
