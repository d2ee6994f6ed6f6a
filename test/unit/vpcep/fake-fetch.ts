/**
 * A fake `fetch` for client tests: routes requests to a handler, records them, and checks every
 * request's AK/SK signature with verifySignature, as the API gateway would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { FetchInit, FetchLike, FetchResponseLike } from '../../../lib/vpcep/http';
import { verifySignature } from '../../../lib/vpcep/sign';

export const AK = 'TESTAKEXAMPLE0000001';
export const SK = 'test-secret-key-do-not-leak';
export const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const NOW = new Date('2026-11-26T08:00:00Z');

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

export type Reply =
  { status?: number; body?: unknown; raw?: string; headers?: Record<string, string> } | Error | 'hang';
export type Responder = (req: RecordedRequest, index: number) => Reply;

/** Reads an example payload of the API reference (test/fixtures/api). */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/api', name), 'utf8'));
}

/** A fetch that answers with `handler` and records what it received. */
export function fakeFetch(
  handler: Responder,
  options: { checkSignature?: boolean } = {},
): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url: string, init: FetchInit): Promise<FetchResponseLike> => {
    const parsed = new URL(url);
    const req: RecordedRequest = {
      method: init.method,
      url: parsed,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.parse(init.body),
    };
    requests.push(req);
    if (options.checkSignature !== false) {
      const verdict = verifySignature(
        { method: init.method, url, headers: { ...init.headers, host: parsed.host }, body: init.body },
        (ak) => (ak === AK ? SK : undefined),
        { now: NOW },
      );
      if (!verdict.ok) return respond({ status: 401, body: { error_code: 'APIGW.0301', error_msg: verdict.reason } });
    }
    const reply = handler(req, requests.length - 1);
    if (reply === 'hang') {
      return new Promise((_, reject) =>
        init.signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })),
        ),
      );
    }
    if (reply instanceof Error) throw reply;
    return respond(reply);
  };
  return { fetch, requests };
}

function respond(reply: {
  status?: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}): FetchResponseLike {
  const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status: reply.status ?? 200,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
    text: async () => reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)),
  };
}

/** A network error as node-fetch reports one. */
export function networkError(code: string): Error {
  return Object.assign(new Error(`request failed, reason: ${code}`), { name: 'FetchError', code });
}
