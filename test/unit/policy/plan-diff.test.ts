import { diffPlans, hasDifferences } from '../../../lib/policy/plan-diff';
import { actionFactory } from '../../support/records';

const plan = (actions = [actionFactory()]) => ({ actions, left_pending: [], drift: [] });

describe('diffPlans', () => {
  it('keys a decision by its target: another action on the same connection is changed, not added and removed', () => {
    const before = actionFactory({ type: 'connection.reject', endpoint_id: 'ep-1', reason: 'unlisted' });
    const after = actionFactory({ type: 'connection.accept', endpoint_id: 'ep-1', reason: 'allowed' });
    const diff = diffPlans(plan([before]), plan([after]));
    expect(diff).toMatchObject({ added: [], removed: [], changed: [{ before, after }] });
    expect(hasDifferences(diff)).toBe(true);
  });

  it('lists whitelist records and the service action by their own targets', () => {
    const add = actionFactory({ type: 'whitelist.add', endpoint_id: undefined, permission: 'iam:domain::a1' });
    const approval = actionFactory({ type: 'service.enable-approval', endpoint_id: undefined });
    const diff = diffPlans(plan([add]), plan([approval]));
    expect(diff).toMatchObject({ added: [approval], removed: [add], changed: [] });
  });

  it('finds nothing when the same decisions are made for the same reasons, held or not', () => {
    const a = actionFactory();
    const diff = diffPlans(plan([a]), plan([{ ...a, held: true } as typeof a]));
    expect(hasDifferences(diff)).toBe(false);
  });

  it('compares the connections left pending by connection, and drift whole', () => {
    const pending = { service_id: 's', endpoint_id: 'ep', domain_id: 'd', rule: 'r', reason: 'over limit' };
    const drift = { kind: 'unmanaged' as const, service_id: 's', detail: 'no rule' };
    const diff = diffPlans(
      { actions: [], left_pending: [pending], drift: [drift] },
      { actions: [], left_pending: [{ ...pending, reason: 'unlisted' }], drift: [] },
    );
    expect(diff.left_pending.changed).toEqual([{ before: pending, after: { ...pending, reason: 'unlisted' } }]);
    expect(diff.drift).toEqual({ added: [], removed: [drift] });
  });
});
