/**
 * The HTTP transport the client needs, as a small interface (so tests pass a fake), and the
 * production one: node-fetch with keep-alive agents, so a listing of many pages or a sweep of
 * many services reuses its TLS connections, and redirects never followed (VPCEP never
 * redirects; following one would send the credential headers and the request body to another
 * origin, and past the loopback-only rule for http://).
 */
import http from 'node:http';
import https from 'node:https';

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /**
   * The body as a stream of chunks (node-fetch's is a Node stream): when present, the transport
   * reads it chunk by chunk and stops at its byte bound; otherwise it reads `text()` whole.
   */
  body?: AsyncIterable<Uint8Array | string> | null;
}

/** The subset of `fetch` the client uses. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

/** node-fetch (v3, ES module, loaded on first use) with keep-alive agents; a 3xx answer is returned as it is, never followed. */
export function createNodeFetch(): FetchLike {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });
  let loaded: Promise<typeof import('node-fetch')> | undefined;
  return async (url, init) => {
    loaded ??= import('node-fetch');
    const { default: fetch } = await loaded;
    return fetch(url, {
      ...init,
      redirect: 'manual',
      agent: (u: URL) => (u.protocol === 'http:' ? httpAgent : httpsAgent),
    });
  };
}
