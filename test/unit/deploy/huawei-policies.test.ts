import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * The Huawei IAM documents in policies/, in both of Huawei's flavours: the role/policy document
 * (custom policy, Version "1.1", legacy action names) and the identity policy (Version "5.0",
 * new action names). Each has a sweep variant without the one action only compliance needs.
 * That they allow exactly what the runs call is checked by test/integration/iam-coverage.test.ts.
 */
const policySchema = (version: '1.1' | '5.0') =>
  z.strictObject({
    Version: z.literal(version),
    Statement: z
      .array(
        z.strictObject({
          Effect: z.enum(['Allow', 'Deny']),
          Action: z.array(z.string().regex(/^vpcep:[A-Za-z]+:[A-Za-z]+$/)).min(1),
        }),
      )
      .min(1),
  });

const read = (file: string, version: '1.1' | '5.0') =>
  policySchema(version).parse(JSON.parse(readFileSync(join(__dirname, '../../../policies', file), 'utf8')));

describe.each([
  { file: 'huawei-iam-policy', version: '1.1', update: 'vpcep:epservices:update' },
  { file: 'huawei-identity-policy', version: '5.0', update: 'vpcep:endpointServices:update' },
] as const)('policies/$file.json (Version $version)', ({ file, version, update }) => {
  const policy = read(`${file}.json`, version);
  const actions = policy.Statement.flatMap((s) => s.Action);

  it('only allows, each action once', () => {
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(new Set(actions).size).toBe(actions.length);
  });

  it('grants no wildcard and nothing that creates or deletes', () => {
    expect(actions.filter((a) => a.includes('*') || /:(create|delete)$/.test(a))).toEqual([]);
  });

  it('keeps the compliance-only action in its own statement, so a sweep-only account can drop it', () => {
    expect(policy.Statement.find((s) => s.Action.includes(update))?.Action).toEqual([update]);
  });

  it(`has a sweep variant (${file}-sweep.json): the same without ${update}`, () => {
    const sweep = read(`${file}-sweep.json`, version);
    const sweepActions = sweep.Statement.flatMap((s) => s.Action);
    expect(sweep.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect([...sweepActions].sort()).toEqual(actions.filter((a) => a !== update).sort());
  });
});

it('the role/policy document grants exactly the section 6.2 actions the sweep and compliance runs call', () => {
  // 6.2: list services (4.2.5), list/accept/reject connections (4.2.6, 4.2.7),
  // list/add/remove whitelist records (4.2.8, 4.2.9), modify a service (4.2.3, compliance only).
  const actions = read('huawei-iam-policy.json', '1.1').Statement.flatMap((s) => s.Action);
  expect([...actions].sort()).toEqual(
    [
      'vpcep:connections:list',
      'vpcep:connections:update',
      'vpcep:epservices:list',
      'vpcep:epservices:update',
      'vpcep:permissions:list',
      'vpcep:permissions:update',
    ].sort(),
  );
});
