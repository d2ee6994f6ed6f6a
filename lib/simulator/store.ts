/**
 * The simulator's in-memory model with the indexes that keep every request cheap at scale
 * (10,000 services, 1,000,000 connections): connections are indexed per service, by id, by
 * marker_id and by status, each kept sorted by creation time, so a page of a list is a slice,
 * never a scan or a sort of everything.
 */
import { compareStrings } from '../strings';
import { isoSeconds } from '../time';
import {
  CONNECTION_DETAILS,
  ConnectionState,
  ConnectionStatusValue,
  definedFields,
  markValidated,
  PermissionState,
  PublicServiceState,
  ServiceState,
  SimulatorState,
} from './state';

/** A connection (= a VPC endpoint, 4.2.6 / 4.3) as the store keeps it. */
export interface ConnectionRecord extends ConnectionState {
  serviceId: string;
  createdMs: number;
  updatedMs: number;
  /** 4.3.1 request fields that only the endpoint views show. */
  whitelist?: string[];
  enable_whitelist?: boolean;
  routetables?: string[];
}

export interface ServiceRecord extends Omit<ServiceState, 'connections' | 'permissions'> {
  createdMs: number;
  updatedMs: number;
  /** When a `creating` service turns `available` (4.2.1 is asynchronous). */
  readyAtMs?: number;
  connections: ConnectionIndex;
  permissions: PermissionState[];
}

type Sortable = { createdMs: number; updatedMs: number; id: string };

/** Total order by creation time, then id: pages stay stable while nothing changes. */
export function byCreated(a: Sortable, b: Sortable): number {
  return a.createdMs - b.createdMs || compareStrings(a.id, b.id);
}

/** Total order by update time, then id. */
export function byUpdated(a: Sortable, b: Sortable): number {
  return a.updatedMs - b.updatedMs || compareStrings(a.id, b.id);
}

function lowerBound<T>(arr: readonly T[], item: T, cmp: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(arr[mid]!, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortedInsert<T>(arr: T[], item: T, cmp: (a: T, b: T) => number): void {
  arr.splice(lowerBound(arr, item, cmp), 0, item);
}

function sortedRemove<T>(arr: T[], item: T, cmp: (a: T, b: T) => number): void {
  const i = lowerBound(arr, item, cmp);
  if (arr[i] === item) arr.splice(i, 1);
}

/** Parses an ISO time to epoch ms; the state schema has already checked the format. */
export function timeMs(iso: string): number {
  return Date.parse(iso);
}

/** One service's connections, indexed for 4.2.6 queries and 4.2.7 actions. */
export class ConnectionIndex {
  private all: ConnectionRecord[] = [];
  private readonly byStatus = new Map<string, ConnectionRecord[]>();
  readonly byId = new Map<string, ConnectionRecord>();
  readonly byMarker = new Map<number, ConnectionRecord>();
  /** Lists sorted by updated_at, per status ('*' for all), built on demand and dropped on any change. */
  private readonly byUpdatedCache = new Map<string, ConnectionRecord[]>();

  /** Loads many connections at once: one sort instead of many inserts. */
  bulkLoad(records: ConnectionRecord[]): void {
    this.all = [...this.all, ...records].sort(byCreated);
    this.byStatus.clear();
    for (const r of this.all) {
      this.statusList(r.status).push(r);
      this.byId.set(r.id, r);
      this.byMarker.set(r.marker_id, r);
    }
    this.byUpdatedCache.clear();
  }

  get size(): number {
    return this.all.length;
  }

  count(status: string): number {
    return this.byStatus.get(status)?.length ?? 0;
  }

  insert(r: ConnectionRecord): void {
    sortedInsert(this.all, r, byCreated);
    sortedInsert(this.statusList(r.status), r, byCreated);
    this.byId.set(r.id, r);
    this.byMarker.set(r.marker_id, r);
    this.byUpdatedCache.clear();
  }

  remove(r: ConnectionRecord): void {
    sortedRemove(this.all, r, byCreated);
    sortedRemove(this.statusList(r.status), r, byCreated);
    this.byId.delete(r.id);
    this.byMarker.delete(r.marker_id);
    this.byUpdatedCache.clear();
  }

  /** Moves a connection to another status and stamps updated_at. */
  setStatus(r: ConnectionRecord, status: ConnectionStatusValue, now: Date): void {
    sortedRemove(this.statusList(r.status), r, byCreated);
    r.status = status;
    r.updated_at = isoSeconds(now);
    r.updatedMs = timeMs(r.updated_at);
    sortedInsert(this.statusList(status), r, byCreated);
    this.byUpdatedCache.clear();
  }

  /** All connections, or those of one status, ascending by the sort key (4.2.6 pages slice it). */
  inOrder(status: string | undefined, sortKey: 'created_at' | 'updated_at'): readonly ConnectionRecord[] {
    const base = status === undefined ? this.all : (this.byStatus.get(status) ?? []);
    if (sortKey === 'created_at') return base;
    const key = status ?? '*';
    let v = this.byUpdatedCache.get(key);
    if (!v) {
      v = [...base].sort(byUpdated);
      this.byUpdatedCache.set(key, v);
    }
    return v;
  }

  /** Every connection in creation order (for state snapshots). */
  values(): readonly ConnectionRecord[] {
    return this.all;
  }

  private statusList(status: string): ConnectionRecord[] {
    let list = this.byStatus.get(status);
    if (!list) {
      list = [];
      this.byStatus.set(status, list);
    }
    return list;
  }
}

/** The whole simulated project. */
export class SimulatorStore {
  readonly projectId: string;
  readonly domainId: string;
  readonly quotas: { endpoint_service: number; endpoint: number };
  readonly publicServices: PublicServiceState[];
  readonly services = new Map<string, ServiceRecord>();
  /** Services ascending by creation time (4.2.5 default order is created_at). */
  private servicesSorted: ServiceRecord[] = [];
  private servicesByUpdated: ServiceRecord[] | undefined;
  /** Endpoints by the consumer domain that owns them: 4.3.2 - 4.3.4 see only the caller's own. */
  private readonly endpointsByDomain = new Map<string, Map<string, ConnectionRecord>>();
  private nextMarker = 16777216;

  constructor(state: SimulatorState) {
    this.projectId = state.project_id;
    this.domainId = state.domain_id;
    this.quotas = { ...state.quotas };
    this.publicServices = state.public_services.map((p) => ({ ...p }));
    for (const s of state.services)
      for (const c of s.connections) this.nextMarker = Math.max(this.nextMarker, c.marker_id + 1);
    const services: ServiceRecord[] = [];
    for (const s of state.services) {
      const { connections, permissions, ...rest } = s;
      const rec: ServiceRecord = {
        ...rest,
        ports: rest.ports.map((p) => ({ ...p })),
        createdMs: timeMs(s.created_at),
        updatedMs: timeMs(s.updated_at),
        connections: new ConnectionIndex(),
        permissions: permissions.map((p) => ({ ...p })),
      };
      const records = connections.map((c) => this.toRecord(c, s.id));
      rec.connections.bulkLoad(records);
      for (const r of records) this.indexEndpoint(r);
      this.services.set(s.id, rec);
      services.push(rec);
    }
    this.servicesSorted = services.sort(byCreated);
  }

  allocateMarker(): number {
    return this.nextMarker++;
  }

  /** Every service, ascending by the sort key (4.2.5 pages slice it). */
  servicesInOrder(sortKey: 'created_at' | 'updated_at'): readonly ServiceRecord[] {
    if (sortKey === 'created_at') return this.servicesSorted;
    this.servicesByUpdated ??= [...this.servicesSorted].sort(byUpdated);
    return this.servicesByUpdated;
  }

  addService(rec: ServiceRecord): void {
    this.services.set(rec.id, rec);
    sortedInsert(this.servicesSorted, rec, byCreated);
    this.servicesByUpdated = undefined;
  }

  /** Call after changing a service's updated_at. */
  touchService(rec: ServiceRecord, now: Date): void {
    rec.updated_at = isoSeconds(now);
    rec.updatedMs = timeMs(rec.updated_at);
    this.servicesByUpdated = undefined;
  }

  removeService(rec: ServiceRecord): void {
    for (const c of [...rec.connections.values()]) this.unindexEndpoint(c);
    this.services.delete(rec.id);
    sortedRemove(this.servicesSorted, rec, byCreated);
    this.servicesByUpdated = undefined;
  }

  /** 4.2.1 is asynchronous: a `creating` service becomes `available` once its time has come. */
  serviceStatus(rec: ServiceRecord, now: Date): string {
    if (rec.status === 'creating' && rec.readyAtMs !== undefined && now.getTime() >= rec.readyAtMs) {
      rec.status = 'available';
      rec.readyAtMs = undefined;
    }
    return rec.status;
  }

  addEndpoint(rec: ConnectionRecord): void {
    this.services.get(rec.serviceId)?.connections.insert(rec);
    this.indexEndpoint(rec);
  }

  removeEndpoint(rec: ConnectionRecord): void {
    this.services.get(rec.serviceId)?.connections.remove(rec);
    this.unindexEndpoint(rec);
  }

  /** The endpoints `domainId` owns, by id; domain ids compare case-insensitively. */
  domainEndpoints(domainId: string): Map<string, ConnectionRecord> | undefined {
    return this.endpointsByDomain.get(domainId.toLowerCase());
  }

  /** A deep copy in the state-file shape (CONTRACT section 5). */
  snapshot(now: Date): SimulatorState {
    const services: ServiceState[] = [];
    for (const s of this.servicesSorted) {
      services.push({
        id: s.id,
        service_name: s.service_name,
        approval_enabled: s.approval_enabled,
        status: this.serviceStatus(s, now) as ServiceState['status'],
        server_type: s.server_type,
        service_type: s.service_type,
        vpc_id: s.vpc_id,
        port_id: s.port_id,
        ports: s.ports.map((p) => ({ ...p })),
        tcp_proxy: s.tcp_proxy,
        created_at: s.created_at,
        updated_at: s.updated_at,
        ...(s.error && { error: s.error.map((e) => ({ ...e })) }),
        connections: s.connections.values().map(connectionState),
        permissions: s.permissions.map((p) => ({ ...p })),
      });
    }
    return markValidated({
      project_id: this.projectId,
      domain_id: this.domainId,
      quotas: { ...this.quotas },
      public_services: this.publicServices.map((p) => ({ ...p })),
      services,
    });
  }

  private toRecord(c: ConnectionState, serviceId: string): ConnectionRecord {
    return { ...c, serviceId, createdMs: timeMs(c.created_at), updatedMs: timeMs(c.updated_at) };
  }

  private indexEndpoint(r: ConnectionRecord): void {
    const key = r.domain_id.toLowerCase();
    let m = this.endpointsByDomain.get(key);
    if (!m) {
      m = new Map();
      this.endpointsByDomain.set(key, m);
    }
    m.set(r.id, r);
  }

  private unindexEndpoint(r: ConnectionRecord): void {
    this.endpointsByDomain.get(r.domain_id.toLowerCase())?.delete(r.id);
  }
}

/** A connection record back in the state-file shape. */
export function connectionState(r: ConnectionRecord): ConnectionState {
  return {
    id: r.id,
    domain_id: r.domain_id,
    status: r.status,
    marker_id: r.marker_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
    ...definedFields(r, CONNECTION_DETAILS),
  };
}
