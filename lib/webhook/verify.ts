import * as z from 'zod';

import { formatIssues } from '../zod-issues';
import { isSignatureShaped, signatureMatches } from './signature';

/** CONTRACT 4: a body over 64 KiB is refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;
/** CONTRACT 4: a timestamp more than 300 s old (or ahead) is stale: 401. */
export const MAX_SKEW_SECONDS = 300;

/** The body of `POST /review` (CONTRACT 4); unknown keys are refused. */
export const reviewRequestSchema = z.strictObject({
  service_id: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  endpoint_id: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
});
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

/** What the verifier needs of an HTTP request (API Gateway HTTP API v2 / REST v1 events both fit). */
export interface WebhookHttpRequest {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export type WebhookRefusal = {
  ok: false;
  status: 400 | 401 | 413 | 415;
  /** A short stable word for clients and logs. */
  error: 'malformed_body' | 'unauthorized' | 'payload_too_large' | 'unsupported_media_type';
  /** Says what was wrong and where; never contains the secret or the expected signature. */
  message: string;
};
export type WebhookVerdict =
  | {
      ok: true;
      request: ReviewRequest;
      timestamp: number;
      /** The verified `X-Vpcep-Signature` value, lower-cased: the request's identity for idempotency. Never log it. */
      signature: string;
    }
  | WebhookRefusal;

export interface VerifyWebhookOptions {
  secret: string;
  now: Date;
  maxBodyBytes?: number;
  maxSkewSeconds?: number;
}

const refuse = (status: WebhookRefusal['status'], error: WebhookRefusal['error'], message: string): WebhookRefusal => ({
  ok: false,
  status,
  error,
  message,
});

/**
 * Checks a `POST /review` request completely, before anything acts on it (CONTRACT 4):
 * 413 body over 64 KiB, then 401 missing/malformed/stale/wrong signature, then 415 a
 * Content-Type that is not JSON, then 400 a body that is not `{service_id, endpoint_id?}`. A copy
 * of a request already accepted passes here: its signature is its identity for the request store
 * (lib/webhook/answer-once.ts), which answers it.
 * The signature is checked before the body is looked at, so an unauthenticated caller learns
 * nothing about what the endpoint accepts. Header names are case-insensitive; a base64-encoded
 * body (API Gateway does this for some content types) is decoded first and the signature covers
 * the decoded bytes.
 */
export function verifyWebhook(req: WebhookHttpRequest, options: VerifyWebhookOptions): WebhookVerdict {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxSkew = options.maxSkewSeconds ?? MAX_SKEW_SECONDS;
  const headers = lowerCaseHeaders(req.headers);

  const rawBody = req.body ?? '';
  // Base64 inflates by 4/3: refuse a huge encoded body before decoding it.
  if (req.isBase64Encoded && rawBody.length > Math.ceil((maxBodyBytes * 4) / 3) + 4) {
    return refuse(413, 'payload_too_large', `body exceeds ${maxBodyBytes} bytes`);
  }
  const body = req.isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  if (body.length > maxBodyBytes) {
    return refuse(413, 'payload_too_large', `body is ${body.length} bytes, more than ${maxBodyBytes}`);
  }

  const timestampHeader = headers['x-vpcep-timestamp'];
  const signatureHeader = headers['x-vpcep-signature'];
  if (timestampHeader === undefined) return refuse(401, 'unauthorized', 'missing X-Vpcep-Timestamp header');
  if (signatureHeader === undefined) return refuse(401, 'unauthorized', 'missing X-Vpcep-Signature header');
  if (!/^\d{1,12}$/.test(timestampHeader.trim())) {
    return refuse(401, 'unauthorized', 'X-Vpcep-Timestamp must be unix seconds (digits only)');
  }
  const timestamp = Number(timestampHeader.trim());
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (nowSeconds - timestamp > maxSkew) {
    return refuse(401, 'unauthorized', `X-Vpcep-Timestamp is ${nowSeconds - timestamp} s old, more than ${maxSkew} s`);
  }
  if (timestamp - nowSeconds > maxSkew) {
    return refuse(
      401,
      'unauthorized',
      `X-Vpcep-Timestamp is ${timestamp - nowSeconds} s in the future, more than ${maxSkew} s`,
    );
  }
  const signature = signatureHeader.trim();
  if (!isSignatureShaped(signature)) {
    return refuse(401, 'unauthorized', 'X-Vpcep-Signature must be sha256=<64 hex digits>');
  }
  // The signed timestamp is the header's exact text, as the sender formatted it.
  if (!signatureMatches(options.secret, timestampHeader.trim(), body, signature)) {
    return refuse(401, 'unauthorized', 'X-Vpcep-Signature does not match the body and timestamp');
  }

  const contentType = headers['content-type'];
  if (contentType === undefined)
    return refuse(415, 'unsupported_media_type', 'missing Content-Type; send application/json');
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (!/^application\/([\w.-]+\+)?json$/.test(mediaType)) {
    return refuse(
      415,
      'unsupported_media_type',
      `Content-Type ${JSON.stringify(mediaType)} is not JSON; send application/json`,
    );
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return refuse(400, 'malformed_body', `body is not valid JSON: ${(err as Error).message}`);
  }
  const result = reviewRequestSchema.safeParse(parsed);
  if (!result.success) {
    return refuse(400, 'malformed_body', formatIssues(result.error.issues, { root: 'body' }));
  }
  return { ok: true, request: result.data, timestamp, signature: signature.toLowerCase() };
}

function lowerCaseHeaders(headers: WebhookHttpRequest['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = value;
  }
  return out;
}
