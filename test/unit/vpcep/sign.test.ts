import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import fc from 'fast-check';

import {
  canonicalQueryString,
  canonicalUri,
  encodeRfc3986,
  formatSdkDate,
  parseSdkDate,
  signRequest,
  verifySignature,
} from '../../../lib/vpcep/sign';

/** Huawei's documented example (API signing guide, "Signing Procedure"). */
const DOC = {
  ak: 'QTWAOYTTINDUT2QVKYUC',
  sk: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc',
  date: new Date('2019-11-15T03:36:55Z'),
  host: 'service.region.example.com',
  path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
  query: { limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0' },
  authorization:
    'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
};

interface OfficialRequest {
  method: string;
  endpoint: string;
  headers: Record<string, string>;
  queryParams: Record<string, string | string[]>;
  data?: unknown;
}

/** The official Node.js signer's Authorization header for a request. */
function officialAuthorization(req: OfficialRequest, ak: string, sk: string): string {
  const credential = { getAk: () => ak, getSk: () => sk };
  const headers = AKSKSigner.sign(req, credential as never) as Record<string, string>;
  return headers.Authorization ?? '';
}

describe('signRequest()', () => {
  it("reproduces Huawei's documented example signature", () => {
    const url = `https://${DOC.host}${DOC.path}?limit=2&marker=${DOC.query.marker}`;
    const headers = signRequest(
      { method: 'GET', url, headers: { 'Content-Type': 'application/json' } },
      { ak: DOC.ak, sk: DOC.sk },
      { date: DOC.date },
    );
    expect(headers.Authorization).toBe(DOC.authorization);
    expect(headers['X-Sdk-Date']).toBe('20191115T033655Z');
    expect(headers['Content-Type']).toBe('application/json');
  });

  it('agrees with the official signer on the documented example', () => {
    const official = officialAuthorization(
      {
        method: 'GET',
        endpoint: `https://${DOC.host}${DOC.path}`,
        headers: { 'Content-Type': 'application/json', 'X-Sdk-Date': '20191115T033655Z' },
        queryParams: { ...DOC.query },
      },
      DOC.ak,
      DOC.sk,
    );
    expect(official).toBe(DOC.authorization);
  });

  it('adds X-Project-Id and X-Security-Token and signs them', () => {
    const headers = signRequest(
      { method: 'GET', url: `https://${DOC.host}/v1/p1/vpc-endpoint-services`, headers: {} },
      { ak: 'AK', sk: 'SK', securityToken: 'tok' },
      { date: DOC.date, projectId: 'p1' },
    );
    expect(headers['X-Project-Id']).toBe('p1');
    expect(headers['X-Security-Token']).toBe('tok');
    expect(headers.Authorization).toContain('SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,');
  });

  it('hashes the exact body bytes (a string body is not JSON-quoted, unlike the official signer)', () => {
    const req = { method: 'POST', url: `https://${DOC.host}/v1/p/x`, headers: { 'content-type': 'application/json' } };
    const asString = signRequest({ ...req, body: '{"a":1}' }, { ak: 'a', sk: 's' }, { date: DOC.date });
    const asBytes = signRequest(
      { ...req, body: new TextEncoder().encode('{"a":1}') },
      { ak: 'a', sk: 's' },
      { date: DOC.date },
    );
    const official = officialAuthorization(
      {
        method: 'POST',
        endpoint: req.url,
        headers: { 'content-type': 'application/json', 'X-Sdk-Date': '20191115T033655Z' },
        queryParams: {},
        data: { a: 1 },
      },
      'a',
      's',
    );
    expect(asString.Authorization).toBe(asBytes.Authorization);
    expect(asString.Authorization).toBe(official);
  });

  it('matches the official signer on generated requests', () => {
    // Characters the official signer's url.parse() would itself escape (and so double-encode) are
    // left out of path segments, and "." / ".." (which URL normalises away); query names and
    // values, header values and bodies take any text.
    const pathChar = fc.oneof(
      fc.constantFrom(...'abcXYZ019-_.~!$&()*+,;=:@'.split('')),
      fc.constantFrom('é', 'ü', 'Ж', '中', '😀', 'ß'),
    );
    const segment = fc.string({ unit: pathChar, minLength: 1, maxLength: 8 }).filter((s) => s !== '.' && s !== '..');
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const queryName = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((s) => s !== '__proto__');
    const headerName = fc.stringMatching(/^x-[a-z][a-z0-9-]{0,10}$/);
    const headerValue = fc
      .string({ unit: fc.constantFrom(...'abc XYZ 0-9/=;,:é中'.split('')), maxLength: 16 })
      .map((s) => s.trim());
    const body = fc.option(
      fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.oneof(text, fc.integer(), fc.boolean(), fc.array(text, { maxLength: 3 })),
      ),
      { nil: undefined },
    );

    let count = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.tuple(queryName, text), { maxLength: 6 }),
        fc.uniqueArray(fc.tuple(headerName, headerValue), { selector: ([n]) => n, maxLength: 4 }),
        body,
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }),
        (method, segments, trailingSlash, query, headerPairs, data, date, sk) => {
          count++;
          const path = `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
          const queryParams: Record<string, string | string[]> = Object.create(null);
          for (const [k, v] of query) {
            const prev = queryParams[k];
            queryParams[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
          }
          // Repeated names: the same value may appear twice, as on the wire.
          const wireQuery = query.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`).join('&');
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            ...Object.fromEntries(headerPairs),
          };
          const sdkDate = formatSdkDate(date);
          const official = officialAuthorization(
            {
              method,
              endpoint: `https://${DOC.host}${path}`,
              headers: { ...headers, 'X-Sdk-Date': sdkDate },
              queryParams: { ...queryParams },
              data,
            },
            DOC.ak,
            sk,
          );
          const ours = signRequest(
            {
              method,
              url: `https://${DOC.host}${path.split('/').map(encodeRfc3986).join('/')}${wireQuery ? `?${wireQuery}` : ''}`,
              headers,
              body: data === undefined ? undefined : JSON.stringify(data),
            },
            { ak: DOC.ak, sk },
            { date },
          );
          expect(ours.Authorization).toBe(official);
        },
      ),
      { numRuns: 600 },
    );
    console.log(`signRequest() matched the official AKSKSigner on ${count} generated requests`);
    expect(count).toBeGreaterThanOrEqual(500);
  });
});

describe('verifySignature()', () => {
  const secrets: Record<string, string> = { AK1: 'secret-1' };
  const lookup = (ak: string) => secrets[ak];
  const now = new Date('2026-11-26T08:00:00Z');

  function signed(overrides: { body?: string; date?: Date } = {}) {
    const req = {
      method: 'PUT',
      url: 'http://127.0.0.1:8080/v1/p/vpc-endpoint-services/s1?a=1&b=x%20y',
      headers: { 'Content-Type': 'application/json' },
      body: overrides.body ?? '{"x":1}',
    };
    const headers = signRequest(req, { ak: 'AK1', sk: 'secret-1' }, { date: overrides.date ?? now, projectId: 'p' });
    // As a server sees it: lower-case names, a Host header, a path-only URL.
    const incoming: Record<string, string> = { host: '127.0.0.1:8080' };
    for (const [k, v] of Object.entries(headers)) incoming[k.toLowerCase()] = v;
    return { method: 'PUT', url: '/v1/p/vpc-endpoint-services/s1?a=1&b=x%20y', headers: incoming, body: req.body };
  }

  it('accepts a request signed by signRequest(), whatever the header case', () => {
    expect(verifySignature(signed(), lookup, { now })).toEqual({ ok: true, ak: 'AK1' });
    const upper = signed();
    upper.headers = Object.fromEntries(Object.entries(upper.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifySignature(upper, lookup, { now })).toEqual({ ok: true, ak: 'AK1' });
  });

  it('rejects a changed body, path, query or signed header', () => {
    const body = { ...signed(), body: '{"x":2}' };
    const path = { ...signed(), url: '/v1/p/vpc-endpoint-services/s2?a=1&b=x%20y' };
    const query = { ...signed(), url: '/v1/p/vpc-endpoint-services/s1?a=2&b=x%20y' };
    const header = signed();
    header.headers['x-project-id'] = 'other';
    for (const req of [body, path, query, header])
      expect(verifySignature(req, lookup, { now })).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('rejects an unknown AK, a stale date and a missing or malformed Authorization without naming secrets', () => {
    const unknown = signed();
    unknown.headers.authorization = (unknown.headers.authorization ?? '').replace('Access=AK1', 'Access=AK2');
    const missing = signed();
    delete missing.headers.authorization;
    const results = [
      verifySignature(unknown, lookup, { now }),
      verifySignature(signed({ date: new Date(now.getTime() - 16 * 60 * 1000) }), lookup, { now }),
      verifySignature(missing, lookup, { now }),
      verifySignature({ ...signed(), headers: { ...signed().headers, authorization: 'Bearer x' } }, lookup, { now }),
    ];
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    for (const r of results) if (!r.ok) expect(r.reason).not.toMatch(/AK1|AK2|secret-1/);
    expect(results[1]).toEqual({ ok: false, reason: expect.stringContaining('X-Sdk-Date') });
  });

  it('rejects a signature that leaves out host or x-sdk-date', () => {
    const req = signed();
    req.headers.authorization = (req.headers.authorization ?? '').replace(
      /SignedHeaders=[^,]+/,
      'SignedHeaders=content-type;host',
    );
    expect(verifySignature(req, lookup, { now })).toEqual({
      ok: false,
      reason: 'SignedHeaders must include x-sdk-date',
    });
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.dictionary(fc.string(), fc.string()), (method, url, headers) => {
        const result = verifySignature({ method, url, headers }, () => {
          throw new Error('boom');
        });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('signing helpers', () => {
  it('formats and parses X-Sdk-Date', () => {
    expect(formatSdkDate(DOC.date)).toBe('20191115T033655Z');
    expect(parseSdkDate('20191115T033655Z')).toEqual(DOC.date);
    expect(parseSdkDate('2019-11-15T03:36:55Z')).toBeUndefined();
  });

  it('encodes path segments and the query as RFC 3986 with a trailing slash', () => {
    expect(canonicalUri('/v1/a%20b/c')).toBe('/v1/a%20b/c/');
    expect(canonicalUri('/v1/x/')).toBe('/v1/x/');
    expect(canonicalQueryString(new URLSearchParams('b=2&a=z&a=y&c=&d=a%2Fb%20c'))).toBe('a=y&a=z&b=2&c=&d=a%2Fb%20c');
    expect(encodeRfc3986("!'()*~ é")).toBe('%21%27%28%29%2A~%20%C3%A9');
  });
});
