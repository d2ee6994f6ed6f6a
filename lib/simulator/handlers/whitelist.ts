/** 4.2.8 / 4.2.9: a service's whitelist (permission) records, and who they let connect. */
import { randomUUID } from 'node:crypto';

import { domainPermission, isWildcardPermission, PERMISSION_PATTERN } from '../../model';
import { isoSeconds } from '../../time';
import { bodyObject, parseBody, permissionActionBody, whitelistActionRequestSchema } from '../bodies';
import { vpcepError } from '../errors';
import { fuzzy, pageOf, parsePaging } from '../query';
import { byCreated, ServiceRecord, SimulatorStore, timeMs } from '../store';
import { Handler, ok } from './handler';
import { findService } from './services';

/** 4.2.8: a service's whitelist records, filtered by permission and paged. */
export const listWhitelist: Handler = (store, req) => {
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

/**
 * 4.2.9: adds or removes whitelist records (a set: case-insensitive, no duplicates). A removal
 * takes a record exactly as 4.2.8 lists it, even one 4.2.9 would not add.
 */
export const updateWhitelist: Handler = (store, req, settings) => {
  const s = findService(store, req.params.service_id);
  const raw = bodyObject(req.body);
  if (raw.permissions === undefined || (Array.isArray(raw.permissions) && raw.permissions.length === 0))
    throw vpcepError('EndPoint.3036', 'permissions is empty');
  if (raw.action !== 'add' && raw.action !== 'remove')
    throw vpcepError('EndPoint.3035', `action=${String(raw.action)}`);
  const body = parseBody(permissionActionBody, raw);
  // An added record must be 4.2.9's; a removed one may also be any record exactly as listed.
  const listed = new Set(s.permissions.map((p) => p.permission));
  body.permissions.forEach((p, i) => {
    if (!PERMISSION_PATTERN.test(p) && !(body.action === 'remove' && listed.has(p)))
      throw vpcepError('EndPoint.3002', `permissions[${i}]=${p}`);
  });
  if (body.action === 'add') parseBody(whitelistActionRequestSchema, raw);
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

/** Whether `domain` may connect to `s`: the owner always may, else a whitelist record must allow it (4.2.8 note). */
export function mayConnect(store: SimulatorStore, s: ServiceRecord, domain: string): boolean {
  const d = domain.toLowerCase();
  if (d === store.domainId.toLowerCase()) return true;
  const wanted = domainPermission(d);
  return s.permissions.some((p) => isWildcardPermission(p.permission) || p.permission.toLowerCase() === wanted);
}
