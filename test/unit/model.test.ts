import { permissionDomain } from '../../lib/model';

describe('permissionDomain(): the one reading of a whitelist record', () => {
  it('gives the domain a governed record admits, trimmed and lower-cased, whatever case the API listed', () => {
    expect(permissionDomain('iam:domain::5FC973EEA581490997E82EA11A1DF31F')).toBe('5fc973eea581490997e82ea11a1df31f');
    expect(permissionDomain(' IAM:Domain::abc123 ')).toBe('abc123');
  });

  it('gives none for a wildcard or a record the policy does not govern', () => {
    for (const permission of ['*', 'iam:domain::*', 'organizations:orgPath::o-1/r-2', 'iam:domain::'])
      expect(permissionDomain(permission)).toBeUndefined();
  });
});
