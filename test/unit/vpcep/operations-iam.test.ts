import { OPERATIONS, type OperationName } from '../../../lib/vpcep/operations';

/**
 * Every IAM name in the operations table is cited: the role/policy action comes from reference
 * section 6, the identity-policy action from the API page the table names. The version APIs
 * (4.1) need no permission and name none in either flavour: a gap, not a guess.
 */
describe('the operations table names both IAM flavours and cites its page', () => {
  const names = Object.keys(OPERATIONS) as OperationName[];

  it.each(names.filter((n) => OPERATIONS[n].section.startsWith('4.1.')))('%s (4.1) names no action', (name) => {
    const op = OPERATIONS[name];
    expect([op.iamAction, op.identityAction, op.authorizationPage]).toEqual([undefined, undefined, undefined]);
  });

  it.each(names.filter((n) => !OPERATIONS[n].section.startsWith('4.1.')))(
    '%s names its role/policy action, its identity action and the page that gives it',
    (name) => {
      const op = OPERATIONS[name];
      expect(op.iamAction).toMatch(/^vpcep:[A-Za-z]+:[a-z]+$/);
      expect(op.identityAction).toMatch(/^vpcep:[A-Za-z]*:[A-Za-z]+$/);
      expect(op.authorizationPage).toMatch(
        /^https:\/\/support\.huaweicloud\.com\/(intl\/en-us|eu)\/api-vpcep\/\w+\.html$/,
      );
    },
  );

  it('gives the identity actions the issue quotes to the calls that need them', () => {
    expect(OPERATIONS.listConnections.identityAction).toBe('vpcep:endpointServices:listConnections');
    expect(OPERATIONS.acceptOrReject.identityAction).toBe('vpcep:endpointServices:updateConnections');
    expect(OPERATIONS.acceptOrReject.iamAction).toBe('vpcep:connections:update');
  });
});
