import { parsePolicy, PolicyError } from '../../../lib/policy/load';
import { formatProblem, type PolicyProblem } from '../../../lib/policy/problems';

/** What `validate` says for a mistyped key and an empty allow list (the first-day mistakes). */
function problems(text: string): PolicyProblem[] {
  try {
    return parsePolicy(text, 'p.yaml').warnings;
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
}
const lines = (text: string) => problems(text).map((p) => `${p.severity}: ${formatProblem(p)}`);
const DOMAIN = '5fc973eea581490997e82ea11a1df31f';

describe('a misspelt key', () => {
  it.each([
    [
      'an allow entry',
      `services:\n  - match: { id: s }\n    allow:\n      - domian: ${DOMAIN}\n`,
      'services[0].allow[0].domian',
    ],
    [
      'a deny entry',
      `services:\n  - match: { id: s }\n    deny:\n      - domian: ${DOMAIN}\n`,
      'services[0].deny[0].domian',
    ],
    [
      'a group member',
      `groups:\n  g:\n    - domian: ${DOMAIN}\nservices:\n  - match: { id: s }\n    allow: [{ group: g }]\n`,
      'groups.g[0].domian',
    ],
  ])('in %s is named, with the key meant, as its one error', (_, body, path) => {
    const found = problems(`version: 1\n${body}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path, severity: 'error' });
    expect(found[0]!.message).toMatch(/^unknown key domian; did you mean domain\? \(expected one of: .*domain/);
    expect(found[0]!.message).not.toContain('neither group nor domain');
  });

  it('that resembles no key of an allow entry is named, and the missing group or domain too', () => {
    expect(lines(`version: 1\nservices:\n  - match: { id: s }\n    allow:\n      - partner: ${DOMAIN}\n`)).toEqual([
      `error: services[0].allow[0]: expected an allow entry: { group: <name> } or { domain: <id>, name?, expires?, max_connections? }; neither group nor domain is given; got {"partner":"${DOMAIN}"} (line 5, column 9)`,
      'error: services[0].allow[0].partner: unknown key partner (expected one of: group, domain, name, expires, max_connections) (line 5, column 9)',
    ]);
  });
});

describe('an empty allow list', () => {
  it('is a warning: the policy is valid, and says what the rule then does', () => {
    expect(lines('version: 1\nservices:\n  - rule: closed\n    match: { id: s }\n    allow: []\n')).toEqual([
      'warning: services[0].allow: the allow list is empty: this rule allows no domain, so every connection to the services it matches counts as unlisted (line 5, column 12)',
    ]);
  });

  it('is not warned about when allow is left out (a rule that only denies or rejects)', () => {
    expect(lines(`version: 1\nservices:\n  - match: { id: s }\n    deny: [{ domain: ${DOMAIN} }]\n`)).toEqual([]);
  });
});

describe('a name on an entry (CONTRACT 2)', () => {
  const policy = (name: string) =>
    `version: 1\ngroups:\n  g:\n    - domain: ${DOMAIN}\n      name: ${name}\nservices:\n  - match: { id: s }\n    allow:\n      - group: g\n      - domain: 0a1b2c3d4e5f60718293a4b5c6d7e8f9\n        name: Limited Ltd\n    deny:\n      - domain: ffffffffffffffffffffffffffffffff\n        name: "Blocked Inc"\n`;

  it('is accepted on a group member, an allow entry and a deny entry', () => {
    expect(lines(policy('Acme payments'))).toEqual([]);
    expect(parsePolicy(policy('Acme payments'), 'p.yaml').policy.groups.g![0]!.name).toBe('Acme payments');
  });

  it.each([
    ['an empty one', '""', 'expected a non-empty name (1 to 128 characters); got ""'],
    ['one too long', 'x'.repeat(129), 'expected a name of at most 128 characters; got "xxx'],
    [
      'one with a control character',
      '"Acme\\u001b[31m payments"',
      'expected a name without control characters (no newline, tab or escape); got "Acme\\u001b[31m payments"',
    ],
    ['one with a newline', '"Acme\\npayments"', 'got "Acme\\npayments"'],
    ['a number', '42', 'expected a name (a string of 1 to 128 characters)'],
  ])('refuses %s, naming where it is and what it got', (_, name, message) => {
    const found = lines(policy(name));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^error: groups\.g\[0\]\.name: /);
    expect(found[0]).toContain(message);
  });
});

describe('an allow entry about to expire (CONTRACT 2, expiry_warning_days)', () => {
  const NOW = new Date('2026-11-26T08:00:00Z');
  const LATER = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const policy = (defaults: string) =>
    `version: 1\n${defaults}groups:\n  g:\n    - domain: ${DOMAIN}\n      expires: 2026-12-06\nservices:\n  - match: { id: s }\n    allow:\n      - group: g\n      - domain: ${LATER}\n        expires: 2026-12-16\n  - match: { id: t }\n    allow: [{ group: g }]\n`;
  const warnings = (text: string) =>
    parsePolicy(text, 'p.yaml', NOW).warnings.map((p) => `${p.severity}: ${formatProblem(p)}`);

  it('is warned about once, where it is written, with the days left', () => {
    expect(warnings(policy(''))).toEqual([
      `warning: groups.g[0].expires: allow entry for domain ${DOMAIN} expires 2026-12-06 (10 days left, expiry_warning_days 14); the domain will then count as unlisted, and under revoke: unlisted its accepted connections will be revoked (line 5, column 16)`,
    ]);
  });

  it('follows expiry_warning_days: 0 turns it off, a wider window takes in more', () => {
    expect(warnings(policy('defaults:\n  expiry_warning_days: 0\n'))).toEqual([]);
    expect(warnings(policy('defaults:\n  expiry_warning_days: 30\n')).map((w) => w.split(':')[1])).toEqual([
      ' groups.g[0].expires',
      ' services[0].allow[1].expires',
    ]);
  });

  it('is not given for an entry a later-expiring entry outlives, nor for an expired one', () => {
    const outlived = `version: 1\nservices:\n  - match: { id: s }\n    allow:\n      - domain: ${DOMAIN}\n        expires: 2026-12-06\n      - domain: ${DOMAIN}\n        expires: 2027-12-06\n`;
    expect(warnings(outlived)).toEqual([
      expect.stringContaining('services[0].allow[1].domain: domain'), // the duplicate, as before
    ]);
    const expired = `version: 1\nservices:\n  - match: { id: s }\n    allow:\n      - domain: ${DOMAIN}\n        expires: 2026-11-20\n`;
    expect(warnings(expired)).toEqual([expect.stringContaining('entry expired (2026-11-20)')]);
  });

  it('rejects a negative or fractional expiry_warning_days, naming it', () => {
    expect(problems('version: 1\ndefaults:\n  expiry_warning_days: -1\nservices:\n  - match: { id: s }\n')).toEqual([
      expect.objectContaining({ path: 'defaults.expiry_warning_days', severity: 'error' }),
    ]);
    expect(
      lines('version: 1\nservices:\n  - match: { id: s }\n    expiry_warning_days: 1.5\n').filter((l) =>
        l.startsWith('error'),
      ),
    ).toEqual([expect.stringMatching(/^error: services\[0\]\.expiry_warning_days: expected a non-negative integer/)]);
  });
});
