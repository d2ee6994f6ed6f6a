import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { DOMAIN_ID_PATTERN } from '../model';
import { Clock, isoSeconds, systemClock } from '../time';
import { serveAdmin } from './admin';
import { matchRoute, SimulatorExtension } from './api';
import { Authenticator } from './auth';
import { noSuchApiError, SimulatorHttpError, vpcepError } from './errors';
import { FaultInjector, FaultOptions } from './faults';
import { ApiSettings } from './handlers/handler';
import { flatHeaders, parseJson, readBody } from './http-request';
import { Inspector, RequestLogEntry, SimulatorStats } from './inspect';
import { isValidated, parseSimulatorState, SimulatorState, SimulatorStateInput } from './state';
import { SimulatorStore } from './store';
import { versionModel } from './versions';

export interface SimulatorOptions {
  /** TCP port; 0 (default) picks a free one. The simulator always binds 127.0.0.1. */
  port?: number;
  /** Initial state (CONTRACT section 5); fields other than ids may be left out. */
  state?: SimulatorStateInput | SimulatorState;
  /** When given, every /v1 request must be signed by one of these (or carry a configured token). */
  credentials?: { ak: string; sk: string }[] | { ak: string; sk: string };
  /** Accepted X-Auth-Token values; when given, requests must authenticate. */
  tokens?: string[];
  /** Newer APIs to serve besides the reference's (`connection-description`); none by default. */
  extensions?: readonly SimulatorExtension[];
  /** Fault injection, deterministic with `seed`. */
  faults?: FaultOptions;
  /** The simulator's clock (service readiness, timestamps, X-Sdk-Date checks, rate windows). */
  clock?: Clock;
  /** Milliseconds a new service stays `creating` before it is `available`; default 0. */
  creatingDelayMs?: number;
  /** Most whitelist records one service may hold (EndPoint.3049); default 500. */
  maxWhitelistRecords?: number;
  /** Request log entries kept (oldest dropped first); default 100,000. */
  maxLogEntries?: number;
  /**
   * Awaited before a /v1 request is served (after its latency, before its route runs): tests
   * hold one request here to reproduce a race deterministically, without sleeps.
   */
  gate?: (request: { method: string; route: string; query: URLSearchParams }) => Promise<void> | void;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:43121`; the API is under `/v1/{project_id}`. */
  url: string;
  /** The project id of every URI. */
  projectId: string;
  /** The project owner's account (domain) id. */
  domainId: string;
  /** A deep copy of the current state, in the state-file shape. */
  state(): SimulatorState;
  /** Every request served so far (bounded), oldest first. */
  log(): RequestLogEntry[];
  /** Counters: requests by route and status, mutations, peak concurrency, faults. */
  stats(): SimulatorStats;
  /** Replaces the fault settings (and restarts the seeded sequence). */
  setFaults(faults: FaultOptions): void;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded VPCEP simulator on 127.0.0.1.
 *
 * @example
 * const sim = await startSimulator({ state: { project_id: 'p1', services: [{ id: 's1' }] }, credentials: { ak: 'AK', sk: 'SK' } });
 * // ... GET `${sim.url}/v1/p1/vpc-endpoint-services` signed with AK/SK ...
 * await sim.stop();
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? systemClock;
  const initial =
    options.state === undefined
      ? parseSimulatorState({})
      : isValidated(options.state)
        ? options.state
        : parseSimulatorState(options.state);
  const store = new SimulatorStore(initial);
  const credentials =
    options.credentials === undefined
      ? []
      : Array.isArray(options.credentials)
        ? options.credentials
        : [options.credentials];
  const auth = new Authenticator({ credentials, tokens: options.tokens ?? [] });
  const faults = new FaultInjector(options.faults, clock);
  const inspector = new Inspector(options.maxLogEntries);
  const extensions = new Set(options.extensions ?? []);
  const settings: ApiSettings = {
    creatingDelayMs: options.creatingDelayMs ?? 0,
    maxWhitelistRecords: options.maxWhitelistRecords ?? 500,
  };
  // What `Simulator` and the /__admin endpoints show.
  const views = {
    state: () => store.snapshot(clock()),
    log: () => inspector.log(),
    stats: () => inspector.snapshot(),
  };
  let base = '';

  /**
   * Serves one request, checking it in the order the gateway and the service do: body size, the
   * version documents, latency, route, gate, authentication, project, injected faults, JSON body,
   * caller domain, then the route's handler. Every answer but /__admin's carries an X-Request-Id
   * and goes into the log.
   */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/__admin/')) return serveAdmin(method, url.pathname, res, views);

    const arrived = clock();
    const started = performance.now();
    inspector.begin();
    let status = 200;
    let payload: unknown;
    let mutated = false;
    let routeName = `${method} (no route)`;
    let fault: RequestLogEntry['fault'];
    let headers: Record<string, string> = {};
    try {
      const raw = await readBody(req);
      const segments = url.pathname.split('/').filter((s) => s !== '');
      if (segments.length === 0 && method === 'GET') {
        routeName = 'GET /';
        payload = { versions: [versionModel(base)] };
      } else if (segments.length === 1 && method === 'GET') {
        routeName = 'GET /{version}';
        if (segments[0] !== 'v1') throw vpcepError('EndPoint.0005', `version ${segments[0]}`);
        payload = { version: versionModel(base) };
      } else if (segments[0] !== 'v1' || segments.length < 3) {
        throw noSuchApiError();
      } else {
        const latency = faults.latencyMs;
        if (latency > 0) await sleep(latency);
        const requestHeaders = flatHeaders(req);
        let match: ReturnType<typeof matchRoute>;
        try {
          match = matchRoute(method, segments.slice(2), extensions);
        } catch {
          throw vpcepError('EndPoint.0002', 'malformed path encoding');
        }
        if (!match || !('route' in match)) throw noSuchApiError();
        routeName = match.route.name;
        if (options.gate) await options.gate({ method, route: routeName, query: url.searchParams });
        const denied = auth.check({ method, url: req.url ?? '/', headers: requestHeaders, body: raw }, clock());
        if (denied) throw denied;
        const projectId = segments[1]!;
        if (projectId !== store.projectId) throw vpcepError('EndPoint.0014', `project ${projectId}`);
        const headerProject = requestHeaders['x-project-id'];
        if (headerProject !== undefined && headerProject !== store.projectId)
          throw vpcepError('EndPoint.0014', `X-Project-Id ${headerProject}`);
        const decision = faults.decide(projectId, method, match.route.operation);
        if (decision) {
          fault = decision.kind;
          throw decision.error;
        }
        const body = parseJson(method, raw);
        const callerDomain = requestHeaders['x-domain-id'] ?? store.domainId;
        if (!DOMAIN_ID_PATTERN.test(callerDomain)) throw vpcepError('EndPoint.0002', 'X-Domain-Id');
        const result = match.route.handler(
          store,
          { params: match.params, query: url.searchParams, body, now: clock(), callerDomain },
          settings,
        );
        status = result.status;
        payload = result.body;
        mutated = result.mutated;
      }
    } catch (err) {
      const e = err instanceof SimulatorHttpError ? err : internalError(err);
      status = e.status;
      payload = e.body;
      headers = e.headers;
    }
    const requestId = randomUUID();
    const text = payload === undefined ? '' : JSON.stringify(payload);
    res.writeHead(status, {
      ...headers,
      'x-request-id': requestId,
      ...(text === ''
        ? {}
        : { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) }),
    });
    res.end(text);
    const errorCode = status >= 400 ? (payload as { error_code?: string } | undefined)?.error_code : undefined;
    inspector.end({
      time: isoSeconds(arrived),
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      route: routeName,
      status,
      mutated,
      ...(errorCode ? { error_code: errorCode } : {}),
      ...(fault ? { fault } : {}),
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // handle() answers every error itself; this only guards against a broken socket.
      if (!res.headersSent) res.writeHead(500).end();
      void err;
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    projectId: store.projectId,
    domainId: store.domainId,
    ...views,
    setFaults: (f) => faults.set(f),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function internalError(err: unknown): SimulatorHttpError {
  process.emitWarning(
    `vpcep simulator: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  return vpcepError('EndPoint.0001', 'internal error');
}
