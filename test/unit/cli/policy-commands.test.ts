import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../../../lib/cli/program';
import { policyJsonSchema } from '../../../lib/policy/schema';
import { captureCli } from '../../support/capture';

const capture = () => captureCli();

const dir = mkdtempSync(join(tmpdir(), 'vpcep-policy-cli-'));
function policyFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const VALID_WITH_WARNING = `version: 1
services:
  - match: { name: "pay-*" }
    allow:
      - domain: 5fc973eea581490997e82ea11a1df31f
        expires: 2001-01-01
`;

const INVALID = `version: 1
defaults:
  revoke: sometimes
services:
  - match: { id: abc }
    allow:
      - domain: "not a domain!"
`;

describe('vpcep-approver validate', () => {
  it('exits 0 and says "valid", listing warnings with their paths', async () => {
    const io = capture();
    const file = policyFile('ok.yaml', VALID_WITH_WARNING);
    expect(await runCli(['validate', file], io.ctx)).toBe(0);
    expect(io.out()).toContain(`${file}: valid`);
    expect(io.out()).toMatch(/warning: services\[0\]\.allow\[0\]\.expires: entry expired \(2001-01-01\).*line 6/);
  });

  it('exits 1 and lists every problem with its path, bad value, expectation and line', async () => {
    const io = capture();
    const file = policyFile('bad.yaml', INVALID);
    expect(await runCli(['validate', file], io.ctx)).toBe(1);
    const out = io.out();
    expect(out).toContain('invalid, 2 errors');
    expect(out).toMatch(
      /error: defaults\.revoke: invalid option: expected one of "never"\|"denied"\|"unlisted"; got "sometimes" \(line 3, column 11\)/,
    );
    expect(out).toMatch(
      /error: services\[0\]\.allow\[0\]\.domain: expected a domain ID.*; got "not a domain!" \(line 7, column 17\)/,
    );
  });

  it('prints one JSON document with --json', async () => {
    const io = capture();
    const file = policyFile('bad2.yaml', INVALID);
    expect(await runCli(['validate', file, '--json'], io.ctx)).toBe(1);
    const doc = JSON.parse(io.out()) as { valid: boolean; errors: { path: string; value: unknown; line: number }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors.map((e) => [e.path, e.value, e.line])).toEqual([
      ['defaults.revoke', 'sometimes', 3],
      ['services[0].allow[0].domain', 'not a domain!', 7],
    ]);
  });

  it('reports --json success with the policy hash', async () => {
    const io = capture();
    const file = policyFile('ok2.yaml', VALID_WITH_WARNING);
    expect(await runCli(['validate', file, '--json'], io.ctx)).toBe(0);
    const doc = JSON.parse(io.out()) as { valid: boolean; sha256: string; warnings: unknown[] };
    expect(doc.valid).toBe(true);
    expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.warnings).toHaveLength(1);
  });

  it('reports YAML syntax errors with line and column', async () => {
    const io = capture();
    const file = policyFile('syntax.yaml', 'version: 1\nservices: [\n  { match: {id: x}\n');
    expect(await runCli(['validate', file], io.ctx)).toBe(1);
    expect(io.out()).toMatch(/error: \(document\): YAML: .*\(line \d+, column \d+\)/);
  });

  it('fails with exit 1 on stderr when the file cannot be read', async () => {
    const io = capture();
    expect(await runCli(['validate', join(dir, 'missing.yaml')], io.ctx)).toBe(1);
    expect(io.err()).toMatch(/^error: cannot read policy file .*missing\.yaml: no such file/);
  });

  it('prints one JSON document with --json when the file cannot be read', async () => {
    const io = capture();
    const file = join(dir, 'missing.yaml');
    expect(await runCli(['validate', file, '--json'], io.ctx)).toBe(1);
    const doc = JSON.parse(io.out()) as unknown;
    expect(doc).toEqual({
      valid: false,
      file,
      errors: [
        {
          path: '',
          message: expect.stringMatching(/^cannot read policy file .*missing\.yaml: no such file/),
          severity: 'error',
        },
      ],
      warnings: [],
    });
    expect(io.err()).toBe('');
  });
});

describe('vpcep-approver schema', () => {
  it('prints the JSON Schema generated from the zod schema', async () => {
    const io = capture();
    expect(await runCli(['schema'], io.ctx)).toBe(0);
    const printed = JSON.parse(io.out()) as Record<string, unknown>;
    expect(printed).toEqual(policyJsonSchema());
    expect(printed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(printed.additionalProperties).toBe(false);
  });
});

describe('vpcep-approver validate over the shipped policies and the invalid corpus', () => {
  const policies = join(__dirname, '../../../policies');
  const invalid = join(__dirname, '../../fixtures/policies/invalid');
  const expectations = JSON.parse(readFileSync(join(invalid, 'expectations.json'), 'utf8')) as Record<
    string,
    { path: string }
  >;

  it.each(readdirSync(policies).filter((f) => f.endsWith('.yaml')))('accepts policies/%s', async (file) => {
    const io = capture();
    expect(await runCli(['validate', join(policies, file)], io.ctx)).toBe(0);
    expect(io.out()).toContain(': valid');
  });

  it.each(Object.entries(expectations))('rejects %s naming %j', async (file, { path }) => {
    const io = capture();
    expect(await runCli(['validate', join(invalid, file), '--json'], io.ctx)).toBe(1);
    const doc = JSON.parse(io.out()) as { errors: { path: string }[] };
    expect(doc.errors.map((e) => e.path)).toContain(path);
  });
});
