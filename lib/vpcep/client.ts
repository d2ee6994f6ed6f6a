/**
 * The Huawei Cloud VPCEP API v1 client: one typed method per operation of the reference
 * (sections 4.1-4.4), signed (AK/SK) or token-authenticated, every page of every listing,
 * responses checked with zod and normalised (CONTRACT.md section 6).
 *
 * Its parts, one concept a file: the operations table (operations.ts: method, path,
 * idempotent, IAM action), the transport (transport.ts: send, parse, errors), the retry loop
 * with its classes and quota (retry.ts) and the process's rate limiter (rate-limiter.ts). This
 * file only ties them together, one method per operation.
 *
 * It knows nothing of policies. Everything it touches from the outside (fetch, clock, sleep,
 * randomness, logger, the rate limiter) is injected, so tests run it against a fake fetch.
 */
import * as z from 'zod';

import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import type { ActionError, Connection, EndpointService, HuaweiCredentials, WhitelistRecord } from '../model';
import { Clock, systemClock } from '../time';
import { isTokenCredentials } from './auth';
import { checkEndpoint } from './endpoint';
import { toActionError, VpcepApiError } from './errors';
import { FetchLike } from './http';
import { checkPathParameter, OperationName, operationPath, OPERATIONS } from './operations';
import { paginate, SharedBound } from './paginate';
import { RateLimiter } from './rate-limiter';
import { callWithRetries, DEFAULT_RETRY_OPTIONS, RetryEnd, RetryOptions, RetryQuota } from './retry';
import {
  ApiVersion,
  connectionActionRequestSchema,
  connectionActionResponseSchema,
  connectionDescriptionsRequestSchema,
  connectionDescriptionsResponseSchema,
  CreateEndpointRequest,
  createEndpointRequestSchema,
  CreateServiceRequest,
  createServiceRequestSchema,
  describeIssues,
  describeServiceResponseSchema,
  endpointServiceSchema,
  getVersionResponseSchema,
  listConnectionsResponseSchema,
  listEndpointsResponseSchema,
  listPublicServicesResponseSchema,
  listServicesResponseSchema,
  listVersionsResponseSchema,
  listWhitelistResponseSchema,
  PublicService,
  Quotas,
  quotasResponseSchema,
  ServiceSummary,
  UpdateServiceRequest,
  updateServiceRequestSchema,
  VpcEndpoint,
  vpcEndpointSchema,
  whitelistActionRequestSchema,
  whitelistActionResponseSchema,
} from './schemas';
import { buildUrl, createTransport, describeFailure, Query, SendOutcome } from './transport';
import { updateWhitelistInHalves } from './whitelist-batches';

export { toActionError, VpcepApiError } from './errors';
export { RateLimiter } from './rate-limiter';
export { RetryQuota } from './retry';
export { checkEndpoint, isLoopbackHost } from './endpoint';
export type { FetchLike, FetchResponseLike, FetchInit } from './http';
export type { RetryOptions } from './retry';

/** Where the client reports retries (never with secrets): the program's Logger, or any console-like object. */
export type ClientLogger = Partial<Pick<Logger, 'debug' | 'warn'>>;

export interface CreateVpcepClientOptions {
  /** Base URL, e.g. `https://vpcep.tr-west-1.myhuaweicloud.com`. `http://` only for loopback hosts. */
  endpoint: string;
  projectId: string;
  credentials: HuaweiCredentials;
  /** How requests are sent: lib/deps.ts gives node-fetch with keep-alive; tests a fake or a local one. */
  fetch: FetchLike;
  clock?: Clock;
  logger?: ClientLogger;
  /** Per-request timeout (AbortController), default 30 s; shortened to what is left before `deadline`. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** The retry quota (default: one of the client's own, AWS SDK standard shape). */
  quota?: RetryQuota;
  /**
   * The rate limiter, shared by every client of the process (lib/deps.ts makes the one a run
   * uses); default: one of the client's own.
   */
  rateLimiter?: RateLimiter;
  /** At most this many requests a second (--max-rate, VPCEP_MAX_RATE); applied to the rate limiter. */
  maxRate?: number;
  /** The run's deadline: no request and no retry starts that could not finish before it (CONTRACT section 1). */
  deadline?: Date;
  /**
   * Once aborted (SIGINT/SIGTERM), no new request and no new retry starts: such a call fails
   * with code INTERRUPTED. A listing page in flight (a read) is cut off at once, so a listing
   * fails with INTERRUPTED too; every other request in flight (an accept, a reject, a whitelist
   * change) runs on to its answer, which the caller records.
   */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Most records of one listing, per listing kind (default DEFAULT_LIST_BOUNDS); tests give small ones. */
  listBounds?: Partial<ListBounds>;
  /** Largest response body read, in bytes (default 16 MiB); a larger one is refused before parsing. */
  maxResponseBytes?: number;
}

/** The record bound of each kind of listing: one more record (or a `total_count` above it) fails the listing. */
export interface ListBounds {
  /** Endpoint services of the project (4.2.5). */
  services: number;
  /** Connections of one endpoint service (4.2.6). */
  connections: number;
  /** Whitelist records of one endpoint service (4.2.8). */
  whitelist: number;
  /** Public endpoint services (4.2.10). */
  publicServices: number;
  /** VPC endpoints of the project (4.3.4). */
  endpoints: number;
  /**
   * Records held at once by all the client's listings in progress, whatever their kind: a run
   * lists many services' connections at once, and so many endless listings must not add up.
   */
  allListings: number;
  /**
   * Bytes of the pages held at once by all the client's listings in progress: records of an
   * honest size are bounded by their count, but one API that sends huge records in pages under
   * the response bound must not add up either.
   */
  allListingsBytes: number;
}

/** A listing kind with its own bound. */
type ListingKind = Exclude<keyof ListBounds, 'allListings' | 'allListingsBytes'>;

/**
 * The default bounds, from the quotas: a project's endpoint services and VPC endpoints are
 * counted against quotas in the hundreds (4.4.1; the reference's example shows 150 and 100), the
 * connections of a service against the endpoint quotas of the projects that connect, and a
 * whitelist stops at EndPoint.3049 (the simulator, like the API, at 500 records). Each bound is
 * far above what a raised quota reaches, so only an API that misbehaves meets one. All listings
 * in progress together hold at most 200,000 records and 64 MiB of pages (an honest service record
 * is under 1 KB: 100,000 of them are about 70 MB), so that a run's many listings at once stay
 * under a 512 MB worker (bench/endless-listing.ts measures it).
 */
export const DEFAULT_LIST_BOUNDS: Readonly<ListBounds> = {
  services: 100_000,
  connections: 100_000,
  whitelist: 10_000,
  publicServices: 100_000,
  endpoints: 100_000,
  allListings: 200_000,
  allListingsBytes: 64 * 1024 * 1024,
};

/** How a bound is named in a listing's error. */
const BOUND_NAMES: Record<keyof ListBounds, string> = {
  services: 'endpoint services of a project',
  connections: 'connections of one service',
  whitelist: 'whitelist records of one service',
  publicServices: 'public endpoint services',
  endpoints: 'VPC endpoints of a project',
  allListings: 'records of all listings in progress at once',
  allListingsBytes: 'bytes of the pages of all listings in progress at once',
};

type SortDir = 'asc' | 'desc';

export interface ListServicesQuery {
  endpoint_service_name?: string;
  id?: string;
  status?: string;
  sort_key?: 'created_at' | 'updated_at';
  sort_dir?: SortDir;
}
export interface ListConnectionsQuery {
  status?: string;
  id?: string;
  marker_id?: number;
  sort_key?: 'created_at' | 'updated_at';
  sort_dir?: SortDir;
}
export interface ListWhitelistQuery {
  permission?: string;
  sort_key?: 'created_at';
  sort_dir?: SortDir;
}
export interface ListPublicServicesQuery {
  endpoint_service_name?: string;
  id?: string;
  sort_key?: 'created_at' | 'updated_at';
  sort_dir?: SortDir;
}
export interface ListEndpointsQuery {
  endpoint_service_name?: string;
  vpc_id?: string;
  id?: string;
  sort_key?: 'created_at' | 'updated_at';
  sort_dir?: SortDir;
}

/** 4.2.9 answers with the permission strings only (no record ids). */
export type WhitelistUpdateResult = Pick<WhitelistRecord, 'permission'>;

export interface ClientStats {
  /** Requests sent, retries included. */
  requests: number;
  /** Operations called (a listing counts each page), retries not included. */
  calls: number;
  /** Requests that repeated an earlier one (after throttling or a transient failure). */
  retries: number;
  /** Answers that were throttling (EndPoint.0022, APIGW.0308, HTTP 429). */
  throttled: number;
  /** Requests sent per operation name. */
  byOperation: Record<string, number>;
}

/**
 * The full client: one method per operation of the reference, and updateConnectionDescriptions
 * of the newer API. The automation calls only listServices, listConnections, acceptOrReject,
 * listWhitelist, updateWhitelistRecords, updateService, updateConnectionDescriptions (with
 * VPCEP_ANNOTATE) and describeError (the engine's client port, lib/engine/ports.ts); the other
 * methods (versions, creating, reading and deleting services and endpoints, public services,
 * quotas, updateWhitelist as one batch) are the full client the simulator is tested with
 * (test/integration/simulator.test.ts).
 */
export interface VpcepClient {
  /** 4.1.1 */
  listVersions(): Promise<ApiVersion[]>;
  /** 4.1.2, e.g. `getVersion('v1')` */
  getVersion(version: string): Promise<ApiVersion>;
  /** 4.2.1 (not retried unless the failure proves it was not applied) */
  createService(body: CreateServiceRequest): Promise<EndpointService>;
  /** 4.2.2 */
  getService(serviceId: string): Promise<EndpointService>;
  /** 4.2.3 */
  updateService(serviceId: string, body: UpdateServiceRequest): Promise<EndpointService>;
  /** 4.2.4 */
  deleteService(serviceId: string): Promise<void>;
  /** 4.2.5, every page (limit 1000) */
  listServices(query?: ListServicesQuery): AsyncGenerator<EndpointService>;
  /** 4.2.6, every page (limit 1000) */
  listConnections(serviceId: string, query?: ListConnectionsQuery): AsyncGenerator<Connection>;
  /** 4.2.7, one endpoint per call */
  acceptOrReject(serviceId: string, endpointId: string, action: 'receive' | 'reject'): Promise<Connection[]>;
  /**
   * The newer connection-description API (not in the reference, not offered in every region: the
   * gateway then answers 404 APIGW.0101): sets each connection's description in one call. Resolves
   * with the connections the answer lists.
   */
  updateConnectionDescriptions(
    serviceId: string,
    connections: readonly { id: string; description: string }[],
  ): Promise<{ id: string; description?: string }[]>;
  /** 4.2.8, every page (limit 500) */
  listWhitelist(serviceId: string, query?: ListWhitelistQuery): AsyncGenerator<WhitelistRecord>;
  /** 4.2.9, one batch call; an empty list sends nothing */
  updateWhitelist(serviceId: string, action: 'add' | 'remove', permissions: string[]): Promise<WhitelistUpdateResult[]>;
  /**
   * 4.2.9 for records the API may refuse in part: one call, split in halves where the API
   * refuses it (lib/vpcep/whitelist-batches.ts). Never rejects for a refusal: resolves with the
   * error of each permission not carried out (none: all were). No new call starts once `signal`
   * (default: the client's) is aborted.
   */
  updateWhitelistRecords(
    serviceId: string,
    action: 'add' | 'remove',
    permissions: readonly string[],
    options?: { signal?: AbortSignal },
  ): Promise<Map<string, ActionError>>;
  /** 4.2.10, every page (limit 1000) */
  listPublicServices(query?: ListPublicServicesQuery): AsyncGenerator<PublicService>;
  /** 4.2.11, by id or by name */
  describeService(query: { id: string } | { endpoint_service_name: string }): Promise<ServiceSummary>;
  /** 4.3.1 (not retried unless the failure proves it was not applied) */
  createEndpoint(body: CreateEndpointRequest): Promise<VpcEndpoint>;
  /** 4.3.2 */
  getEndpoint(endpointId: string): Promise<VpcEndpoint>;
  /** 4.3.3 */
  deleteEndpoint(endpointId: string): Promise<void>;
  /** 4.3.4, every page (limit 1000) */
  listEndpoints(query?: ListEndpointsQuery): AsyncGenerator<VpcEndpoint>;
  /** 4.4.1 */
  getQuotas(type?: 'endpoint_service' | 'endpoint'): Promise<Quotas>;
  /** What an error this client threw (or any other) says, as an action's error (toActionError). */
  describeError(err: unknown): ActionError;
  /** Counters: requests sent (retries included), calls, retries, throttled answers, requests by operation. */
  stats(): ClientStats;
}

/** 4.2.5 / 4.2.6 / 4.2.10 / 4.3.4: largest page; 4.2.8: whitelist pages are at most 500. */
export const PAGE_LIMIT = 1000;
export const WHITELIST_PAGE_LIMIT = 500;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Creates a VPCEP client.
 *
 * @example
 * const client = createVpcepClient({ endpoint: 'https://vpcep.tr-west-1.myhuaweicloud.com', projectId, credentials: { ak, sk } });
 * for await (const c of client.listConnections(serviceId, { status: 'pendingAcceptance' })) console.log(c.id);
 */
export function createVpcepClient(options: CreateVpcepClientOptions): VpcepClient {
  const base = checkEndpoint(options.endpoint);
  if (!options.projectId)
    throw new ConfigError('the project id is empty (set HUAWEICLOUD_SDK_PROJECT_ID or --project-id)');
  const credentials: HuaweiCredentials = options.credentials;
  if (isTokenCredentials(credentials) ? !credentials.token : !credentials.ak || !credentials.sk)
    throw new ConfigError('the VPCEP client was given empty credentials');
  const clock = options.clock ?? systemClock;
  const now = () => clock().getTime();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const retry: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
  const quota = options.quota ?? new RetryQuota();
  const limiter =
    options.rateLimiter ??
    new RateLimiter({ now, sleep, ...(options.maxRate !== undefined && { maxRate: options.maxRate }) });
  if (options.rateLimiter && options.maxRate !== undefined) limiter.setMaxRate(options.maxRate);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = options.deadline?.getTime();
  const logger = options.logger ?? {};
  const bounds: ListBounds = { ...DEFAULT_LIST_BOUNDS, ...options.listBounds };
  for (const [kind, value] of Object.entries(bounds))
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`listBounds.${kind} must be a whole number of at least 1 (got ${String(value)})`);
  if (
    options.maxResponseBytes !== undefined &&
    (!Number.isInteger(options.maxResponseBytes) || options.maxResponseBytes < 1)
  )
    throw new ConfigError(`maxResponseBytes must be a whole number of at least 1 (got ${options.maxResponseBytes})`);
  const held: SharedBound = {
    held: 0,
    max: bounds.allListings,
    bound: `listBounds.allListings, ${BOUND_NAMES.allListings}`,
    heldBytes: 0,
    maxBytes: bounds.allListingsBytes,
    bytesBound: `listBounds.allListingsBytes, ${BOUND_NAMES.allListingsBytes}`,
  };
  const transport = createTransport({
    fetch: options.fetch,
    credentials,
    projectId: options.projectId,
    clock,
    ...(options.maxResponseBytes !== undefined && { maxResponseBytes: options.maxResponseBytes }),
  });
  const counters = { requests: 0, calls: 0, retries: 0, throttled: 0, byOperation: {} as Record<string, number> };

  async function call<S extends z.ZodType>(
    operation: OperationName,
    params: Record<string, string>,
    schema: S,
    init: { query?: Query; body?: unknown; abortable?: boolean; onBytes?: (bytes: number) => void } = {},
  ): Promise<z.output<S>> {
    const spec = OPERATIONS[operation];
    const url = buildUrl(base, operationPath(operation, { project_id: options.projectId, ...params }), init.query);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    // The host is named (a typo in --endpoint or --region shows); the query is not needed to tell which call.
    const where = `${operation} (${spec.method} ${url.origin}${url.pathname})`;
    const request = { method: spec.method, url, body, where, operation };
    counters.calls++;
    let last: SendOutcome<z.output<S>> | undefined;
    const result = await callWithRetries<z.output<S>>(
      async (attemptTimeoutMs) => {
        counters.requests++;
        counters.byOperation[operation] = (counters.byOperation[operation] ?? 0) + 1;
        last = await transport.send(request, schema, attemptTimeoutMs, init.abortable ? options.signal : undefined);
        return last;
      },
      timeoutMs,
      {
        idempotent: spec.idempotent,
        options: retry,
        quota,
        limiter,
        now,
        sleep,
        random,
        ...(deadline !== undefined && { deadline }),
        ...(options.signal && { signal: options.signal }),
        onThrottled: () => counters.throttled++,
        onRetry: ({ attempt, delayMs, failure, kind }) => {
          counters.retries++;
          const of = kind === 'throttling' ? 'throttled; waiting' : `retry ${attempt} of ${retry.maxAttempts - 1}`;
          logger.warn?.(`${where} failed (${describeFailure(failure)}); ${of} ${delayMs} ms`, {
            operation,
            status: failure.status,
            errorCode: failure.errorCode,
            attempt,
            delayMs,
          });
        },
      },
    );
    if (result.ok) {
      if (last?.ok && last.bytes !== undefined) init.onBytes?.(last.bytes);
      return result.value;
    }
    const requestId = last && !last.ok ? last.requestId : undefined;
    const cause = last && !last.ok ? last.cause : undefined;
    if (last && !last.ok && last.interrupted)
      throw new VpcepApiError(`${where} cut off in flight: the run was interrupted`, {
        operation,
        retryable: false,
        attempts: result.attempts,
        code: 'INTERRUPTED',
      });
    if (result.failure === undefined) {
      // Nothing was sent for this call: the run is over or out of time.
      const code = result.end === 'interrupted' ? 'INTERRUPTED' : 'DEADLINE';
      const why =
        result.end === 'interrupted' ? 'the run was interrupted' : "it could not finish before the run's deadline";
      throw new VpcepApiError(`${where} not sent: ${why}`, { operation, retryable: false, attempts: 0, code });
    }
    const failure = result.failure;
    const retryable = result.end !== 'fatal' && result.end !== 'not-idempotent';
    const note = END_NOTES[result.end](result.attempts);
    throw new VpcepApiError(
      `${where} failed: ${describeFailure(failure)}${requestId ? ` [request id ${requestId}]` : ''}${note ? ` (${note})` : ''}`,
      {
        ...failure,
        operation,
        requestId,
        retryable,
        attempts: result.attempts,
        cause,
        ...(note && { retryNote: note }),
        ...(result.end === 'interrupted' && { code: 'INTERRUPTED' }),
      },
    );
  }

  /** Every page of a listing; `params` is checked when the listing is first read, so a bad id rejects like a failed call. */
  async function* list<T, S extends z.ZodType>(
    operation: OperationName,
    params: () => Record<string, string>,
    schema: S,
    pick: (body: z.output<S>) => { items: T[]; total?: number },
    query: Query,
    limit: number,
    what: string,
    kind: ListingKind,
  ): AsyncGenerator<T> {
    const checked = params();
    yield* paginate<T>({
      limit,
      what,
      maxRecords: bounds[kind],
      bound: `listBounds.${kind}, ${BOUND_NAMES[kind]}`,
      shared: held,
      key: (item) => (item as { id: string }).id,
      fetchPage: async (offset, pageLimit) => {
        let bytes: number | undefined;
        const body = await call(operation, checked, schema, {
          query: { ...query, limit: pageLimit, offset: offset === 0 ? undefined : offset },
          // A page is a read: the run's interruption cuts it off in flight.
          abortable: true,
          onBytes: (n) => (bytes = n),
        });
        return { ...pick(body), ...(bytes !== undefined && { bytes }) };
      },
    });
  }

  const noBody = z.unknown();
  const service = (id: string) => ({ service_id: checkPathParameter(id, 'service id') });
  const endpoint = (id: string) => ({ endpoint_id: checkPathParameter(id, 'endpoint id') });
  const updateWhitelist: VpcepClient['updateWhitelist'] = async (serviceId, action, permissions) => {
    const params = service(serviceId);
    // 4.2.9 rejects an empty list (EndPoint.3036); nothing to do is not a call.
    if (permissions.length === 0) return [];
    const body = validateRequest(whitelistActionRequestSchema, { permissions, action }, 'updateWhitelist');
    const res = await call('updateWhitelist', params, whitelistActionResponseSchema, { body });
    return res.permissions.map((permission) => ({ permission }));
  };

  return {
    async listVersions() {
      return (await call('listVersions', {}, listVersionsResponseSchema)).versions;
    },
    async getVersion(version) {
      return (await call('getVersion', { version }, getVersionResponseSchema)).version;
    },
    async createService(body) {
      return call('createService', {}, endpointServiceSchema, {
        body: validateRequest(createServiceRequestSchema, body, 'createService'),
      });
    },
    async getService(serviceId) {
      return call('getService', service(serviceId), endpointServiceSchema);
    },
    async updateService(serviceId, body) {
      return call('updateService', service(serviceId), endpointServiceSchema, {
        body: validateRequest(updateServiceRequestSchema, body, 'updateService'),
      });
    },
    async deleteService(serviceId) {
      await call('deleteService', service(serviceId), noBody);
    },
    listServices(query = {}) {
      return list(
        'listServices',
        () => ({}),
        listServicesResponseSchema,
        (b) => ({ items: b.endpoint_services, total: b.total_count }),
        withStableOrder({ ...query }),
        PAGE_LIMIT,
        'endpoint services',
        'services',
      );
    },
    listConnections(serviceId, query = {}) {
      return list(
        'listConnections',
        () => service(serviceId),
        listConnectionsResponseSchema,
        (b) => ({ items: b.connections, total: b.total_count }),
        withStableOrder({ ...query }),
        PAGE_LIMIT,
        `connections of service ${serviceId}`,
        'connections',
      );
    },
    async acceptOrReject(serviceId, endpointId, action) {
      // 4.2.7: one endpoint per call (EndPoint.2031 otherwise).
      const params = service(serviceId);
      const body = validateRequest(
        connectionActionRequestSchema,
        { action, endpoints: [endpoint(endpointId).endpoint_id] },
        'acceptOrReject',
      );
      return (await call('acceptOrReject', params, connectionActionResponseSchema, { body })).connections;
    },
    async updateConnectionDescriptions(serviceId, connections) {
      const params = service(serviceId);
      const body = validateRequest(
        connectionDescriptionsRequestSchema,
        { connections: connections.map(({ id, description }) => ({ id, description })) },
        'updateConnectionDescriptions',
      );
      const answer = await call('updateConnectionDescriptions', params, connectionDescriptionsResponseSchema, { body });
      return answer.connections ?? [];
    },
    listWhitelist(serviceId, query = {}) {
      return list(
        'listWhitelist',
        () => service(serviceId),
        listWhitelistResponseSchema,
        (b) => ({ items: b.permissions, total: b.total_count }),
        withStableOrder({ ...query }),
        WHITELIST_PAGE_LIMIT,
        `whitelist of service ${serviceId}`,
        'whitelist',
      );
    },
    updateWhitelist,
    updateWhitelistRecords(serviceId, action, permissions, { signal = options.signal } = {}) {
      return updateWhitelistInHalves((batch) => updateWhitelist(serviceId, action, batch), action, permissions, signal);
    },
    listPublicServices(query = {}) {
      return list(
        'listPublicServices',
        () => ({}),
        listPublicServicesResponseSchema,
        (b) => ({ items: b.endpoint_services, total: b.total_count }),
        { ...query },
        PAGE_LIMIT,
        'public endpoint services',
        'publicServices',
      );
    },
    async describeService(query) {
      const q: Query =
        'id' in query
          ? { id: requireValue(query.id, 'service id') }
          : { endpoint_service_name: requireValue(query.endpoint_service_name, 'service name') };
      return call('describeService', {}, describeServiceResponseSchema, { query: q });
    },
    async createEndpoint(body) {
      return call('createEndpoint', {}, vpcEndpointSchema, {
        body: validateRequest(createEndpointRequestSchema, body, 'createEndpoint'),
      });
    },
    async getEndpoint(endpointId) {
      return call('getEndpoint', endpoint(endpointId), vpcEndpointSchema);
    },
    async deleteEndpoint(endpointId) {
      await call('deleteEndpoint', endpoint(endpointId), noBody);
    },
    listEndpoints(query = {}) {
      return list(
        'listEndpoints',
        () => ({}),
        listEndpointsResponseSchema,
        (b) => ({ items: b.endpoints, total: b.total_count }),
        { ...query },
        PAGE_LIMIT,
        'VPC endpoints',
        'endpoints',
      );
    },
    async getQuotas(type) {
      return (await call('getQuotas', {}, quotasResponseSchema, { query: { type } })).quotas;
    },
    describeError: toActionError,
    stats() {
      return {
        requests: counters.requests,
        calls: counters.calls,
        retries: counters.retries,
        throttled: counters.throttled,
        byOperation: { ...counters.byOperation },
      };
    },
  };
}

/** What the error of a call adds to the API's message, by why the call ended. */
const END_NOTES: Record<RetryEnd, (attempts: number) => string> = {
  fatal: () => '',
  'not-idempotent': () => '',
  attempts: (n) => `gave up after ${n} attempts`,
  quota: () => 'not retried: retry quota exhausted',
  deadline: () => "not retried: the run's deadline is too near",
  interrupted: () => 'not retried: the run was interrupted',
};

/** Oldest first unless asked otherwise: records added during a listing land on later pages, not earlier ones. */
function withStableOrder<Q extends { sort_key?: string; sort_dir?: string }>(query: Q): Q {
  return { ...query, sort_key: query.sort_key ?? 'created_at', sort_dir: query.sort_dir ?? 'asc' };
}

function requireValue(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`the ${what} is empty`);
  return value;
}

function validateRequest<S extends z.ZodType>(schema: S, body: unknown, operation: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new ConfigError(`${operation}: invalid request body: ${describeIssues(result.error, { input: body })}`);
  return result.data;
}
