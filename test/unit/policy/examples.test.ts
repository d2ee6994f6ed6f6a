import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadPolicyFile } from '../../../lib/policy/load';
import { policyJsonSchema } from '../../../lib/policy/schema';

const POLICIES = join(__dirname, '../../../policies');
const examples = readdirSync(POLICIES).filter((f) => /\.ya?ml$/.test(f));

describe('policies/', () => {
  it('holds the bundled policy and an example for each use', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['policy.yaml', 'partners.yaml', 'strict-compliance.yaml', 'add-only-whitelist.yaml']),
    );
  });

  it.each(examples)('%s is a valid policy without warnings', async (file) => {
    // A fixed date: the examples' expiry dates must not turn into warnings in this test.
    const loaded = await loadPolicyFile(join(POLICIES, file), new Date('2026-11-26T00:00:00Z'));
    expect(loaded.warnings).toEqual([]);
    expect(loaded.policy.services.length).toBeGreaterThan(0);
  });

  it('strict-compliance.yaml revokes and add-only-whitelist.yaml only adds', async () => {
    const strict = await loadPolicyFile(join(POLICIES, 'strict-compliance.yaml'));
    expect(strict.policy.defaults).toMatchObject({ revoke: 'unlisted', unlisted_pending: 'reject' });
    const addOnly = await loadPolicyFile(join(POLICIES, 'add-only-whitelist.yaml'));
    expect(addOnly.policy.defaults.whitelist).toBe('add-only');
  });

  it('policy.schema.json (for editors) is the current output of `vpcep-approver schema`', () => {
    const committed = JSON.parse(readFileSync(join(POLICIES, 'policy.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(policyJsonSchema());
  });
});
