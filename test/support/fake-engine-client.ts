import { EngineClient } from '../../lib/engine/ports';
import { Connection, EndpointService, WhitelistRecord } from '../../lib/model';
import { toActionError, VpcepApiError } from '../../lib/vpcep/errors';
import { updateWhitelistInHalves } from '../../lib/vpcep/whitelist-batches';
import { whitelistRecordFactory } from './records';

export interface FakeService {
  service: EndpointService;
  connections: Connection[];
  whitelist: WhitelistRecord[];
}

/** The error the client throws when the API answers `status` with `errorCode` and `errorMsg` (7.2). */
export function apiError(status: number, errorCode: string, errorMsg: string): VpcepApiError {
  return new VpcepApiError(`fake failed: HTTP ${status} ${errorCode}: ${errorMsg}`, {
    operation: 'fake',
    status,
    errorCode,
    errorMsg,
    retryable: false,
  });
}

/** The error the client throws for a call the run's interruption stopped: not sent, or a listing page cut off. */
export function interruptedError(message: string): VpcepApiError {
  return new VpcepApiError(message, { operation: 'fake', retryable: false, code: 'INTERRUPTED' });
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
    if (!s) throw apiError(404, 'EndPoint.0005', 'The requested resource is unavailable.');
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
      if (!c) throw apiError(400, 'EndPoint.2030', 'endpoint not in service');
      c.status = action === 'receive' ? 'accepted' : 'rejected';
      return [{ ...c }];
    },
    // As the client does: one 4.2.9 call per batch, halved where the API refuses it.
    async updateWhitelistRecords(serviceId, action, permissions, { signal } = {}) {
      const update = async (batch: string[]) => {
        enter(`whitelist ${action} ${serviceId} ${batch.length}`);
        const s = find(serviceId);
        if (action === 'add')
          s.whitelist.push(...batch.map((p) => whitelistRecordFactory(p, { id: `perm-${nextId++}` })));
        else s.whitelist = s.whitelist.filter((r) => !batch.includes(r.permission));
      };
      return updateWhitelistInHalves(update, action, permissions, signal);
    },
    async updateService(serviceId, body) {
      enter(`updateService ${serviceId}`);
      Object.assign(find(serviceId).service, body);
      return {};
    },
    async updateConnectionDescriptions(serviceId, connections) {
      enter(`describe ${serviceId} ${connections.length}`);
      const s = find(serviceId);
      for (const d of connections) {
        const c = s.connections.find((x) => x.id === d.id);
        if (c) c.description = d.description;
      }
      return connections.map((d) => ({ ...d }));
    },
    describeError: toActionError,
  };
  return { client, calls, hooks, services };
}
