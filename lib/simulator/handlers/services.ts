/** 4.2.1 - 4.2.5, 4.2.10, 4.2.11: endpoint services, the project's own and the public ones. */
import { randomUUID } from 'node:crypto';

import { isoSeconds } from '../../time';
import { SERVICE_NAME_PATTERN } from '../../vpcep/schemas';
import {
  bodyObject,
  createServiceBody,
  createServiceRequestSchema,
  parseBody,
  updateServiceBody,
  updateServiceRequestSchema,
} from '../bodies';
import { vpcepError } from '../errors';
import { checkEnum, fuzzy, pageOf, parsePaging } from '../query';
import { failedError, SERVER_TYPES, SERVICE_STATUSES, ServiceState } from '../state';
import { byCreated, byUpdated, ConnectionIndex, ServiceRecord, SimulatorStore, timeMs } from '../store';
import { Handler, ok } from './handler';

/**
 * A service as 4.2.1 - 4.2.5 answer it; `withCount` adds 4.2.5's `connection_count`, which only the
 * list shows.
 */
function serviceJson(store: SimulatorStore, s: ServiceRecord, now: Date, withCount: boolean): Record<string, unknown> {
  const status = store.serviceStatus(s, now);
  const v: Record<string, unknown> = {
    id: s.id,
    port_id: s.port_id,
    vpc_id: s.vpc_id,
    status,
    approval_enabled: s.approval_enabled,
    service_name: s.service_name,
    service_type: s.service_type,
    server_type: s.server_type,
    project_id: store.projectId,
    created_at: s.created_at,
    updated_at: s.updated_at,
    ports: s.ports.map((p) => ({ ...p })),
    tcp_proxy: s.tcp_proxy,
    ...failedError(status, s.error),
  };
  // 4.2.5: number of Creating or Accepted endpoints of the service.
  if (withCount) v.connection_count = s.connections.count('creating') + s.connections.count('accepted');
  return v;
}

/** The service `id` names, or EndPoint.2003 when there is none. */
export function findService(store: SimulatorStore, id: string | undefined): ServiceRecord {
  const s = id === undefined ? undefined : store.services.get(id);
  if (!s) throw vpcepError('EndPoint.2003', `service ${JSON.stringify(id)}`);
  return s;
}

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

/** VPC and port ids: 1-64 letters, digits or hyphens (UUIDs among them). */
function isResourceId(v: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(v);
}

/** 4.2.5: the project's endpoint services, filtered by id, name or status and paged. */
export const listServices: Handler = (store, req) => {
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
    matches = store.servicesInOrder(paging.sortKey);
  }
  if (status !== undefined || name !== undefined || id !== undefined) {
    matches = matches.filter(
      (s) =>
        (status === undefined || store.serviceStatus(s, req.now) === status) &&
        (name === undefined || fuzzy(s.service_name, name)),
    );
  }
  return ok({
    endpoint_services: pageOf(matches, paging).map((s) => serviceJson(store, s, req.now, true)),
    total_count: matches.length,
  });
};

/** 4.2.1: creates a service, `creating` until `creatingDelayMs` has passed. */
export const createService: Handler = (store, req, settings) => {
  const raw = bodyObject(req.body);
  if (raw.vpc_id === undefined || raw.vpc_id === '') throw vpcepError('EndPoint.2011', 'vpc_id');
  if (raw.port_id === undefined || raw.port_id === '') throw vpcepError('EndPoint.2002', 'port_id');
  if (raw.ports === undefined || (Array.isArray(raw.ports) && raw.ports.length === 0))
    throw vpcepError('EndPoint.2028', 'ports');
  if (raw.server_type !== undefined && !(SERVER_TYPES as readonly unknown[]).includes(raw.server_type))
    throw vpcepError('EndPoint.3021', `server_type=${JSON.stringify(raw.server_type)}`);
  const body = parseBody(createServiceBody, raw);
  if (!isResourceId(body.vpc_id)) throw vpcepError('EndPoint.0020', `vpc_id=${body.vpc_id}`);
  if (!isResourceId(body.port_id)) throw vpcepError('EndPoint.3003', `port_id=${body.port_id}`);
  if (body.service_name !== undefined && !SERVICE_NAME_PATTERN.test(body.service_name))
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
  return ok(serviceJson(store, { ...rec, status: 'creating', readyAtMs: undefined }, req.now, false), true);
};

/** 4.2.2: one service. */
export const getService: Handler = (store, req) =>
  ok(serviceJson(store, findService(store, req.params.service_id), req.now, false));

/** 4.2.3: changes an available service's name, approval, port id, ports or TCP proxy setting. */
export const updateService: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const raw = bodyObject(req.body);
  const body = parseBody(updateServiceBody, raw);
  if (store.serviceStatus(s, req.now) !== 'available') throw vpcepError('EndPoint.3045', `service is ${s.status}`);
  if (body.service_name !== undefined && !SERVICE_NAME_PATTERN.test(body.service_name))
    throw vpcepError('EndPoint.1003', `service_name=${body.service_name}`);
  if (body.port_id !== undefined && !isResourceId(body.port_id))
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
  return ok(serviceJson(store, s, req.now, false), true);
};

/** 4.2.4: deletes a service no endpoint still uses. */
export const deleteService: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const c = s.connections;
  // A service still serving endpoints cannot go (EndPoint.3006 "being used").
  const inUse = c.count('accepted') + c.count('pendingAcceptance') + c.count('creating');
  if (inUse > 0) throw vpcepError('EndPoint.3006', `${inUse} endpoints still connected`);
  store.removeService(s);
  return { status: 204, mutated: true };
};

/** 4.2.10: the public services anyone may connect to, filtered and paged. */
export const listPublicServices: Handler = (store, req) => {
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

/** 4.2.11: the basic facts of one service, the project's own or a public one, by id or name. */
export const describeService: Handler = (store, req) => {
  const id = req.query.get('id') ?? undefined;
  const name = req.query.get('endpoint_service_name') ?? undefined;
  // 4.2.11: either id or endpoint_service_name must be given.
  if (!id && !name) throw vpcepError('EndPoint.2002', 'id or endpoint_service_name');
  const matches = (s: { id: string; service_name?: string }) =>
    (id === undefined || s.id === id) && (name === undefined || s.service_name === name);
  const own =
    id !== undefined
      ? [store.services.get(id)].filter((s): s is ServiceRecord => s !== undefined && matches(s))
      : [...store.services.values()].filter(matches);
  const pub = store.publicServices.find(matches);
  // The project's own services first (never charged), then the public ones.
  const found = own[0] ? { service: own[0], is_charge: false } : pub && { service: pub, is_charge: pub.is_charge };
  if (!found) throw vpcepError('EndPoint.2003', `service ${id ?? name}`);
  const { service, is_charge } = found;
  return ok({
    id: service.id,
    service_name: service.service_name,
    service_type: service.service_type,
    created_at: service.created_at,
    is_charge,
  });
};
