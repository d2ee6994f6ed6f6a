import { decimal, integer, wholeNumber } from '../../../lib/cli/options';
import { UsageError } from '../../../lib/errors';
import { LIMITED_OPERATIONS } from '../../../lib/simulator';
import { runCaptured } from '../../support/capture';

// Every option value parser fails one way: `error: <option> "<value>" is not <what>`, exit 1,
// nothing on stdout, before the command reads its configuration or calls anything.

describe('a bad option value', () => {
  it.each([
    [['plan', '--policy', 'p.yaml', '--concurrency', '8x'], '--concurrency "8x" is not a whole number from 1 to 64'],
    [['plan', '--policy', 'p.yaml', '--concurrency', '65'], '--concurrency "65" is not a whole number from 1 to 64'],
    [
      ['apply', '--policy', 'p.yaml', '--allow-revocations', 'all'],
      '--allow-revocations "all" is not a whole number, 0 or more',
    ],
    [['plan', '--policy', 'p.yaml', '--scope', 'daily'], '--scope "daily" is not one of sweep, compliance'],
    [
      ['connections', 'svc', '--status', 'pending'],
      '--status "pending" is not one of pendingAcceptance, creating, accepted, rejected, failed, deleting',
    ],
    [['simulator', '--port', '70000'], '--port "70000" is not a port number (0 to 65535)'],
    [['simulator', '--error-rate', '2'], '--error-rate "2" is not a rate (a number from 0 to 1, e.g. 0.1)'],
    [['simulator', '--throttle-rate', '0x1'], '--throttle-rate "0x1" is not a rate (a number from 0 to 1, e.g. 0.1)'],
    [
      ['simulator', '--rate-limit', '0'],
      '--rate-limit "0" is not a limit: a positive integer of requests, per second or with /second or /minute (e.g. 50, 20/minute)',
    ],
    [
      ['simulator', '--route-limit', 'accept=20/minute'],
      `--route-limit "accept=20/minute" is not OPERATION=N/second or OPERATION=N/minute (N a positive integer, OPERATION one of ${LIMITED_OPERATIONS.join(', ')})`,
    ],
    [['simulator', '--retry-after', '-1'], '--retry-after "-1" is not a whole number of seconds (0 or more)'],
    [['simulator', '--latency', '-5'], '--latency "-5" is not a duration in milliseconds (0 or more)'],
    [['simulator', '--fault-seed', '1.5'], '--fault-seed "1.5" is not an integer'],
    [['simulator', '--inject-on', 'reads'], '--inject-on "reads" is not one of all, write'],
    [
      ['services', '--max-rate', 'fast'],
      '--max-rate "fast" is not a rate: requests per second, a number above 0 and at most 100000 (e.g. 40)',
    ],
    [
      ['plan', '--policy', 'p.yaml', '--timeout', 'soon'],
      '--timeout "soon" is not a duration from 1s to 24h (e.g. 30m, 90s, 2h; a bare number is seconds)',
    ],
  ])('%j: names the option and the value', async (argv, message) => {
    const { code, out, err } = await runCaptured(argv);
    expect({ code, out, err }).toEqual({ code: 1, out: '', err: `error: ${message}\n` });
  });

  it('is a UsageError from every parser', () => {
    expect(() => wholeNumber('--n', 'a count', { min: 0 })('x')).toThrow(UsageError);
    expect(() => integer('--seed')('1e3')).toThrow(UsageError);
    expect(() => decimal('--share', 'a share', { min: 0, max: 1 })('')).toThrow(UsageError);
  });
});

describe('the option parsers', () => {
  it('read what they promise', () => {
    expect(wholeNumber('--n', 'a count', { min: 0, max: 10 })('010')).toBe(10);
    expect(integer('--seed')('-42')).toBe(-42);
    const share = decimal('--share', 'a share', { min: 0, max: 1 });
    expect(['0', '1', '0.25', '.5', '1.'].map(share)).toEqual([0, 1, 0.25, 0.5, 1]);
  });
});
