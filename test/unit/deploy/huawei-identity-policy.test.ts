import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

// Huawei IAM identity policy syntax: Version "5.0", statements of Effect + Action
// ("service:resourceType:operation"); Resource and Condition are optional.
const identityPolicySchema = z.strictObject({
  Version: z.literal('5.0'),
  Statement: z
    .array(
      z.strictObject({
        Effect: z.enum(['Allow', 'Deny']),
        Action: z.array(z.string().regex(/^vpcep:[A-Za-z]+:[A-Za-z]+$/)).min(1),
      }),
    )
    .min(1),
});

const read = (file: string) =>
  identityPolicySchema.parse(JSON.parse(readFileSync(join(__dirname, '../../../policies', file), 'utf8')));

describe('policies/huawei-identity-policy.json (identity policy-based authorization)', () => {
  const policy = read('huawei-identity-policy.json');
  const actions = policy.Statement.flatMap((s) => s.Action);

  it('is an identity policy (Version 5.0) that only allows', () => {
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(new Set(actions).size).toBe(actions.length);
  });

  it('grants no wildcard and nothing that creates or deletes', () => {
    expect(actions.filter((a) => a.includes('*') || /:(create|delete)$/.test(a))).toEqual([]);
  });

  it('keeps the compliance-only action in its own statement, so a sweep-only account can drop it', () => {
    expect(policy.Statement.find((s) => s.Action.includes('vpcep:endpointServices:update'))?.Action).toEqual([
      'vpcep:endpointServices:update',
    ]);
  });

  it('the sweep variant is the same without vpcep:endpointServices:update', () => {
    const sweep = read('huawei-identity-policy-sweep.json').Statement.flatMap((s) => s.Action);
    expect([...sweep].sort()).toEqual(actions.filter((a) => a !== 'vpcep:endpointServices:update').sort());
  });
});
