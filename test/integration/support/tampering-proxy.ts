import { forward, listen } from '../../support/http-server';

/**
 * A VPCEP that misbehaves, in front of the simulator: a test server on 127.0.0.1
 * (test/support/http-server.ts) that forwards each request to the simulator unchanged unless
 * the test's `tamper` answers it (the API refusing a request, or answering what no honest VPCEP
 * would), and records every request.
 */
export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The JSON body, parsed (undefined when there is none). */
  body: unknown;
}

export interface ProxyAnswer {
  status: number;
  body: unknown;
}

/**
 * What the proxy answers `req` with: undefined to forward it unchanged; otherwise an answer of
 * the test's own, which may first `forward()` the request (so the simulator carries it out) and
 * then rewrite what came back.
 */
export type Tamper = (req: ProxiedRequest, forward: () => Promise<ProxyAnswer>) => Promise<ProxyAnswer | undefined>;

export interface TamperingProxy {
  url: string;
  /** Every request the proxy received, in order. */
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

/** Starts a proxy to `upstream` (the simulator's base URL); stop it with `close()`. */
export async function startTamperingProxy(upstream: string, tamper: Tamper): Promise<TamperingProxy> {
  const seen: ProxiedRequest[] = [];
  const parse = (text: string) => (text === '' ? undefined : (JSON.parse(text) as unknown));
  const server = await listen(async (req) => {
    const proxied: ProxiedRequest = { method: req.method, path: req.path, query: req.query, body: parse(req.body) };
    seen.push(proxied);
    const pass = async (): Promise<ProxyAnswer> => {
      const answer = await forward(req, upstream);
      return { status: answer.status ?? 200, body: parse(answer.body as string) };
    };
    try {
      const answer = (await tamper(proxied, pass)) ?? (await pass());
      return { status: answer.status, body: answer.body === undefined ? '' : answer.body };
    } catch (err) {
      return { status: 502, body: { error_code: 'PROXY', error_msg: String(err) } };
    }
  });
  return { url: server.url, seen, close: server.close };
}
