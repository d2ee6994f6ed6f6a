/**
 * A small HTTP server on 127.0.0.1 (port 0) that a test starts to play a misbehaving API
 * (redirecting, endless, huge, lying, throttling, slow): it reads each request whole, records
 * it, and answers with what the test's handler says, or lets the handler answer (or hold) the
 * response itself.
 */
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A request as the server received it, body read whole. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer: a status (200), headers, and a body (a string as it is, anything else as JSON; none: `{}`). */
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Answers one request. Returning nothing means the handler answers `res` itself (streams a body,
 * or holds the request until the client gives up); `res` errors are ignored, since a client that
 * went away is what such tests are about.
 */
export type RequestHandler = (
  req: ReceivedRequest,
  res: ServerResponse,
) => Answer | undefined | Promise<Answer | undefined>;

export interface TestServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request received, oldest first. */
  seen: ReceivedRequest[];
  /** Stops listening and drops every open connection (held requests too). */
  close: () => Promise<void>;
}

/** Starts a server on 127.0.0.1 that answers with `handler`. */
export async function listen(handler: RequestHandler): Promise<TestServer> {
  const seen: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    res.on('error', () => {});
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(received);
      void Promise.resolve(handler(received, res)).then(
        (answer) => {
          if (answer === undefined) return;
          const body = answer.body === undefined ? '{}' : answer.body;
          res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json', ...answer.headers });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Headers that describe one hop of a connection, not the request: never passed on. */
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * Sends `req` on to `base` (an unauthenticated simulator, say) and returns its answer, so a
 * handler can misbehave on some routes and pass the rest through.
 */
export async function forward(req: ReceivedRequest, base: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string' && !HOP_HEADERS.has(name)) headers[name] = value;
  const res = await fetch(`${base}${req.url}`, {
    method: req.method,
    headers,
    ...(req.method !== 'GET' && req.method !== 'HEAD' && { body: req.body }),
  });
  return {
    status: res.status,
    headers: { 'Content-Type': res.headers.get('content-type') ?? 'application/json' },
    body: await res.text(),
  };
}
