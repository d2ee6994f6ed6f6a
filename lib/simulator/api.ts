import { randomUUID } from 'node:crypto';

import { domainPermission } from '../model';
import {
  bodyObject,
  connectionActionBody,
  connectionActionRequestSchema,
  createEndpointBody,
  createEndpointRequestSchema,
  createServiceBody,
  createServiceRequestSchema,
  parseBody,
  permissionActionBody,
  updateServiceBody,
  updateServiceRequestSchema,
  whitelistActionRequestSchema,
} from './bodies';
import { vpcepError } from './errors';
import { fuzzy, pageOf, parsePaging } from './query';
import { CONNECTION_STATUSES, SERVER_TYPES, SERVICE_STATUSES, ServiceState } from './state';
import {
  byCreated,
  byUpdated,
  ConnectionIndex,
  ConnectionRecord,
  isoSeconds,
  ServiceRecord,
  SimulatorStore,
  timeMs,
} from './store';

/** What a route handler sees of a request. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
  now: Date;
  /** The account making the request: `X-Domain-Id`, else the project owner's domain. */
  callerDomain: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** True when the state changed. */
  mutated: boolean;
}

export interface ApiSettings {
  /** Milliseconds a new service stays `creating` (4.2.1 is asynchronous). */
  creatingDelayMs: number;
  /** The most whitelist records one service may hold (EndPoint.3049). */
  maxWhitelistRecords: number;
}

type Handler = (store: SimulatorStore, req: ApiRequest, settings: ApiSettings) => ApiResponse;

export interface Route {
  method: string;
  /** Path segments after `/v1/{project_id}/`; `:name` captures one segment. */
  segments: string[];
  /** The template shown in logs and stats. */
  name: string;
  handler: Handler;
}

const ok = (body: unknown, mutated = false): ApiResponse => ({ status: 200, body, mutated });

// ---------------------------------------------------------------- rendering

function serviceView(store: SimulatorStore, s: ServiceRecord, now: Date, withCount: boolean): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: s.id,
    port_id: s.port_id,
    vpc_id: s.vpc_id,
    status: store.serviceStatus(s, now),
    approval_enabled: s.approval_enabled,
    service_name: s.service_name,
    service_type: s.service_type,
    server_type: s.server_type,
    project_id: store.projectId,
    created_at: s.created_at,
    updated_at: s.updated_at,
    ports: s.ports.map((p) => ({ ...p })),
    tcp_proxy: s.tcp_proxy,
  };
  // 4.2.5: number of Creating or Accepted endpoints of the service.
  if (withCount) v.connection_count = s.connections.count('creating') + s.connections.count('accepted');
  return v;
}

/** 4.2.6 / 4.2.7 connection parameters. */
function connectionView(c: ConnectionRecord): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: c.id,
    marker_id: c.marker_id,
    domain_id: c.domain_id,
    status: c.status,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
  if (c.description !== undefined) v.description = c.description;
  return v;
}

/** 4.3.1 / 4.3.2 / 4.3.4 endpoint parameters. */
function endpointView(store: SimulatorStore, c: ConnectionRecord): Record<string, unknown> {
  const s = store.services.get(c.serviceId);
  const interfaceType = (s?.service_type ?? 'interface') === 'interface';
  const v: Record<string, unknown> = {
    id: c.id,
    service_type: s?.service_type ?? 'interface',
    status: c.status,
    active_status: 'active',
    endpoint_service_name: s?.service_name,
    marker_id: c.marker_id,
    endpoint_service_id: c.serviceId,
    enable_dns: c.enable_dns ?? false,
    vpc_id: c.vpc_id,
    created_at: c.created_at,
    updated_at: c.updated_at,
    project_id: store.projectId,
    enable_status: 'enable',
  };
  if (interfaceType) {
    v.subnet_id = c.subnet_id;
    v.whitelist = c.whitelist ?? [];
    v.enable_whitelist = c.enable_whitelist ?? false;
    if (c.enable_dns) v.dns_names = [`${c.id.slice(0, 8)}.${s?.service_name ?? 'service'}.vpcep.simulator.local`];
    // 4.3.2: ip only once the connection has been approved (accepted, or rejected after that).
    if (c.ip !== undefined && (c.status === 'accepted' || c.status === 'rejected')) v.ip = c.ip;
  } else {
    v.routetables = c.routetables ?? [];
  }
  if (c.description !== undefined) v.description = c.description;
  return v;
}

// ---------------------------------------------------------------- helpers

function findService(store: SimulatorStore, id: string | undefined): ServiceRecord {
  const s = id === undefined ? undefined : store.services.get(id);
  if (!s) throw vpcepError('EndPoint.2003', `service ${JSON.stringify(id)}`);
  return s;
}

function checkEnum(query: URLSearchParams, name: string, values: readonly string[]): string | undefined {
  const v = query.get(name);
  if (v !== null && !values.includes(v)) throw vpcepError('EndPoint.0019', `${name}=${v}`);
  return v ?? undefined;
}

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,16}$/;
const PERMISSION = /^(\*|iam:domain::[A-Za-z0-9*]{1,64})$/;
/** Domain ids (CONTRACT section 2): what `X-Domain-Id` must look like. */
export const DOMAIN_ID = /^[A-Za-z0-9]{1,64}$/;

/** 4.2.1 / 4.2.3 port mapping checks, with their 7.2 codes. */
function checkPorts(
  store: SimulatorStore,
  ports: { client_port?: number; server_port?: number; protocol?: string }[],
  portId: string,
  selfId?: string,
) {
  if (ports.length === 0) throw vpcepError('EndPoint.2028', 'ports is empty');
  if (ports.length > 200) throw vpcepError('EndPoint.3074', `${ports.length} port mappings (at most 200)`);
  const seen = new Set<string>();
  const normalised = ports.map((p, i) => {
    if (p.client_port === undefined || p.server_port === undefined)
      throw vpcepError('EndPoint.2028', `ports[${i}] lacks a port`);
    for (const key of ['client_port', 'server_port'] as const) {
      const n = p[key]!;
      if (n < 1 || n > 65535) throw vpcepError('EndPoint.3043', `ports[${i}].${key}=${n}`);
    }
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP') throw vpcepError('EndPoint.3075', `ports[${i}].protocol=${protocol}`);
    const key = `${p.server_port}/${protocol}`;
    if (seen.has(key) || seen.has(`c${p.client_port}`))
      throw vpcepError('EndPoint.3044', `ports[${i}] duplicates a mapping`);
    seen.add(key);
    seen.add(`c${p.client_port}`);
    return { client_port: p.client_port, server_port: p.server_port, protocol };
  });
  // 4.2.1: services sharing a port_id need distinct server_port/protocol pairs.
  for (const other of store.services.values()) {
    if (other.id === selfId || other.port_id !== portId) continue;
    for (const p of other.ports) {
      if (seen.has(`${p.server_port}/${p.protocol}`))
        throw vpcepError('EndPoint.3044', `server_port ${p.server_port} already used by service ${other.id}`);
    }
  }
  return normalised;
}

function isUuidish(v: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(v);
}

// ---------------------------------------------------------------- 4.2 endpoint services

const listServices: Handler = (store, req) => {
  const q = req.query;
  const paging = parsePaging(q, 1000);
  const status = checkEnum(q, 'status', SERVICE_STATUSES);
  const name = q.get('endpoint_service_name') ?? undefined;
  const id = q.get('id') ?? undefined;
  let matches: readonly ServiceRecord[];
  if (id !== undefined) {
    const s = store.services.get(id);
    matches = s ? [s] : [];
  } else {
    matches = store.serviceView(paging.sortKey);
  }
  if (status !== undefined || name !== undefined || id !== undefined) {
    matches = matches.filter(
      (s) =>
        (status === undefined || store.serviceStatus(s, req.now) === status) &&
        (name === undefined || fuzzy(s.service_name, name)),
    );
  }
  return ok({
    endpoint_services: pageOf(matches, paging).map((s) => serviceView(store, s, req.now, true)),
    total_count: matches.length,
  });
};

const createService: Handler = (store, req, settings) => {
  const raw = bodyObject(req.body);
  if (raw.vpc_id === undefined || raw.vpc_id === '') throw vpcepError('EndPoint.2011', 'vpc_id');
  if (raw.port_id === undefined || raw.port_id === '') throw vpcepError('EndPoint.2002', 'port_id');
  if (raw.ports === undefined || (Array.isArray(raw.ports) && raw.ports.length === 0))
    throw vpcepError('EndPoint.2028', 'ports');
  if (raw.server_type !== undefined && !(SERVER_TYPES as readonly unknown[]).includes(raw.server_type))
    throw vpcepError('EndPoint.3021', `server_type=${String(raw.server_type)}`);
  const body = parseBody(createServiceBody, raw);
  if (!isUuidish(body.vpc_id)) throw vpcepError('EndPoint.0020', `vpc_id=${body.vpc_id}`);
  if (!isUuidish(body.port_id)) throw vpcepError('EndPoint.3003', `port_id=${body.port_id}`);
  if (body.service_name !== undefined && !SERVICE_NAME.test(body.service_name))
    throw vpcepError('EndPoint.1003', `service_name=${body.service_name}`);
  const ports = checkPorts(store, body.ports, body.port_id);
  parseBody(createServiceRequestSchema, raw);
  if (store.services.size >= store.quotas.endpoint_service)
    throw vpcepError('Endpoint.1018', `endpoint_service quota ${store.quotas.endpoint_service}`);
  const id = randomUUID();
  const created = isoSeconds(req.now);
  const rec: ServiceRecord = {
    id,
    service_name: body.service_name ?? `svc-${id.slice(0, 8)}`,
    approval_enabled: body.approval_enabled ?? true, // 4.2.1: default true
    status: 'creating',
    readyAtMs: req.now.getTime() + settings.creatingDelayMs,
    server_type: body.server_type as ServiceState['server_type'],
    service_type: body.service_type ?? 'interface',
    vpc_id: body.vpc_id,
    port_id: body.port_id,
    ports,
    tcp_proxy: body.tcp_proxy ?? 'close',
    created_at: created,
    updated_at: created,
    createdMs: timeMs(created),
    updatedMs: timeMs(created),
    connections: new ConnectionIndex(),
    permissions: [],
  };
  store.addService(rec);
  // 4.2.1 is asynchronous: the answer shows `creating`; a later read shows `available`.
  return ok(serviceView(store, { ...rec, status: 'creating', readyAtMs: undefined }, req.now, false), true);
};

const getService: Handler = (store, req) =>
  ok(serviceView(store, findService(store, req.params.service_id), req.now, false));

const updateService: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const raw = bodyObject(req.body);
  const body = parseBody(updateServiceBody, raw);
  if (store.serviceStatus(s, req.now) !== 'available') throw vpcepError('EndPoint.3045', `service is ${s.status}`);
  if (body.service_name !== undefined && !SERVICE_NAME.test(body.service_name))
    throw vpcepError('EndPoint.1003', `service_name=${body.service_name}`);
  if (body.port_id !== undefined && !isUuidish(body.port_id))
    throw vpcepError('EndPoint.3003', `port_id=${body.port_id}`);
  const portId = body.port_id ?? s.port_id;
  const ports = body.ports !== undefined ? checkPorts(store, body.ports, portId, s.id) : undefined;
  parseBody(updateServiceRequestSchema, raw);
  if (body.approval_enabled !== undefined) s.approval_enabled = body.approval_enabled;
  if (body.service_name !== undefined) s.service_name = body.service_name;
  if (body.port_id !== undefined) s.port_id = body.port_id;
  if (body.tcp_proxy !== undefined) s.tcp_proxy = body.tcp_proxy;
  if (ports) s.ports = ports;
  store.touchService(s, req.now);
  return ok(serviceView(store, s, req.now, false), true);
};

const deleteService: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const c = s.connections;
  // A service still serving endpoints cannot go (EndPoint.3006 "being used").
  const inUse = c.count('accepted') + c.count('pendingAcceptance') + c.count('creating');
  if (inUse > 0) throw vpcepError('EndPoint.3006', `${inUse} endpoints still connected`);
  store.removeService(s);
  return { status: 204, mutated: true };
};

const listConnections: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const q = req.query;
  const paging = parsePaging(q, 1000);
  const status = checkEnum(q, 'status', CONNECTION_STATUSES);
  const id = q.get('id') ?? undefined;
  const rawMarker = q.get('marker_id');
  if (rawMarker !== null && !/^\d+$/.test(rawMarker)) throw vpcepError('EndPoint.0021', `marker_id=${rawMarker}`);
  let matches: readonly ConnectionRecord[];
  if (id !== undefined || rawMarker !== null) {
    // Exact lookups go through the id and marker indexes, never a scan.
    const byId = id !== undefined ? s.connections.byId.get(id) : undefined;
    const byMarker = rawMarker !== null ? s.connections.byMarker.get(Number(rawMarker)) : undefined;
    const hit = id !== undefined ? byId : byMarker;
    matches =
      hit &&
      (id === undefined || hit.id === id) &&
      (rawMarker === null || hit.marker_id === Number(rawMarker)) &&
      (status === undefined || hit.status === status)
        ? [hit]
        : [];
  } else {
    matches = s.connections.view(status, paging.sortKey);
  }
  return ok({ connections: pageOf(matches, paging).map(connectionView), total_count: matches.length });
};

const connectionAction: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const raw = bodyObject(req.body);
  if (raw.action !== 'receive' && raw.action !== 'reject')
    throw vpcepError('EndPoint.2027', `action=${String(raw.action)}`);
  const body = parseBody(connectionActionBody, raw);
  if (body.endpoints.length === 0) throw vpcepError('EndPoint.2002', 'endpoints is empty');
  // 4.2.7: each request accepts or rejects only one VPC endpoint.
  if (body.endpoints.length > 1) throw vpcepError('EndPoint.2031', `${body.endpoints.length} endpoints`);
  parseBody(connectionActionRequestSchema, raw);
  const endpointId = body.endpoints[0]!;
  const c = s.connections.byId.get(endpointId);
  if (!c) throw vpcepError('EndPoint.2013', `endpoint ${endpointId}`);
  let target: 'accepted' | 'rejected';
  if (body.action === 'receive') {
    // pendingAcceptance -> accepted; a rejected endpoint may be accepted again.
    if (c.status === 'creating') throw vpcepError('EndPoint.2019', endpointId);
    if (c.status === 'deleting') throw vpcepError('EndPoint.2018', endpointId);
    if (c.status === 'failed') throw vpcepError('EndPoint.0019', `endpoint ${endpointId} is failed`);
    target = 'accepted';
  } else {
    // pendingAcceptance -> rejected, and accepted -> rejected (4.3.2: "Rejected" after accepted).
    if (c.status === 'creating') throw vpcepError('EndPoint.2019', endpointId);
    if (c.status === 'deleting') throw vpcepError('EndPoint.2018', endpointId);
    if (c.status === 'failed') throw vpcepError('EndPoint.0019', `endpoint ${endpointId} is failed`);
    target = 'rejected';
  }
  let mutated = false;
  if (c.status !== target) {
    if (target === 'accepted' && c.ip === undefined && s.service_type === 'interface') c.ip = ipFor(c.marker_id);
    s.connections.setStatus(c, target, req.now);
    mutated = true;
  }
  // Accepting an accepted (or rejecting a rejected) endpoint is a no-op that still succeeds.
  return ok({ connections: [connectionView(c)] }, mutated);
};

/** A stable private address for an approved interface endpoint. */
function ipFor(marker: number): string {
  return `192.168.${(marker >>> 8) & 0xff}.${marker & 0xff || 1}`;
}

const listPermissions: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const q = req.query;
  const paging = parsePaging(q, 500, ['created_at']);
  const needle = q.get('permission') ?? undefined;
  const all = s.permissions
    .map((p) => ({ p, id: p.id, createdMs: timeMs(p.created_at), updatedMs: 0 }))
    .sort(byCreated);
  const matches = needle === undefined ? all : all.filter((x) => fuzzy(x.p.permission, needle));
  return ok({
    permissions: pageOf(matches, paging).map((x) => ({ ...x.p, description: x.p.description ?? '' })),
    total_count: matches.length,
  });
};

const permissionAction: Handler = (store, req, settings) => {
  const s = findService(store, req.params.service_id);
  const raw = bodyObject(req.body);
  if (raw.permissions === undefined || (Array.isArray(raw.permissions) && raw.permissions.length === 0))
    throw vpcepError('EndPoint.3036', 'permissions is empty');
  if (raw.action !== 'add' && raw.action !== 'remove')
    throw vpcepError('EndPoint.3035', `action=${String(raw.action)}`);
  const body = parseBody(permissionActionBody, raw);
  body.permissions.forEach((p, i) => {
    if (!PERMISSION.test(p)) throw vpcepError('EndPoint.3002', `permissions[${i}]=${p}`);
  });
  parseBody(whitelistActionRequestSchema, raw);
  const existing = new Map(s.permissions.map((p) => [p.permission.toLowerCase(), p]));
  let mutated: boolean;
  if (body.action === 'add') {
    const fresh = [...new Set(body.permissions)].filter((p) => !existing.has(p.toLowerCase()));
    if (s.permissions.length + fresh.length > settings.maxWhitelistRecords) {
      throw vpcepError('EndPoint.3049', `${s.permissions.length} + ${fresh.length} > ${settings.maxWhitelistRecords}`);
    }
    const created = isoSeconds(req.now);
    for (const permission of fresh) s.permissions.push({ id: randomUUID(), permission, created_at: created });
    mutated = fresh.length > 0;
  } else {
    const drop = new Set(body.permissions.map((p) => p.toLowerCase()));
    const kept = s.permissions.filter((p) => !drop.has(p.permission.toLowerCase()));
    mutated = kept.length !== s.permissions.length;
    s.permissions = kept;
  }
  return ok({ permissions: body.permissions }, mutated);
};

const listPublicServices: Handler = (store, req) => {
  const q = req.query;
  const paging = parsePaging(q, 1000);
  const name = q.get('endpoint_service_name') ?? undefined;
  const id = q.get('id') ?? undefined;
  const all = store.publicServices
    .filter((p) => (id === undefined || p.id === id) && (name === undefined || fuzzy(p.service_name, name)))
    .map((p) => ({ p, id: p.id, createdMs: timeMs(p.created_at), updatedMs: timeMs(p.created_at) }))
    .sort(paging.sortKey === 'created_at' ? byCreated : byUpdated);
  return ok({ endpoint_services: pageOf(all, paging).map((x) => ({ ...x.p })), total_count: all.length });
};

const describeService: Handler = (store, req) => {
  const id = req.query.get('id') ?? undefined;
  const name = req.query.get('endpoint_service_name') ?? undefined;
  // 4.2.11: either id or endpoint_service_name must be given.
  if (!id && !name) throw vpcepError('EndPoint.2002', 'id or endpoint_service_name');
  const matchesOwn = (s: ServiceRecord) =>
    (id === undefined || s.id === id) && (name === undefined || s.service_name === name);
  const own =
    id !== undefined
      ? [store.services.get(id)].filter((s): s is ServiceRecord => s !== undefined && matchesOwn(s))
      : [...store.services.values()].filter(matchesOwn);
  const first = own[0];
  if (first)
    return ok({
      id: first.id,
      service_name: first.service_name,
      service_type: first.service_type,
      created_at: first.created_at,
      is_charge: false,
    });
  const pub = store.publicServices.find(
    (p) => (id === undefined || p.id === id) && (name === undefined || p.service_name === name),
  );
  if (pub)
    return ok({
      id: pub.id,
      service_name: pub.service_name,
      service_type: pub.service_type,
      created_at: pub.created_at,
      is_charge: pub.is_charge,
    });
  throw vpcepError('EndPoint.2003', `service ${id ?? name}`);
};

// ---------------------------------------------------------------- 4.3 endpoints

const createEndpoint: Handler = (store, req) => {
  const raw = bodyObject(req.body);
  if (raw.endpoint_service_id === undefined || raw.endpoint_service_id === '')
    throw vpcepError('EndPoint.2029', 'endpoint_service_id');
  if (raw.vpc_id === undefined || raw.vpc_id === '') throw vpcepError('EndPoint.2011', 'vpc_id');
  if (raw.enable_dns !== undefined && typeof raw.enable_dns !== 'boolean')
    throw vpcepError('EndPoint.2033', `enable_dns=${String(raw.enable_dns)}`);
  const body = parseBody(createEndpointBody, raw);
  parseBody(createEndpointRequestSchema, raw);
  const s = findService(store, body.endpoint_service_id);
  if (s.service_type === 'interface' && (body.subnet_id === undefined || body.subnet_id === ''))
    throw vpcepError('EndPoint.2010', 'subnet_id');
  if (store.serviceStatus(s, req.now) !== 'available') throw vpcepError('EndPoint.2004', `service is ${s.status}`);
  const domain = req.callerDomain;
  // Only whitelisted accounts may connect; the owner's account always may (4.2.8 note).
  if (!mayConnect(store, s, domain)) throw vpcepError('EndPoint.2012', `domain ${domain} is not whitelisted`);
  const mine = store.domainEndpoints(domain)?.size ?? 0;
  if (mine >= store.quotas.endpoint) throw vpcepError('Endpoint.1018', `endpoint quota ${store.quotas.endpoint}`);
  const created = isoSeconds(req.now);
  const marker = store.allocateMarker();
  const rec: ConnectionRecord = {
    id: randomUUID(),
    domain_id: domain,
    // approval_enabled: pendingAcceptance until the owner decides; otherwise accepted at once.
    status: s.approval_enabled ? 'pendingAcceptance' : 'accepted',
    marker_id: marker,
    created_at: created,
    updated_at: created,
    serviceId: s.id,
    createdMs: timeMs(created),
    updatedMs: timeMs(created),
    vpc_id: body.vpc_id,
    enable_dns: body.enable_dns ?? false,
  };
  if (body.subnet_id !== undefined) rec.subnet_id = body.subnet_id;
  if (body.description !== undefined) rec.description = body.description;
  if (body.whitelist !== undefined) rec.whitelist = body.whitelist;
  if (body.enable_whitelist !== undefined) rec.enable_whitelist = body.enable_whitelist;
  if (body.routetables !== undefined) rec.routetables = body.routetables;
  if (s.service_type === 'interface') rec.ip = body.port_ip ?? ipFor(marker);
  store.addEndpoint(rec);
  return ok(endpointView(store, rec), true);
};

function mayConnect(store: SimulatorStore, s: ServiceRecord, domain: string): boolean {
  const d = domain.toLowerCase();
  if (d === store.domainId.toLowerCase()) return true;
  const wanted = domainPermission(d);
  return s.permissions.some((p) => {
    const v = p.permission.toLowerCase();
    return v === '*' || v === 'iam:domain::*' || v === wanted;
  });
}

function ownEndpoint(store: SimulatorStore, req: ApiRequest): ConnectionRecord {
  const id = req.params.endpoint_id ?? '';
  const c = store.domainEndpoints(req.callerDomain)?.get(id);
  if (!c) throw vpcepError('EndPoint.2006', `endpoint ${id}`);
  return c;
}

const getEndpoint: Handler = (store, req) => ok(endpointView(store, ownEndpoint(store, req)));

const deleteEndpoint: Handler = (store, req) => {
  store.removeEndpoint(ownEndpoint(store, req));
  return { status: 204, mutated: true };
};

const listEndpoints: Handler = (store, req) => {
  const q = req.query;
  const paging = parsePaging(q, 1000);
  const name = q.get('endpoint_service_name') ?? undefined;
  const vpcId = q.get('vpc_id') ?? undefined;
  const id = q.get('id') ?? undefined;
  const mine = store.domainEndpoints(req.callerDomain);
  const candidates = mine
    ? id !== undefined
      ? [mine.get(id)].filter((c): c is ConnectionRecord => c !== undefined)
      : [...mine.values()]
    : [];
  const matches = candidates
    .filter(
      (c) =>
        (vpcId === undefined || c.vpc_id === vpcId) &&
        (name === undefined || fuzzy(store.services.get(c.serviceId)?.service_name, name)),
    )
    .sort(paging.sortKey === 'created_at' ? byCreated : byUpdated);
  return ok({ endpoints: pageOf(matches, paging).map((c) => endpointView(store, c)), total_count: matches.length });
};

// ---------------------------------------------------------------- 4.4 quotas

const getQuotas: Handler = (store, req) => {
  const type = req.query.get('type');
  if (type !== null && type !== 'endpoint_service' && type !== 'endpoint')
    throw vpcepError('EndPoint.0002', `type=${type}`);
  const resources = [
    { type: 'endpoint_service', used: store.services.size, quota: store.quotas.endpoint_service },
    { type: 'endpoint', used: store.domainEndpoints(req.callerDomain)?.size ?? 0, quota: store.quotas.endpoint },
  ].filter((r) => type === null || r.type === type);
  return ok({ quotas: { resources } });
};

/**
 * Every /v1/{project_id} route. The first route that fits wins, so static segments come before
 * captures: `GET .../public` is 4.2.10, not a service called "public".
 */
export const ROUTES: Route[] = (
  [
    ['GET', 'vpc-endpoint-services', listServices],
    ['POST', 'vpc-endpoint-services', createService],
    ['GET', 'vpc-endpoint-services/public', listPublicServices],
    ['GET', 'vpc-endpoint-services/describe', describeService],
    ['GET', 'vpc-endpoint-services/:service_id', getService],
    ['PUT', 'vpc-endpoint-services/:service_id', updateService],
    ['DELETE', 'vpc-endpoint-services/:service_id', deleteService],
    ['GET', 'vpc-endpoint-services/:service_id/connections', listConnections],
    ['POST', 'vpc-endpoint-services/:service_id/connections/action', connectionAction],
    ['GET', 'vpc-endpoint-services/:service_id/permissions', listPermissions],
    ['POST', 'vpc-endpoint-services/:service_id/permissions/action', permissionAction],
    ['POST', 'vpc-endpoints', createEndpoint],
    ['GET', 'vpc-endpoints', listEndpoints],
    ['GET', 'vpc-endpoints/:endpoint_id', getEndpoint],
    ['DELETE', 'vpc-endpoints/:endpoint_id', deleteEndpoint],
    ['GET', 'quotas', getQuotas],
  ] as const
).map(([method, path, handler]) => ({
  method,
  segments: path.split('/'),
  name: `${method} /v1/{project_id}/${path.replace(/:(\w+)/g, '{$1}')}`,
  handler,
}));

/** The route for a method and the segments after the project id, with its captures. */
export function matchRoute(
  method: string,
  segments: readonly string[],
): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let fits = true;
    for (let i = 0; i < segments.length && fits; i++) {
      const want = route.segments[i]!;
      const got = segments[i]!;
      if (want.startsWith(':')) {
        params[want.slice(1)] = decodeURIComponent(got);
      } else if (want !== got) fits = false;
    }
    if (!fits) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
