import { createHmac } from 'node:crypto';
import fc from 'fast-check';

import { signWebhook } from '../../../lib/webhook/signature';
import { MAX_BODY_BYTES, verifyWebhook, WebhookHttpRequest } from '../../../lib/webhook/verify';
import { PAYMENTS as SERVICE_ID } from '../../support/ids';

const SECRET = 'whsec-test-1f2e3d';
const NOW = new Date('2026-11-26T08:00:00Z');
const NOW_S = NOW.getTime() / 1000;

/** A request signed as the contract says, with overridable parts. */
function signedRequest(
  parts: { body?: string; timestamp?: number; headers?: Record<string, string>; secret?: string } = {},
): WebhookHttpRequest {
  const body = parts.body ?? JSON.stringify({ service_id: SERVICE_ID });
  const timestamp = parts.timestamp ?? NOW_S;
  return {
    headers: {
      'content-type': 'application/json',
      'x-vpcep-timestamp': String(timestamp),
      'x-vpcep-signature': signWebhook(parts.secret ?? SECRET, timestamp, body),
      ...parts.headers,
    },
    body,
    isBase64Encoded: false,
  };
}

const verify = (req: WebhookHttpRequest, extra: Partial<Parameters<typeof verifyWebhook>[1]> = {}) =>
  verifyWebhook(req, { secret: SECRET, now: NOW, ...extra });

describe('signWebhook()', () => {
  it('is sha256= and the hex HMAC-SHA256 of timestamp "." raw body', () => {
    const body = '{"service_id":"x"}';
    const expected = createHmac('sha256', SECRET).update(`1764144000.${body}`).digest('hex');
    expect(signWebhook(SECRET, 1764144000, body)).toBe(`sha256=${expected}`);
  });
});

describe('verifyWebhook()', () => {
  it('accepts a correctly signed request and returns the parsed body', () => {
    const req = signedRequest();
    expect(verify(req)).toEqual({
      ok: true,
      request: { service_id: SERVICE_ID },
      timestamp: NOW_S,
      signature: req.headers!['x-vpcep-signature'],
    });
  });

  it('returns the signature lower-cased, so copies differing in hex case are one request', () => {
    const req = signedRequest();
    const upper = req.headers!['x-vpcep-signature']!.replace(/[0-9a-f]{64}$/, (hex) => hex.toUpperCase());
    expect(verify({ ...req, headers: { ...req.headers, 'x-vpcep-signature': upper } })).toMatchObject({
      ok: true,
      signature: req.headers!['x-vpcep-signature'],
    });
  });

  it('accepts an endpoint_id and headers in any letter case', () => {
    const body = JSON.stringify({ service_id: SERVICE_ID, endpoint_id: 'adb7b229-1b85-4d83-a5b4-97d8e3f1d0a1' });
    const req = signedRequest({ body });
    const shouted = Object.fromEntries(Object.entries(req.headers!).map(([k, v]) => [k.toUpperCase(), v]));
    expect(
      verify({ ...req, headers: { ...shouted, 'Content-Type': 'application/json; charset=utf-8' } }),
    ).toMatchObject({
      ok: true,
      request: { service_id: SERVICE_ID, endpoint_id: 'adb7b229-1b85-4d83-a5b4-97d8e3f1d0a1' },
    });
  });

  it('decodes a base64-encoded API Gateway body and checks the signature over the decoded bytes', () => {
    const req = signedRequest();
    const encoded = { ...req, body: Buffer.from(req.body!, 'utf8').toString('base64'), isBase64Encoded: true };
    expect(verify(encoded)).toMatchObject({ ok: true, request: { service_id: SERVICE_ID } });
  });

  describe('401', () => {
    it.each([
      ['timestamp', 'x-vpcep-timestamp', /missing X-Vpcep-Timestamp/],
      ['signature', 'x-vpcep-signature', /missing X-Vpcep-Signature/],
    ])('refuses a missing %s header', (_what, header, message) => {
      const req = signedRequest();
      delete req.headers![header];
      expect(verify(req)).toMatchObject({
        ok: false,
        status: 401,
        error: 'unauthorized',
        message: expect.stringMatching(message),
      });
    });

    it('refuses a signature made with another secret', () => {
      expect(verify(signedRequest({ secret: 'not-the-secret' }))).toMatchObject({
        status: 401,
        message: expect.stringMatching(/does not match/),
      });
    });

    it('refuses a body changed after signing', () => {
      const req = signedRequest();
      expect(
        verify({ ...req, body: JSON.stringify({ service_id: 'ffffffff-8882-4871-a3c2-d380272eed88' }) }),
      ).toMatchObject({ status: 401 });
    });

    it('refuses a signature not of the form sha256=<64 hex>', () => {
      for (const bad of [
        '',
        'md5=abc',
        'sha256=',
        `sha256=${'g'.repeat(64)}`,
        `sha256=${'a'.repeat(63)}`,
        'a'.repeat(64),
      ]) {
        expect(verify(signedRequest({ headers: { 'x-vpcep-signature': bad } }))).toMatchObject({
          status: 401,
          message: expect.stringMatching(/sha256=<64 hex digits>/),
        });
      }
    });

    it('refuses a timestamp that is not unix seconds', () => {
      for (const bad of ['2026-11-26T08:00:00Z', '-5', '1764144000.5', '']) {
        expect(verify(signedRequest({ headers: { 'x-vpcep-timestamp': bad } }))).toMatchObject({
          status: 401,
          message: expect.stringMatching(/unix seconds/),
        });
      }
    });

    it('accepts a timestamp exactly 300 s old or ahead and refuses 301 s (stale or future)', () => {
      expect(verify(signedRequest({ timestamp: NOW_S - 300 }))).toMatchObject({ ok: true });
      expect(verify(signedRequest({ timestamp: NOW_S + 300 }))).toMatchObject({ ok: true });
      expect(verify(signedRequest({ timestamp: NOW_S - 301 }))).toMatchObject({
        status: 401,
        message: expect.stringMatching(/301 s old/),
      });
      expect(verify(signedRequest({ timestamp: NOW_S + 301 }))).toMatchObject({
        status: 401,
        message: expect.stringMatching(/301 s in the future/),
      });
    });

    it('lets a copy of an accepted request through with the same identity: the request store answers copies', () => {
      const req = signedRequest();
      const first = verify(req);
      expect(first).toMatchObject({ ok: true, signature: req.headers!['x-vpcep-signature'] });
      expect(verify(req, { now: new Date(NOW.getTime() + 60_000) })).toEqual(first);
    });

    it('refuses any body that differs from the signed one by one byte', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (id, pos, flip) => {
            const req = signedRequest({ body: JSON.stringify({ service_id: id }) });
            const bytes = Buffer.from(req.body!, 'utf8');
            const i = pos % bytes.length;
            bytes[i] = bytes[i]! ^ flip;
            return verify({ ...req, body: bytes.toString('base64'), isBase64Encoded: true }).ok === false;
          },
        ),
      );
    });

    it('never puts the secret or the expected signature in its message', () => {
      const req = signedRequest({ secret: 'other' });
      const expected = signWebhook(SECRET, NOW_S, req.body!);
      const verdict = verify(req);
      expect(verdict.ok).toBe(false);
      const message = verdict.ok ? '' : verdict.message;
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain(expected.slice(7));
    });
  });

  describe('413', () => {
    it('refuses a body over 64 KiB before checking the signature', () => {
      const big = JSON.stringify({ service_id: SERVICE_ID, pad: 'x'.repeat(MAX_BODY_BYTES) });
      expect(verify(signedRequest({ body: big }))).toMatchObject({
        ok: false,
        status: 413,
        error: 'payload_too_large',
      });
      expect(verify({ headers: {}, body: big })).toMatchObject({ status: 413 });
    });

    it('refuses an over-size base64 body by its decoded size', () => {
      const bytes = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
      expect(verify({ headers: {}, body: bytes.toString('base64'), isBase64Encoded: true })).toMatchObject({
        status: 413,
      });
    });

    it('accepts a body of exactly 64 KiB', () => {
      const head = JSON.stringify({ service_id: SERVICE_ID });
      const body = head + ' '.repeat(MAX_BODY_BYTES - head.length);
      expect(verify(signedRequest({ body }))).toMatchObject({ ok: true });
    });
  });

  describe('415', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
      'refuses Content-Type %s',
      (type) => {
        expect(verify(signedRequest({ headers: { 'content-type': type } }))).toMatchObject({
          status: 415,
          error: 'unsupported_media_type',
          message: expect.stringMatching(/is not JSON/),
        });
      },
    );

    it('refuses a missing Content-Type', () => {
      const req = signedRequest();
      delete req.headers!['content-type'];
      expect(verify(req)).toMatchObject({ status: 415, message: expect.stringMatching(/missing Content-Type/) });
    });

    it('accepts application/<vendor>+json', () => {
      expect(verify(signedRequest({ headers: { 'content-type': 'application/vnd.vpcep+json' } }))).toMatchObject({
        ok: true,
      });
    });
  });

  describe('400', () => {
    const malformed = (body: string) => verify(signedRequest({ body }));

    it('refuses a body that is not JSON, saying so', () => {
      expect(malformed('{"service_id":')).toMatchObject({
        status: 400,
        error: 'malformed_body',
        message: expect.stringMatching(/not valid JSON/),
      });
      expect(malformed('')).toMatchObject({ status: 400, message: expect.stringMatching(/not valid JSON/) });
    });

    it('names a missing service_id', () => {
      expect(malformed('{}')).toMatchObject({ status: 400, message: expect.stringMatching(/^service_id: /) });
    });

    it('names a service_id that is not a string or is empty', () => {
      expect(malformed('{"service_id":42}')).toMatchObject({
        status: 400,
        message: expect.stringMatching(/service_id: .*string/),
      });
      expect(malformed('{"service_id":""}')).toMatchObject({ status: 400, message: 'service_id: must not be empty' });
    });

    it('names a bad endpoint_id', () => {
      expect(malformed(JSON.stringify({ service_id: SERVICE_ID, endpoint_id: 7 }))).toMatchObject({
        status: 400,
        message: expect.stringMatching(/^endpoint_id: /),
      });
    });

    it('refuses unknown keys, naming them', () => {
      expect(malformed(JSON.stringify({ service_id: SERVICE_ID, action: 'accept' }))).toMatchObject({
        status: 400,
        message: expect.stringMatching(/action/),
      });
    });

    it('refuses a JSON value that is not an object', () => {
      for (const body of ['[]', '"x"', 'null']) {
        expect(malformed(body)).toMatchObject({ status: 400, message: expect.stringMatching(/^body: /) });
      }
    });
  });
});
