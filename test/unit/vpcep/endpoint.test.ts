import { checkEndpoint, shownEndpoint } from '../../../lib/vpcep/endpoint';

describe('checkEndpoint()', () => {
  it('echoes a refused endpoint only as its origin: no path, query or credentials', () => {
    expect(() => checkEndpoint('http://10.0.0.5:8080/v1/secret-path?token=abc123', 'VPCEP_ENDPOINT')).toThrow(
      'VPCEP_ENDPOINT "http://10.0.0.5:8080" uses http:// with a host that is not loopback',
    );
    expect(() => checkEndpoint('https://user:hunter2@vpcep.example.com/x')).toThrow(
      /must not carry a user name or password \(https:\/\/vpcep\.example\.com\)/,
    );
    expect(() => checkEndpoint('ftp://vpcep.example.com/?token=abc123')).toThrow(
      'endpoint "ftp://vpcep.example.com" must use https://',
    );
  });

  it('cuts a long value short and masks credentials in one that is not a URL', () => {
    const long = `https://${'a'.repeat(200)}.example.com`;
    expect(shownEndpoint(long)).toHaveLength(80);
    expect(shownEndpoint(long).endsWith('…')).toBe(true);
    expect(shownEndpoint('not a url //me:pw@host')).toBe('not a url //***@host');
    expect(() => checkEndpoint('//me:pw@host nonsense')).toThrow(/"\/\/\*\*\*@host nonsense" is not a URL/);
  });
});
