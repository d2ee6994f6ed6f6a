import { createServer, IncomingHttpHeaders, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A VPCEP that misbehaves, in front of the simulator: a server on 127.0.0.1 (port 0) that
 * forwards each request to the simulator unchanged unless the test's `tamper` answers it (the
 * API refusing a request, or answering what no honest VPCEP would), and records every request.
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
  const target = new URL(upstream);
  const seen: ProxiedRequest[] = [];
  const send = (method: string, url: string, headers: IncomingHttpHeaders, raw: Buffer) =>
    new Promise<ProxyAnswer>((resolve, reject) => {
      const req = request(
        { host: target.hostname, port: target.port, method, path: url, headers: { ...headers, host: target.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 502, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(raw);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const seenRequest: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body: raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown),
      };
      seen.push(seenRequest);
      const forward = () => send(seenRequest.method, req.url ?? '/', req.headers, raw);
      tamper(seenRequest, forward)
        .then((answer) => answer ?? forward())
        .then(
          (answer) => {
            res.writeHead(answer.status, { 'Content-Type': 'application/json' });
            res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
          },
          (err: unknown) => {
            res.writeHead(502, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ error_code: 'PROXY', error_msg: String(err) }));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
