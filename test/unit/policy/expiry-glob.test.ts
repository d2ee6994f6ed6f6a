import fc from 'fast-check';

import { expiryInstant, isExpired } from '../../../lib/policy/expiry';
import { globMatches } from '../../../lib/policy/glob';
import { parsePolicy, PolicyError } from '../../../lib/policy/load';

describe('expiryInstant()', () => {
  it('ends a date at midnight UTC after that day, and a time at that time', () => {
    expect(expiryInstant('2027-06-30')).toBe(Date.UTC(2027, 6, 1));
    expect(expiryInstant('2027-06-30T18:00:00Z')).toBe(Date.UTC(2027, 5, 30, 18));
  });

  it('does not take a day that does not exist for the next one', () => {
    expect(expiryInstant('2026-02-30')).toBeNaN();
    expect(isExpired('2026-02-30', new Date('2030-01-01T00:00:00Z'))).toBe(false);
  });

  it('reports an impossible date as an error only, never also as expired', () => {
    const text =
      'version: 1\nservices:\n  - match: { id: s1 }\n    allow:\n      - domain: abc\n        expires: 2026-02-30\n';
    const err = (() => {
      try {
        parsePolicy(text, 'p.yaml', new Date('2030-01-01T00:00:00Z'));
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error('expected the policy to be refused');
    })();
    const at = err.problems.filter((p) => p.path === 'services[0].allow[0].expires');
    expect(at.map((p) => p.severity)).toEqual(['error']);
  });
});

describe('globMatches()', () => {
  it('matches names case-insensitively, as documented', () => {
    expect(globMatches('Pay*', 'payments-eu')).toBe(true);
    expect(globMatches('pay-?', 'PAY-1')).toBe(true);
    expect(globMatches('pay-*', 'payments')).toBe(false);
  });

  it('agrees with the glob read as a regular expression (* any run, ? one character, the rest literal)', () => {
    const reference = (glob: string, name: string) =>
      new RegExp(
        `^${[...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
        'si',
      ).test(name);
    const chars = fc.constantFrom('a', 'b', 'A', '-', '.', '*', '?');
    const text = (n: number) => fc.array(chars, { maxLength: n }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text(8), text(10), (glob, name) => {
        expect(globMatches(glob, name.replace(/[*?]/g, 'x'))).toBe(reference(glob, name.replace(/[*?]/g, 'x')));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives up on a pattern of many * without backtracking through every way to split the name', () => {
    // A backtracking regex takes seconds here (and far longer with a few more stars).
    expect(globMatches(`${'*a'.repeat(30)}*b`, 'a'.repeat(5000))).toBe(false);
    expect(globMatches(`${'*a'.repeat(30)}*b`, `${'a'.repeat(5000)}b`)).toBe(true);
  });
});
