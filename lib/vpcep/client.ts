/**
 * The Huawei Cloud VPCEP API v1 client: one typed method per operation of the reference
 * (sections 4.1-4.4), signed (AK/SK) or token-authenticated, every page of every listing,
 * responses checked with zod and normalised (CONTRACT.md section 6), transient failures retried
 * with exponential backoff and full jitter under a per-call and an overall budget.
 *
 * It knows nothing of policies. Everything it touches from the outside (fetch, clock, sleep,
 * randomness, logger) is injected, so tests run it against a fake fetch.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { checkEndpoint } from './endpoint';
import type { Connection, EndpointService, WhitelistRecord } from '../model';
import { Auth, authenticate, isTokenAuth } from './auth';
import { requestSecrets, scrubSecrets, VpcepApiError, VpcepFailure } from './errors';
import { createNodeFetch, FetchLike } from './http';
import { paginate } from './paginate';
import { backoffDelay, DEFAULT_RETRY_OPTIONS, RetryOptions, shouldRetry } from './retry';
import {
  ApiVersion,
  connectionActionRequestSchema,
  connectionActionResponseSchema,
  CreateEndpointRequest,
  createEndpointRequestSchema,
  CreateServiceRequest,
  createServiceRequestSchema,
  describeIssues,
  describeServiceResponseSchema,
  endpointServiceSchema,
  errorBodySchema,
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
  vpcEndpointSchema,
  VpcEndpoint,
  whitelistActionRequestSchema,
  whitelistActionResponseSchema,
} from './schemas';
import { Credentials, encodeRfc3986 } from './sign';

export { VpcepApiError } from './errors';
export { checkEndpoint, isLoopbackHost } from './endpoint';
export type { FetchLike, FetchResponseLike, FetchInit } from './http';
export type { RetryOptions } from './retry';
export type { Credentials } from './sign';

/** Where the client reports retries (never with secrets). Any console-like object fits. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
}

export interface CreateVpcepClientOptions {
  /** Base URL, e.g. `https://vpcep.tr-west-1.myhuaweicloud.com`. `http://` only for loopback hosts. */
  endpoint: string;
  projectId: string;
  credentials: Credentials | { token: string };
  fetch?: FetchLike;
  clock?: () => Date;
  logger?: Logger;
  /** Per-request timeout (AbortController), default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Keep-alive connections for the default fetch (default true). */
  keepAlive?: boolean;
}

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
  retries: number;
  /** Requests sent per operation name. */
  byOperation: Record<string, number>;
}

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
  /** 4.2.8, every page (limit 500) */
  listWhitelist(serviceId: string, query?: ListWhitelistQuery): AsyncGenerator<WhitelistRecord>;
  /** 4.2.9, one batch call; an empty list sends nothing */
  updateWhitelist(serviceId: string, action: 'add' | 'remove', permissions: string[]): Promise<WhitelistUpdateResult[]>;
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
  /** Counters: requests sent (retries included), retries, requests by operation. */
  stats(): ClientStats;
}

/**
 * Operations and whether repeating one has the same effect as doing it once, which decides
 * whether it may be retried after an ambiguous failure (a 500 or a reset, after which the first
 * attempt may or may not have been applied):
 * - reads: always;
 * - 4.2.7 accept/reject: yes, accepting an accepted connection (or rejecting a rejected one)
 *   leaves it as it is;
 * - 4.2.9 whitelist add/remove: yes, the whitelist is a set;
 * - 4.2.3 update (PUT of the same fields) and 4.2.4 / 4.3.3 deletes: yes, same final state
 *   (a repeated delete may answer 404, which is then reported, never hidden);
 * - 4.2.1 / 4.3.1 creates: no, a repeat could create a second resource; they are retried only
 *   when the failure proves the first attempt was refused (throttling, connection refused).
 */
const OPERATIONS = {
  listVersions: { idempotent: true },
  getVersion: { idempotent: true },
  createService: { idempotent: false },
  getService: { idempotent: true },
  updateService: { idempotent: true },
  deleteService: { idempotent: true },
  listServices: { idempotent: true },
  listConnections: { idempotent: true },
  acceptOrReject: { idempotent: true },
  listWhitelist: { idempotent: true },
  updateWhitelist: { idempotent: true },
  listPublicServices: { idempotent: true },
  describeService: { idempotent: true },
  createEndpoint: { idempotent: false },
  getEndpoint: { idempotent: true },
  deleteEndpoint: { idempotent: true },
  listEndpoints: { idempotent: true },
  getQuotas: { idempotent: true },
} as const satisfies Record<string, { idempotent: boolean }>;

type OperationName = keyof typeof OPERATIONS;

/** 4.2.5 / 4.2.6 / 4.2.10 / 4.3.4: largest page; 4.2.8: whitelist pages are at most 500. */
export const PAGE_LIMIT = 1000;
export const WHITELIST_PAGE_LIMIT = 500;
const DEFAULT_TIMEOUT_MS = 30_000;

type Query = Record<string, string | number | undefined>;

/**
 * Creates a VPCEP client.
 *
 * @example
 * const client = createVpcepClient({ endpoint: 'https://vpcep.tr-west-1.myhuaweicloud.com', projectId, credentials: { ak, sk } });
 * for await (const c of client.listConnections(serviceId, { status: 'pendingAcceptance' })) console.log(c.id);
 */
export function createVpcepClient(options: CreateVpcepClientOptions): VpcepClient {
  const base = checkEndpoint(options.endpoint);
  if (!options.projectId) throw new ConfigError('the project id is empty (set HUAWEICLOUD_SDK_PROJECT_ID or --project-id)');
  const auth: Auth = options.credentials;
  if (isTokenAuth(auth) ? !auth.token : !auth.ak || !auth.sk) throw new ConfigError('the VPCEP client was given empty credentials');
  const fetchFn = options.fetch ?? createNodeFetch({ keepAlive: options.keepAlive });
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const retry: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logger = options.logger ?? {};
  const projectPath = `/v1/${encodeRfc3986(options.projectId)}`;
  const counters: ClientStats = { requests: 0, retries: 0, byOperation: {} };
  let budgetLeft = retry.budget;

  async function call<S extends z.ZodType>(operation: OperationName, method: string, path: string, schema: S, init: { query?: Query; body?: unknown } = {}): Promise<z.output<S>> {
    const url = buildUrl(base, path, init.query);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    // The host is named (a typo in --endpoint or --region shows); the query is not needed to tell which call.
    const where = `${operation} (${method} ${url.origin}${url.pathname})`;
    for (let attempt = 1; ; attempt++) {
      counters.requests++;
      counters.byOperation[operation] = (counters.byOperation[operation] ?? 0) + 1;
      const outcome = await send(method, url, body);
      if (outcome.ok) return parseBody(schema, outcome.text, where, outcome.requestId);
      const failure = outcome.failure;
      const retryable = shouldRetry(failure, OPERATIONS[operation]);
      if (retryable && attempt < retry.maxAttempts && budgetLeft > 0) {
        budgetLeft--;
        counters.retries++;
        const delay = backoffDelay(attempt - 1, retry, random);
        logger.warn?.(`${where} failed (${describeFailure(failure)}); retry ${attempt} of ${retry.maxAttempts - 1} in ${delay} ms`, {
          operation,
          status: failure.status,
          errorCode: failure.errorCode,
          attempt,
          delayMs: delay,
        });
        await sleep(delay);
        continue;
      }
      const why = !retryable ? '' : budgetLeft <= 0 ? ' (retry budget exhausted)' : ` (gave up after ${attempt} attempts)`;
      throw new VpcepApiError(`${where} failed: ${describeFailure(failure)}${outcome.requestId ? ` [request id ${outcome.requestId}]` : ''}${why}`, {
        ...failure,
        operation,
        requestId: outcome.requestId,
        retryable,
        attempts: attempt,
        cause: outcome.cause,
      });
    }
  }

  type Outcome = { ok: true; text: string; requestId?: string } | { ok: false; failure: VpcepFailure; requestId?: string; cause?: unknown };

  async function send(method: string, url: URL, body: string | undefined): Promise<Outcome> {
    const headers = authenticate({ method, url, headers: { 'Content-Type': 'application/json' }, body }, auth, { date: clock(), projectId: options.projectId });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await fetchFn(url.toString(), { method, headers, body, signal: controller.signal });
      const text = await res.text();
      const requestId = res.headers.get('x-request-id') ?? res.headers.get('x-openstack-request-id') ?? undefined;
      if (res.status >= 200 && res.status < 300) return { ok: true, text, requestId };
      // A server or proxy may echo the request's credentials in its error body: scrub them
      // before the text reaches an error message, a log line or an audit event.
      const secrets = requestSecrets(headers, auth);
      const scrub = (s: string | undefined) => (s === undefined ? undefined : scrubSecrets(s, secrets));
      const parsed = parseErrorBody(text);
      return { ok: false, failure: { status: res.status, errorCode: scrub(parsed.errorCode), errorMsg: scrub(parsed.errorMsg) }, requestId: scrub(requestId) };
    } catch (err) {
      if (controller.signal.aborted) return { ok: false, failure: { network: true, errorCode: 'TIMEOUT', errorMsg: `no answer within ${timeoutMs} ms` } };
      return { ok: false, failure: { network: true, errorCode: networkCode(err), errorMsg: 'network error' }, cause: safeCause(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  function list<T, S extends z.ZodType>(operation: OperationName, path: string, schema: S, pick: (body: z.output<S>) => { items: T[]; total?: number }, query: Query, limit: number, what: string): AsyncGenerator<T> {
    return paginate<T>({
      limit,
      what,
      key: (item) => (item as { id: string }).id,
      fetchPage: async (offset, pageLimit) => pick(await call(operation, 'GET', path, schema, { query: { ...query, limit: pageLimit, offset: offset === 0 ? undefined : offset } })),
    });
  }

  const servicePath = (id: string) => `${projectPath}/vpc-endpoint-services/${encodeRfc3986(requireId(id, 'service id'))}`;
  const endpointPath = (id: string) => `${projectPath}/vpc-endpoints/${encodeRfc3986(requireId(id, 'endpoint id'))}`;
  const noBody = z.unknown();

  return {
    async listVersions() {
      return (await call('listVersions', 'GET', '/', listVersionsResponseSchema)).versions;
    },
    async getVersion(version) {
      return (await call('getVersion', 'GET', `/${encodeRfc3986(requireId(version, 'version'))}`, getVersionResponseSchema)).version;
    },
    async createService(body) {
      return call('createService', 'POST', `${projectPath}/vpc-endpoint-services`, endpointServiceSchema, { body: validateRequest(createServiceRequestSchema, body, 'createService') });
    },
    async getService(serviceId) {
      return call('getService', 'GET', servicePath(serviceId), endpointServiceSchema);
    },
    async updateService(serviceId, body) {
      return call('updateService', 'PUT', servicePath(serviceId), endpointServiceSchema, { body: validateRequest(updateServiceRequestSchema, body, 'updateService') });
    },
    async deleteService(serviceId) {
      await call('deleteService', 'DELETE', servicePath(serviceId), noBody);
    },
    listServices(query = {}) {
      return list(
        'listServices',
        `${projectPath}/vpc-endpoint-services`,
        listServicesResponseSchema,
        (b) => ({ items: b.endpoint_services, total: b.total_count }),
        withStableOrder({ ...query }),
        PAGE_LIMIT,
        'endpoint services',
      );
    },
    listConnections(serviceId, query = {}) {
      return list(
        'listConnections',
        `${servicePath(serviceId)}/connections`,
        listConnectionsResponseSchema,
        (b) => ({ items: b.connections, total: b.total_count }),
        withStableOrder({ ...query }),
        PAGE_LIMIT,
        `connections of service ${serviceId}`,
      );
    },
    async acceptOrReject(serviceId, endpointId, action) {
      // 4.2.7: one endpoint per call (EndPoint.2031 otherwise).
      const body = validateRequest(connectionActionRequestSchema, { action, endpoints: [requireId(endpointId, 'endpoint id')] }, 'acceptOrReject');
      return (await call('acceptOrReject', 'POST', `${servicePath(serviceId)}/connections/action`, connectionActionResponseSchema, { body })).connections;
    },
    listWhitelist(serviceId, query = {}) {
      return list(
        'listWhitelist',
        `${servicePath(serviceId)}/permissions`,
        listWhitelistResponseSchema,
        (b) => ({ items: b.permissions, total: b.total_count }),
        withStableOrder({ ...query }),
        WHITELIST_PAGE_LIMIT,
        `whitelist of service ${serviceId}`,
      );
    },
    async updateWhitelist(serviceId, action, permissions) {
      // 4.2.9 rejects an empty list (EndPoint.3036); nothing to do is not a call.
      if (permissions.length === 0) return [];
      const body = validateRequest(whitelistActionRequestSchema, { permissions, action }, 'updateWhitelist');
      const res = await call('updateWhitelist', 'POST', `${servicePath(serviceId)}/permissions/action`, whitelistActionResponseSchema, { body });
      return res.permissions.map((permission) => ({ permission }));
    },
    listPublicServices(query = {}) {
      return list(
        'listPublicServices',
        `${projectPath}/vpc-endpoint-services/public`,
        listPublicServicesResponseSchema,
        (b) => ({ items: b.endpoint_services, total: b.total_count }),
        { ...query },
        PAGE_LIMIT,
        'public endpoint services',
      );
    },
    async describeService(query) {
      const q: Query = 'id' in query ? { id: requireId(query.id, 'service id') } : { endpoint_service_name: requireId(query.endpoint_service_name, 'service name') };
      return call('describeService', 'GET', `${projectPath}/vpc-endpoint-services/describe`, describeServiceResponseSchema, { query: q });
    },
    async createEndpoint(body) {
      return call('createEndpoint', 'POST', `${projectPath}/vpc-endpoints`, vpcEndpointSchema, { body: validateRequest(createEndpointRequestSchema, body, 'createEndpoint') });
    },
    async getEndpoint(endpointId) {
      return call('getEndpoint', 'GET', endpointPath(endpointId), vpcEndpointSchema);
    },
    async deleteEndpoint(endpointId) {
      await call('deleteEndpoint', 'DELETE', endpointPath(endpointId), noBody);
    },
    listEndpoints(query = {}) {
      return list('listEndpoints', `${projectPath}/vpc-endpoints`, listEndpointsResponseSchema, (b) => ({ items: b.endpoints, total: b.total_count }), { ...query }, PAGE_LIMIT, 'VPC endpoints');
    },
    async getQuotas(type) {
      return (await call('getQuotas', 'GET', `${projectPath}/quotas`, quotasResponseSchema, { query: { type } })).quotas;
    },
    stats() {
      return { requests: counters.requests, retries: counters.retries, byOperation: { ...counters.byOperation } };
    },
  };
}

function buildUrl(base: URL, path: string, query: Query | undefined): URL {
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  const pairs = Object.entries(query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
  // Encoded exactly as the signature's canonical query encodes them (RFC 3986).
  url.search = pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(String(v))}`).join('&')}`;
  return url;
}

/** Oldest first unless asked otherwise: records added during a listing land on later pages, not earlier ones. */
function withStableOrder<Q extends { sort_key?: string; sort_dir?: string }>(query: Q): Q {
  return { ...query, sort_key: query.sort_key ?? 'created_at', sort_dir: query.sort_dir ?? 'asc' };
}

function requireId(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`the ${what} is empty`);
  return value;
}

function validateRequest<S extends z.ZodType>(schema: S, body: unknown, operation: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new ConfigError(`${operation}: invalid request body: ${describeIssues(result.error, { input: body })}`);
  return result.data;
}

function parseBody<S extends z.ZodType>(schema: S, text: string, where: string, requestId: string | undefined): z.output<S> {
  let json: unknown = undefined;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new VpcepApiError(`${where}: the response is not JSON`, { operation: where, requestId, retryable: false, code: 'VPCEP_BAD_RESPONSE' });
    }
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new VpcepApiError(`${where}: the response does not match the API reference: ${describeIssues(result.error, { input: json })}`, {
      operation: where,
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

function describeFailure(f: VpcepFailure): string {
  if (f.network) return `${f.errorCode ?? 'network error'}${f.errorMsg && f.errorMsg !== 'network error' ? `: ${f.errorMsg}` : ''}`;
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
