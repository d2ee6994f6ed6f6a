/** 4.3: the caller's own VPC endpoints, the consumer side of a connection. */
import { randomUUID } from 'node:crypto';

import { isoSeconds } from '../../time';
import { bodyObject, createEndpointBody, createEndpointRequestSchema, parseBody } from '../bodies';
import { vpcepError } from '../errors';
import { fuzzy, pageOf, parsePaging } from '../query';
import { definedFields, failedError } from '../state';
import { byCreated, byUpdated, ConnectionRecord, SimulatorStore, timeMs } from '../store';
import { ipFor } from './connections';
import { ApiRequest, Handler, ok } from './handler';
import { findService } from './services';
import { mayConnect } from './whitelist';

/** An endpoint as 4.3.1, 4.3.2 and 4.3.4 answer it. */
function endpointJson(store: SimulatorStore, c: ConnectionRecord): Record<string, unknown> {
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
  return { ...v, ...failedError(c.status, c.error) };
}

/** 4.3.1: the caller's new endpoint, pending when the service asks for approval. */
export const createEndpoint: Handler = (store, req) => {
  const raw = bodyObject(req.body);
  if (raw.endpoint_service_id === undefined || raw.endpoint_service_id === '')
    throw vpcepError('EndPoint.2029', 'endpoint_service_id');
  if (raw.vpc_id === undefined || raw.vpc_id === '') throw vpcepError('EndPoint.2011', 'vpc_id');
  if (raw.enable_dns !== undefined && typeof raw.enable_dns !== 'boolean')
    throw vpcepError('EndPoint.2033', `enable_dns=${JSON.stringify(raw.enable_dns)}`);
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
  Object.assign(rec, definedFields(body, ['subnet_id', 'description', 'whitelist', 'enable_whitelist', 'routetables']));
  if (s.service_type === 'interface') rec.ip = body.port_ip ?? ipFor(marker);
  store.addEndpoint(rec);
  return ok(endpointJson(store, rec), true);
};

function ownEndpoint(store: SimulatorStore, req: ApiRequest): ConnectionRecord {
  const id = req.params.endpoint_id ?? '';
  const c = store.domainEndpoints(req.callerDomain)?.get(id);
  if (!c) throw vpcepError('EndPoint.2006', `endpoint ${id}`);
  return c;
}

/** 4.3.2: one of the caller's endpoints. */
export const getEndpoint: Handler = (store, req) => ok(endpointJson(store, ownEndpoint(store, req)));

/** 4.3.3: deletes one of the caller's endpoints. */
export const deleteEndpoint: Handler = (store, req) => {
  store.removeEndpoint(ownEndpoint(store, req));
  return { status: 204, mutated: true };
};

/** 4.3.4: the caller's endpoints, filtered by id, VPC or service name, paged. */
export const listEndpoints: Handler = (store, req) => {
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
  return ok({ endpoints: pageOf(matches, paging).map((c) => endpointJson(store, c)), total_count: matches.length });
};
