import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

// Huawei IAM custom policy syntax: Version "1.1", statements of Effect + Action
// (fine-grained actions "service:resource:operation"), optional Condition/Resource.
const huaweiPolicySchema = z.strictObject({
  Version: z.literal('1.1'),
  Statement: z
    .array(
      z.strictObject({
        Effect: z.enum(['Allow', 'Deny']),
        Action: z.array(z.string().regex(/^[a-z]+:[A-Za-z]+:[A-Za-z]+$/)).min(1),
      }),
    )
    .min(1),
});

const file = join(__dirname, '../../../policies/huawei-iam-policy.json');

describe('policies/huawei-iam-policy.json', () => {
  const policy = huaweiPolicySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const actions = policy.Statement.flatMap((s) => s.Action);

  it('is a Huawei IAM custom policy (Version 1.1) that only allows', () => {
    expect(policy.Version).toBe('1.1');
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('grants exactly the section 6.2 actions the sweep and compliance runs call', () => {
    // 6.2: list services (4.2.5), list/accept/reject connections (4.2.6, 4.2.7),
    // list/add/remove whitelist records (4.2.8, 4.2.9), modify a service (4.2.3, compliance only).
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
    expect(new Set(actions).size).toBe(actions.length);
  });

  it('grants no wildcard and nothing that creates or deletes', () => {
    expect(actions.filter((a) => a.includes('*') || /:(create|delete)$/.test(a))).toEqual([]);
  });

  it('keeps the compliance-only action in its own statement, so a sweep-only account can drop it', () => {
    expect(policy.Statement.find((s) => s.Action.includes('vpcep:epservices:update'))?.Action).toEqual([
      'vpcep:epservices:update',
    ]);
  });
});

describe('policies/huawei-iam-policy-sweep.json (for an account that only sweeps and reviews webhooks)', () => {
  const sweep = huaweiPolicySchema.parse(
    JSON.parse(readFileSync(join(__dirname, '../../../policies/huawei-iam-policy-sweep.json'), 'utf8')),
  );
  const full = huaweiPolicySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const sweepActions = sweep.Statement.flatMap((s) => s.Action);

  it('is the full policy without vpcep:epservices:update, which only compliance uses (4.2.3)', () => {
    expect(sweep.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(sweepActions).not.toContain('vpcep:epservices:update');
    expect([...sweepActions].sort()).toEqual(
      full.Statement.flatMap((s) => s.Action)
        .filter((a) => a !== 'vpcep:epservices:update')
        .sort(),
    );
    expect(new Set(sweepActions).size).toBe(sweepActions.length);
  });
});
