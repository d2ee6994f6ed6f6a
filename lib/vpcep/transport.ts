/**
 * The transport of the VPCEP client: sends one authenticated request with a timeout, reads at
 * most 16 MiB of what came back (a larger body is refused before parsing), and turns it into a
 * value (zod-checked) or a failure as data (7.2 error body, network code, Retry-After). It
 * never retries and knows no operation; every text it hands on from the server is scrubbed of
 * the request's secrets (error bodies and schema errors of 2xx answers alike), since a server or
 * a proxy may echo the Authorization header or a token.
 */
import * as z from 'zod';

import type { HuaweiCredentials } from '../model';
import { Clock } from '../time';
import { authenticate } from './auth';
import { requestSecrets, scrubSecrets, VpcepApiError, VpcepFailure } from './errors';
import { FetchLike, FetchResponseLike } from './http';
import { AttemptOutcome } from './retry';
import { describeIssues, errorBodySchema } from './schemas';
import { encodeRfc3986 } from './sign';

export type Query = Record<string, string | number | undefined>;

export interface TransportOptions {
  fetch: FetchLike;
  credentials: HuaweiCredentials;
  projectId: string;
  clock: Clock;
  /** Largest response body read (DEFAULT_MAX_RESPONSE_BYTES); a larger one is refused before parsing. */
  maxResponseBytes?: number;
}

/** 16 MiB: a full page of the largest records is well under 2 MiB; anything near this is not an honest answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** One request, as the retry loop sees it. */
export interface Request {
  method: string;
  url: URL;
  body: string | undefined;
  /** Names the call in messages: `getService (GET https://host/v1/...)`. */
  where: string;
  operation: string;
}

/** What one attempt gave: the parsed value or a failure, with the request id when the server sent one. */
export type SendOutcome<T> = AttemptOutcome<T> & {
  requestId?: string;
  cause?: unknown;
  /** On success: the size of the body parsed, in bytes (listings bound what they hold by it). */
  bytes?: number;
};

/** Sends requests and parses their answers; one per client. */
export interface Transport {
  /**
   * Sends `request`; `abort`, when given, cuts it off in flight (a read, when the run is
   * interrupted): the outcome is then a failure marked `interrupted`.
   */
  send<S extends z.ZodType>(
    request: Request,
    schema: S,
    timeoutMs: number,
    abort?: AbortSignal,
  ): Promise<SendOutcome<z.output<S>>>;
}

/** Creates the transport over `fetch`: authenticates each request and parses each answer. */
export function createTransport(options: TransportOptions): Transport {
  const { fetch, credentials, projectId, clock } = options;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return {
    async send(request, schema, timeoutMs, abort) {
      const { method, url, body } = request;
      const headers = authenticate(
        { method, url, headers: { 'Content-Type': 'application/json' }, body },
        credentials,
        {
          date: clock(),
          projectId,
        },
      );
      const secrets = requestSecrets(headers, credentials);
      const scrub = (s: string | undefined) => (s === undefined ? undefined : scrubSecrets(s, secrets));
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let status: number;
      let text: string | undefined;
      let requestId: string | undefined;
      let retryAfter: string | null;
      let location: string | null;
      try {
        const signal = abort ? AbortSignal.any([controller.signal, abort]) : controller.signal;
        const res = await fetch(url.toString(), { method, headers, body, signal });
        text = await readBounded(res, maxBytes);
        // Over the bound: drop the connection rather than read (or wait for) the rest.
        if (text === undefined) controller.abort();
        status = res.status;
        requestId = scrub(res.headers.get('x-request-id') ?? res.headers.get('x-openstack-request-id') ?? undefined);
        retryAfter = res.headers.get('retry-after');
        location = res.headers.get('location');
      } catch (err) {
        if (abort?.aborted)
          return {
            ok: false,
            failure: {
              network: true,
              errorCode: 'INTERRUPTED',
              errorMsg: 'cut off in flight: the run was interrupted',
            },
            interrupted: true,
          };
        if (controller.signal.aborted)
          return {
            ok: false,
            failure: { network: true, errorCode: 'TIMEOUT', errorMsg: `no answer within ${timeoutMs} ms` },
          };
        return {
          ok: false,
          failure: { network: true, errorCode: networkCode(err), errorMsg: 'network error' },
          cause: safeCause(err),
        };
      } finally {
        clearTimeout(timer);
      }
      if (text === undefined) {
        // Refused before parsing, whatever the status: no honest answer is this large.
        return {
          ok: false,
          failure: {
            status,
            errorCode: 'VPCEP_RESPONSE_TOO_LARGE',
            errorMsg: `the response body is larger than ${describeBytes(maxBytes)}, the client's bound; refused before parsing`,
          },
          ...(requestId && { requestId }),
        };
      }
      if (status >= 200 && status < 300) {
        // A schema error is final (retrying brings the same body): thrown, not returned.
        return {
          ok: true,
          value: parseBody(schema, text, request, requestId, scrub),
          bytes: Buffer.byteLength(text),
          ...(requestId && { requestId }),
        };
      }
      if (status >= 300 && status < 400) return { ok: false, failure: redirectFailure(status, location, url, secrets) };
      const parsed = parseErrorBody(text);
      const retryAfterMs = parseRetryAfter(retryAfter, clock());
      return {
        ok: false,
        failure: { status, errorCode: scrub(parsed.errorCode), errorMsg: scrub(parsed.errorMsg) },
        ...(retryAfterMs !== undefined && { retryAfterMs }),
        ...(requestId && { requestId }),
      };
    },
  };
}

/**
 * A 3xx answer as a failure (final: the fetch never follows it, so nothing went to the other
 * host). The message names the status and only the origin of the `Location` (its path or query
 * may carry anything) and points to --endpoint: a derived regional endpoint that moved is the
 * likely cause.
 */
function redirectFailure(status: number, location: string | null, url: URL, secrets: readonly string[]): VpcepFailure {
  let to = 'no Location';
  if (location !== null) {
    try {
      const target = new URL(location, url);
      // An opaque URL (javascript:, data:) has no origin: its scheme says enough.
      const origin = target.origin === 'null' ? `${target.protocol}…` : target.origin;
      // The server chose this text: a credential it received may be in it, and URL parsing
      // lowercases a host, so secrets are looked for in any case.
      to = `Location ${scrubSecrets(origin, secrets, { ignoreCase: true })}`;
    } catch {
      to = 'an unreadable Location';
    }
  }
  return {
    status,
    errorCode: 'VPCEP_REDIRECT',
    errorMsg: `the endpoint answered with a redirect (${to}); VPCEP never redirects and the client does not follow one: set --endpoint (VPCEP_ENDPOINT) to the region's VPCEP endpoint`,
  };
}

/**
 * The body as text, or undefined when it is larger than `maxBytes`: refused on its declared
 * Content-Length before a byte is read, else read chunk by chunk and given up as soon as it passes
 * the bound, so a huge or endless body never sits whole in memory.
 */
async function readBounded(res: FetchResponseLike, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) return undefined;
  if (!res.body) {
    const text = await res.text();
    return Buffer.byteLength(text, 'utf8') > maxBytes ? undefined : text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    size += bytes.length;
    if (size > maxBytes) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `16 MiB` for whole mebibytes, else the byte count. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** The URL of `path` under `base` with `query` encoded exactly as the signature's canonical query encodes it (RFC 3986). */
export function buildUrl(base: URL, path: string, query: Query | undefined): URL {
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  const pairs = Object.entries(query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
  url.search =
    pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(String(v))}`).join('&')}`;
  return url;
}

function parseBody<S extends z.ZodType>(
  schema: S,
  text: string,
  request: Request,
  requestId: string | undefined,
  scrub: (s: string) => string | undefined,
): z.output<S> {
  let json: unknown = undefined;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new VpcepApiError(`${request.where}: the response is not JSON`, {
        operation: request.operation,
        requestId,
        retryable: false,
        code: 'VPCEP_BAD_RESPONSE',
      });
    }
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    // The values found are scrubbed before they are shortened, so no part of a secret survives.
    const issues = describeIssues(result.error, { input: json, scrub: (s) => scrub(s) ?? s });
    throw new VpcepApiError(`${request.where}: the response does not match the API reference: ${scrub(issues)}`, {
      operation: request.operation,
      requestId,
      retryable: false,
      code: 'VPCEP_BAD_RESPONSE',
    });
  }
  return result.data;
}

function parseErrorBody(text: string): { errorCode?: string; errorMsg?: string } {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return { errorCode: parsed.data.error_code, errorMsg: parsed.data.error_msg };
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone describes it.
  }
  return {};
}

/**
 * Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3), in milliseconds from now;
 * undefined when absent or unreadable (a negative number, say). A date in the past gives 0. The
 * retry loop only ever lengthens its backoff with it (retryDelay in retry.ts).
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP date starts with the day's name (IMF-fixdate, RFC 850, asctime); Date.parse alone
  // would read "-1" or "0" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The failure in words: `HTTP 500 EndPoint.0001 "System error"` or `ECONNRESET`. */
export function describeFailure(f: VpcepFailure): string {
  if (f.network)
    return `${f.errorCode ?? 'network error'}${f.errorMsg && f.errorMsg !== 'network error' ? `: ${f.errorMsg}` : ''}`;
  const parts = [`HTTP ${f.status}`];
  if (f.errorCode) parts.push(f.errorCode);
  if (f.errorMsg) parts.push(JSON.stringify(f.errorMsg));
  return parts.join(' ');
}

function networkCode(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.errno ?? e?.cause?.code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'NETWORK';
}

/** The transport error without anything that could carry request headers. */
function safeCause(err: unknown): Error {
  return new Error(`${(err as { name?: string })?.name ?? 'Error'} ${networkCode(err)}`);
}
