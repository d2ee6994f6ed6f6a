import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Vpcep-Signature` is `sha256=` followed by 64 hex digits (CONTRACT 4). */
const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * The HMAC-SHA256 of `timestamp + "." + raw body` with the shared secret, as the
 * `X-Vpcep-Signature` header value (CONTRACT 4).
 *
 * @example
 * signWebhook('s3cret', 1764144000, '{"service_id":"4189d3c2"}') // 'sha256=5c1f...'
 */
export function signWebhook(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `sha256=${hmacOf(secret, String(timestamp), typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('hex')}`;
}

/**
 * Whether `header` is a well-formed signature of `timestamp` and `body` with `secret`.
 * The digests are compared with crypto.timingSafeEqual, so the time taken does not tell
 * how many leading bytes of a forged signature were right.
 */
export function signatureMatches(secret: string, timestamp: string, body: Buffer, header: string): boolean {
  const match = SIGNATURE_PATTERN.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = hmacOf(secret, timestamp, body);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether the header has the `sha256=<64 hex>` shape at all (a 401 either way; the message differs). */
export function isSignatureShaped(header: string): boolean {
  return SIGNATURE_PATTERN.test(header);
}

function hmacOf(secret: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}
