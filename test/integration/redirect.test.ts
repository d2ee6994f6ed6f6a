import { readFileSync } from 'node:fs';

import { runCaptured } from '../support/capture';
import { listen, TestServer } from '../support/http-server';
import { tempFiles } from '../support/simulator';

/**
 * An endpoint that redirects (CONTRACT section 1, hardening): VPCEP never answers 3xx, so the
 * client follows no redirect. Two servers on 127.0.0.1: the endpoint answers every request with
 * a 307 to the other, which records what reaches it. Nothing may: no credential header, no body.
 */

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const files = tempFiles('vpcep-redirect-', {
  'policy.yaml': ['version: 1', 'services:', '  - rule: all', '    match: { name: "*" }', '    allow: []', ''].join(
    '\n',
  ),
});

describe('an endpoint that answers with a redirect', () => {
  let elsewhere: TestServer;
  let endpoint: TestServer;
  beforeEach(async () => {
    elsewhere = await listen(() => ({ status: 200 }));
    endpoint = await listen((req) => ({
      status: 307,
      headers: { Location: `${elsewhere.url}${req.url}?token=should-not-be-shown` },
    }));
  });
  afterEach(async () => {
    await Promise.all([endpoint.close(), elsewhere.close()]);
  });

  it.each([
    ['a token', { HUAWEICLOUD_SDK_AUTH_TOKEN: 'token-that-must-stay-home' }],
    [
      'AK/SK and a security token',
      {
        HUAWEICLOUD_SDK_AK: 'AKREDIRECTTEST0001',
        HUAWEICLOUD_SDK_SK: 'sk-redirect',
        HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sts-token',
      },
    ],
  ])(
    'with %s: fails once, names the status and the Location origin, sends nothing to the other host',
    async (_, auth) => {
      const run = await runCaptured(['services'], {
        VPCEP_ENDPOINT: endpoint.url,
        HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
        ...auth,
      });
      expect(run.code).toBe(1);
      expect(run.err).toContain('HTTP 307');
      expect(run.err).toContain(`Location ${elsewhere.url}`);
      expect(run.err).toContain('--endpoint');
      expect(run.err).not.toContain('should-not-be-shown');
      expect(endpoint.seen).toHaveLength(1); // not retried
      expect(elsewhere.seen).toEqual([]);
    },
  );

  it('apply takes no action and sends nothing to the other host', async () => {
    const run = await runCaptured(
      ['apply', '--policy', files.path('policy.yaml'), '--audit-file', files.path('audit.jsonl'), '--json'],
      {
        VPCEP_ENDPOINT: endpoint.url,
        HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
        HUAWEICLOUD_SDK_AUTH_TOKEN: 'token-that-must-stay-home',
      },
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('HTTP 307');
    expect(elsewhere.seen).toEqual([]);
    expect(endpoint.seen.every((r) => r.method === 'GET')).toBe(true);
  });
});

describe('a redirect whose Location the server chose to carry what it was sent', () => {
  const AK = 'AKREDIRECTECHO000001';
  const TOKEN = 'Mixed-Case-Token-Echoed';
  let endpoint: TestServer;
  afterEach(async () => endpoint.close());

  it.each([
    [
      'the AK, in the host (lowercased by URL parsing)',
      `http://${AK}.elsewhere.example/`,
      { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: 'sk-echo' },
      AK,
    ],
    ['the token, in the host', `https://${TOKEN}.elsewhere.example/`, { HUAWEICLOUD_SDK_AUTH_TOKEN: TOKEN }, TOKEN],
  ])('never prints %s', async (_, location, auth, secret) => {
    endpoint = await listen(() => ({ status: 302, headers: { Location: location } }));
    const run = await runCaptured(
      ['apply', '--policy', files.path('policy.yaml'), '--audit-file', files.path('echo.jsonl')],
      { VPCEP_ENDPOINT: endpoint.url, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT, ...auth },
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('HTTP 302');
    expect(run.err).toContain('[redacted].elsewhere.example');
    const everything = `${run.out}${run.err}${readFileSync(files.path('echo.jsonl'), 'utf8')}`.toLowerCase();
    expect(everything).not.toContain(secret.toLowerCase());
  });

  it('names the scheme of an opaque Location (no origin to name)', async () => {
    endpoint = await listen(() => ({ status: 301, headers: { Location: 'javascript:alert(1)' } }));
    const run = await runCaptured(['services'], {
      VPCEP_ENDPOINT: endpoint.url,
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
      HUAWEICLOUD_SDK_AUTH_TOKEN: 'token-opaque',
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('Location javascript:…');
    expect(run.err).not.toContain('Location null');
  });
});
