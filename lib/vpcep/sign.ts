/**
 * Huawei Cloud AK/SK request signing, SDK-HMAC-SHA256 (reference section 3.2, "AK/SK
 * Authentication"; the algorithm of Huawei's API Gateway signing SDKs).
 *
 * Canonical request:
 *   METHOD \n
 *   canonical URI (each path segment RFC 3986-encoded, always ending in "/") \n
 *   canonical query (names sorted, values of a repeated name sorted, both RFC 3986-encoded) \n
 *   canonical headers ("name:trimmed value\n" for each signed header, lower-case, sorted) \n
 *   signed header names (";"-joined) \n
 *   hex SHA-256 of the exact body bytes
 * String to sign: "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex SHA-256 of the canonical request.
 * Signature: hex HMAC-SHA256(SK, string to sign).
 *
 * Where Huawei's official Node.js signer (huaweicloud-sdk-core AKSKSigner) has quirks, this module
 * does what the gateway checks instead (test/unit/vpcep/sign.test.ts compares both):
 * - it hashes `JSON.stringify(body)` (so a string body gets quoted); we hash the exact bytes sent;
 * - it re-encodes the already percent-encoded path of `url.parse`; we decode each segment first,
 *   like the gateway, which sees the decoded path;
 * - it does not trim header values; the gateway does (HTTP strips surrounding blanks anyway);
 * - it orders canonical headers with `localeCompare` (ICU order, `_` before `-`); we use
 *   plain code-unit order, the order of its own SignedHeaders list.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { AccessKeyCredentials } from '../model';
import { isoSeconds } from '../time';

export interface SignableRequest {
  method: string;
  /** Absolute URL; for verifySignature a path with query ("/v1/p/x?a=1") is enough. */
  url: string | URL;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Signs a request with AK/SK.
 *
 * Returns the request's headers plus `X-Sdk-Date`, `X-Project-Id` (if given), `X-Security-Token`
 * (if the credentials are temporary) and `Authorization`. Every header of the request and `host`
 * (taken from the URL unless a Host header is given) is signed.
 *
 * @example
 * const headers = signRequest({ method: 'GET', url: 'https://vpcep.tr-west-1.myhuaweicloud.com/v1/p/vpc-endpoint-services', headers: { 'Content-Type': 'application/json' } }, { ak, sk }, { projectId: 'p' });
 */
export function signRequest(
  req: SignableRequest,
  credentials: AccessKeyCredentials,
  options: { date?: Date; projectId?: string } = {},
): Record<string, string> {
  const url = toUrl(req.url);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // Our own headers replace any the caller passed, in whatever case.
    if (!OWN_HEADERS.has(name.toLowerCase())) out[name] = value;
  }
  const sdkDate = formatSdkDate(options.date ?? new Date());
  out['X-Sdk-Date'] = sdkDate;
  if (options.projectId !== undefined) out['X-Project-Id'] = options.projectId;
  if (credentials.securityToken !== undefined) out['X-Security-Token'] = credentials.securityToken;

  const signed = lowerCaseHeaders(out);
  if (!signed.has('host')) signed.set('host', url.host);
  const names = [...signed.keys()].sort();
  const canonical = canonicalRequest(req.method, url, signed, names, req.body);
  const signature = hmacHex(credentials.sk, stringToSign(sdkDate, canonical));
  out.Authorization = `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return out;
}

const OWN_HEADERS = new Set(['x-sdk-date', 'x-project-id', 'x-security-token', 'authorization']);

/**
 * Server side: checks an incoming request's `Authorization` header (used by the simulator).
 * Header lookup is case-insensitive; the signed headers are those named in SignedHeaders, which
 * must include `host` and `x-sdk-date`; the date must be within `maxSkewMs` (default 15 min) of
 * `now`. Never throws; a failure reason never contains the AK, a secret or a signature.
 */
export function verifySignature(
  req: SignableRequest,
  lookupSecret: (ak: string) => string | undefined,
  options: { now?: Date; maxSkewMs?: number } = {},
): { ok: true; ak: string } | { ok: false; reason: string } {
  try {
    const headers = lowerCaseHeaders(req.headers);
    const authorization = headers.get('authorization');
    if (authorization === undefined) return fail('missing Authorization header');
    const match = AUTHORIZATION_PATTERN.exec(authorization.trim());
    if (!match)
      return fail(`Authorization header is not "${SIGNING_ALGORITHM} Access=..., SignedHeaders=..., Signature=..."`);
    const [, ak = '', signedList = '', signature = ''] = match;
    const names = signedList.split(';');
    if (names.some((n) => n === '' || n !== n.toLowerCase()))
      return fail('SignedHeaders must be lower-case names separated by ";"');
    for (const required of ['host', 'x-sdk-date']) {
      if (!names.includes(required)) return fail(`SignedHeaders must include ${required}`);
    }
    const signed = new Map<string, string>();
    for (const name of names) {
      const value = headers.get(name);
      if (value === undefined) return fail(`signed header ${name} is missing from the request`);
      signed.set(name, value);
    }
    const sdkDate = signed.get('x-sdk-date') ?? '';
    const date = parseSdkDate(sdkDate);
    if (date === undefined) return fail('X-Sdk-Date is not a date of the form YYYYMMDDTHHMMSSZ');
    const now = options.now ?? new Date();
    const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    if (Math.abs(now.getTime() - date.getTime()) > maxSkewMs)
      return fail(`X-Sdk-Date is more than ${Math.round(maxSkewMs / 1000)} s away from the server's clock`);
    let sk: string | undefined;
    try {
      sk = lookupSecret(ak);
    } catch {
      sk = undefined;
    }
    if (sk === undefined) return fail('unknown access key');
    const url = typeof req.url === 'string' ? new URL(req.url, 'http://placeholder.invalid') : req.url;
    const canonical = canonicalRequest(req.method, url, signed, names, req.body);
    const expected = Buffer.from(hmacHex(sk, stringToSign(sdkDate, canonical)), 'utf8');
    const given = Buffer.from(signature.toLowerCase(), 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return fail('signature does not match');
    return { ok: true, ak };
  } catch {
    return fail('request could not be checked');
  }
}

const AUTHORIZATION_PATTERN =
  /^SDK-HMAC-SHA256\s+Access=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]{64})$/;

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** `X-Sdk-Date` format: `YYYYMMDDTHHMMSSZ` in UTC (e.g. `20191115T033655Z`). */
export function formatSdkDate(date: Date): string {
  return isoSeconds(date).replace(/[-:]/g, '');
}

/** Parses `YYYYMMDDTHHMMSSZ`; undefined when malformed. */
export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes of `value`: everything but `A-Z a-z 0-9 - _ . ~`
 * becomes `%XX` (upper-case hex). Used for path segments, query names and values.
 */
export function encodeRfc3986(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += UNRESERVED[byte] ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const UNRESERVED: boolean[] = Array.from(
  { length: 256 },
  (_, b) => /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) && b < 128,
);

/** Canonical URI: each segment of the (decoded) path re-encoded, with a trailing "/". */
export function canonicalUri(pathname: string): string {
  const path = pathname
    .split('/')
    .map((segment) => encodeRfc3986(safeDecode(segment)))
    .join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * Canonical query: names sorted, then the values of each name sorted (UTF-16 code-unit order,
 * as the official Node.js and Java signers sort), each pair `name=value`, RFC 3986-encoded.
 */
export function canonicalQueryString(params: URLSearchParams): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) {
    const values = byName.get(name);
    if (values) values.push(value);
    else byName.set(name, [value]);
  }
  const pairs: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    for (const value of (byName.get(name) ?? []).sort()) pairs.push(`${encodeRfc3986(name)}=${encodeRfc3986(value)}`);
  }
  return pairs.join('&');
}

function canonicalRequest(
  method: string,
  url: URL,
  signed: Map<string, string>,
  names: string[],
  body: string | Uint8Array | undefined,
): string {
  const headerLines = names.map((n) => `${n}:${(signed.get(n) ?? '').trim()}\n`).join('');
  return [
    method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQueryString(url.searchParams),
    headerLines,
    names.join(';'),
    sha256Hex(body ?? ''),
  ].join('\n');
}

function stringToSign(sdkDate: string, canonical: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

function lowerCaseHeaders(
  headers: Record<string, string | number | readonly string[] | undefined>,
): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    map.set(name.toLowerCase(), Array.isArray(value) ? value.join(',') : String(value));
  }
  return map;
}

function toUrl(url: string | URL): URL {
  return typeof url === 'string' ? new URL(url) : url;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
