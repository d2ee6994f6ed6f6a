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
