/**
 * 4.2.6 / 4.2.7: a service's connections, listed, accepted and rejected; and, with the
 * connection-description extension, described (the newer API, not in the reference).
 */
import { CONNECTION_STATUSES } from '../../model';
import {
  bodyObject,
  connectionActionBody,
  connectionActionRequestSchema,
  connectionDescriptionsRequestSchema,
  parseBody,
} from '../bodies';
import { vpcepError } from '../errors';
import { checkEnum, pageOf, parsePaging } from '../query';
import { failedError } from '../state';
import { ConnectionRecord } from '../store';
import { Handler, ok } from './handler';
import { findService } from './services';

/** A connection as 4.2.6 lists it and 4.2.7 answers it. */
function connectionJson(c: ConnectionRecord): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: c.id,
    marker_id: c.marker_id,
    domain_id: c.domain_id,
    status: c.status,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
  if (c.description !== undefined) v.description = c.description;
  return { ...v, ...failedError(c.status, c.error) };
}

/** 4.2.6: a service's connections, by id, marker_id or status, paged. */
export const listConnections: Handler = (store, req) => {
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
    matches = s.connections.inOrder(status, paging.sortKey);
  }
  return ok({ connections: pageOf(matches, paging).map(connectionJson), total_count: matches.length });
};

/** 4.2.7: accepts or rejects one connection; repeating a decision changes nothing. */
export const acceptOrReject: Handler = (store, req) => {
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
  return ok({ connections: [connectionJson(c)] }, mutated);
};

/**
 * The newer API (extension `connection-description`): sets the description of each connection
 * listed, all or none; an id that is not one of the service's connections is EndPoint.2013.
 * Answers with the connections described.
 */
export const updateConnectionDescriptions: Handler = (store, req) => {
  const s = findService(store, req.params.service_id);
  const body = parseBody(connectionDescriptionsRequestSchema, bodyObject(req.body));
  const described = body.connections.map((d) => {
    const c = s.connections.byId.get(d.id);
    if (!c) throw vpcepError('EndPoint.2013', `endpoint ${d.id}`);
    return [c, d.description] as const;
  });
  let mutated = false;
  for (const [c, description] of described) {
    if (c.description === description) continue;
    c.description = description; // updated_at is the status's: a description leaves it as it is
    mutated = true;
  }
  return ok({ connections: described.map(([c]) => connectionJson(c)) }, mutated);
};

/** A stable private address for an approved interface endpoint. */
export function ipFor(marker: number): string {
  return `192.168.${(marker >>> 8) & 0xff}.${marker & 0xff || 1}`;
}
