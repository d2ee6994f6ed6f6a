import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadPolicyFile, parsePolicy, PolicyError, policyFormatOf } from '../../../lib/policy/load';
import type { PolicyProblem } from '../../../lib/policy/problems';

/**
 * test/fixtures/policies/invalid/: broken policies. expectations.json names, for each file, the
 * path of the problem it must report (`` for the whole document) and a part of its message.
 */
const DIR = join(__dirname, '../../fixtures/policies/invalid');
const expectations = JSON.parse(readFileSync(join(DIR, 'expectations.json'), 'utf8')) as Record<
  string,
  { path: string; message: string }
>;
const fixtures = readdirSync(DIR).filter((f) => f !== 'expectations.json');

function problemsOf(file: string): PolicyProblem[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  try {
    parsePolicy(text, file, new Date('2026-11-26T00:00:00Z'), { format: policyFormatOf(file) });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).problems.filter((p) => p.severity === 'error');
  }
  throw new Error(`${file} was accepted`);
}

describe('invalid policy corpus', () => {
  it('holds at least 30 broken policies, each with an expectation', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expectations).sort()).toEqual([...fixtures].sort());
  });

  it.each(fixtures)('%s is rejected with the expected path and message', (file) => {
    const expected = expectations[file]!;
    const problems = problemsOf(file);
    const atPath = problems.filter((p) => p.path === expected.path);
    expect(atPath.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringContaining(expected.message)]));
    // Every problem is located in the file.
    for (const p of problems) expect(p.line).toEqual(expect.any(Number));
  });
});

describe('parsePolicy() problems', () => {
  it('reports every problem at once, in file order', () => {
    const text = [
      'version: 3',
      'defaults:',
      '  revoke: maybe',
      'services:',
      '  - match: {}',
      '    allow:',
      '      - group: nobody',
      '',
    ].join('\n');
    try {
      parsePolicy(text, 'many.yaml');
      throw new Error('accepted');
    } catch (err) {
      const problems = (err as PolicyError).problems;
      expect(problems.map((p) => [p.path, p.line])).toEqual([
        ['version', 1],
        ['defaults.revoke', 3],
        ['services[0].match', 5],
        ['services[0].allow[0].group', 7],
      ]);
      expect((err as PolicyError).message).toContain('many.yaml: 4 problems in the policy');
    }
  });

  it('warns about a domain both allowed and denied in one rule, and about expired entries', () => {
    const text = `version: 1
groups:
  partners:
    - domain: 5FC973EEA581490997E82EA11A1DF31F
      expires: 2026-01-31
services:
  - match: { name: "*" }
    allow:
      - group: partners
      - domain: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
    deny:
      - domain: 0A1B2C3D4E5F60718293A4B5C6D7E8F9
`;
    const { warnings } = parsePolicy(text, 'w.yaml', new Date('2026-02-01T00:00:00Z'));
    expect(warnings.map((w) => [w.severity, w.path])).toEqual([
      ['warning', 'groups.partners[0].expires'],
      ['warning', 'services[0].deny[0].domain'],
    ]);
    expect(warnings[1]!.message).toContain('both allowed (by services[0].allow[1]) and denied');
  });

  it('judges a date expiry as valid through the end of that day, UTC', () => {
    const text =
      'version: 1\nservices:\n  - match: { name: "*" }\n    allow:\n      - domain: abc\n        expires: 2026-01-31\n';
    const at = (now: string) => parsePolicy(text, 'd.yaml', new Date(now)).warnings.map((w) => w.message);
    // The last second of the day: still live (so only about to expire).
    expect(at('2026-01-31T23:59:59Z')).toEqual([
      expect.stringMatching(/^allow entry for domain abc expires 2026-01-31 \(less than a day left/),
    ]);
    expect(at('2026-02-01T00:00:00Z')).toEqual([expect.stringMatching(/^entry expired \(2026-01-31\)/)]);
  });

  it('fills in the built-in defaults and hashes the raw text', () => {
    const text = 'version: 1\nservices:\n  - match: { id: x }\n';
    const loaded = parsePolicy(text);
    expect(loaded.policy.defaults).toEqual({
      unlisted_pending: 'leave',
      over_limit: 'leave',
      revoke: 'never',
      whitelist: 'reconcile',
      allow_wildcard: false,
      require_approval: true,
      expiry_warning_days: 14,
    });
    expect(loaded.policy.groups).toEqual({});
    expect(loaded.policy.services[0]).toEqual({ match: { id: 'x' }, allow: [], deny: [] });
    expect(loaded.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('reads a .json file strictly as JSON and a .yaml file as YAML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-format-'));
    const text = '{"version": 1, "services": [{"match": {"name": "pay-*"}},]}\n';
    writeFileSync(join(dir, 'p.json'), text);
    writeFileSync(join(dir, 'p.yaml'), text);
    await expect(loadPolicyFile(join(dir, 'p.yaml'))).resolves.toMatchObject({
      policy: { services: [{ match: { name: 'pay-*' } }] },
    });
    const err = await loadPolicyFile(join(dir, 'p.json')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).problems).toEqual([
      expect.objectContaining({ path: '', line: 1, column: 58, message: "JSON: Unexpected token ']'" }),
    ]);
    expect((err as PolicyError).message).toContain('(line 1, column 58)');
    expect(policyFormatOf('a/b.JSON')).toBe('json');
    expect(policyFormatOf('a/b.yml')).toBe('yaml');
  });

  it('says that an empty policy file is empty', () => {
    for (const text of ['', '  \n', '# nothing yet\n']) {
      expect(() => parsePolicy(text, 'e.yaml')).toThrow(
        'e.yaml: 1 problem in the policy\n  (document): the policy file is empty: expected a mapping with version: 1 and services',
      );
    }
    expect(() => parsePolicy('', 'e.json', new Date(), { format: 'json' })).toThrow('the policy file is empty');
  });

  it('names an unknown group once', () => {
    const text =
      'version: 1\ngroups:\n  partners:\n    - domain: abc\nservices:\n  - match: { name: "*" }\n    allow:\n      - group: partnerz\n';
    expect(() => parsePolicy(text, 'g.yaml')).toThrow(
      'services[0].allow[0].group: unknown group; defined groups: partners; got "partnerz" (line 8, column 16)',
    );
  });

  it('reads JSON policies', () => {
    const loaded = parsePolicy(
      JSON.stringify({
        version: 1,
        services: [{ match: { name: 'pay-*' }, allow: [{ domain: 'abc', max_connections: 2 }] }],
      }),
      'p.json',
    );
    expect(loaded.policy.services[0]!.allow).toEqual([{ domain: 'abc', max_connections: 2 }]);
  });
});
