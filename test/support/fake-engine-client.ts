import { EngineClient } from '../../lib/engine/ports';
import { Connection, EndpointService, WhitelistRecord } from '../../lib/model';
import { whitelistRecordFactory } from './records';

export interface FakeService {
  service: EndpointService;
  connections: Connection[];
  whitelist: WhitelistRecord[];
}

/** An error shaped like the client's VpcepApiError (status, errorCode, errorMsg). */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorMsg: string,
  ) {
    super(`${errorCode}: ${errorMsg}`);
  }
}

/**
 * An in-memory EngineClient over a few services, recording every call. `before` hooks let a test
 * make a call fail, or change the state first (another writer racing the engine).
 */
export function createFakeEngineClient(services: FakeService[]) {
  const calls: string[] = [];
  const hooks: { before?: (call: string) => void } = {};
  const find = (id: string) => {
    const s = services.find((x) => x.service.id === id);
    if (!s) throw new FakeApiError(404, 'EndPoint.0005', 'The requested resource is unavailable.');
    return s;
  };
  const enter = (call: string) => {
    calls.push(call);
    hooks.before?.(call);
  };
  let nextId = 1;
  const client: EngineClient = {
    async *listServices(query = {}) {
      enter(query.id ? `listServices ${query.id}` : 'listServices');
      yield* services.filter((s) => !query.id || s.service.id === query.id).map((s) => ({ ...s.service }));
    },
    async *listConnections(serviceId, query = {}) {
      enter(`listConnections ${serviceId} ${query.status ?? query.id ?? 'all'}`);
      yield* find(serviceId)
        .connections.filter((c) => (!query.status || c.status === query.status) && (!query.id || c.id === query.id))
        .map((c) => ({ ...c }));
    },
    async *listWhitelist(serviceId) {
      enter(`listWhitelist ${serviceId}`);
      yield* find(serviceId).whitelist.map((r) => ({ ...r }));
    },
    async acceptOrReject(serviceId, endpointId, action) {
      enter(`${action} ${serviceId} ${endpointId}`);
      const c = find(serviceId).connections.find((x) => x.id === endpointId);
      if (!c) throw new FakeApiError(400, 'EndPoint.2030', 'endpoint not in service');
      c.status = action === 'receive' ? 'accepted' : 'rejected';
      return [{ ...c }];
    },
    async updateWhitelist(serviceId, action, permissions) {
      enter(`whitelist ${action} ${serviceId} ${permissions.length}`);
      const s = find(serviceId);
      if (action === 'add')
        s.whitelist.push(...permissions.map((p) => whitelistRecordFactory(p, { id: `perm-${nextId++}` })));
      else s.whitelist = s.whitelist.filter((r) => !permissions.includes(r.permission));
      return [];
    },
    async updateService(serviceId, body) {
      enter(`updateService ${serviceId}`);
      Object.assign(find(serviceId).service, body);
      return {};
    },
  };
  return { client, calls, hooks, services };
}
