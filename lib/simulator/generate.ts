import { domainPermission } from '../model';
import { isoSeconds } from '../time';
import { mulberry32, randomHex, sequentialUuids } from './random';
import { ConnectionState, markValidated, PermissionState, ServiceState, SimulatorState } from './state';

export interface GenerateStateOptions {
  /** Number of endpoint services. */
  services: number;
  /** Connections of each service, or a function of the service's index (e.g. one hot service). */
  connectionsPerService: number | ((serviceIndex: number) => number);
  /** Share of connections in `pendingAcceptance` (the rest are `accepted`); default 0.2. */
  pendingRatio?: number;
  /** Seed: the same options give the same state. Default 1. */
  seed?: number;
  /** Consumer domains the connections come from; default 50. */
  domains?: number;
  /** Whitelist records per service (taken from the consumer domains); default 3. */
  permissionsPerService?: number;
  /** Share of services with approval_enabled; default 1. */
  approvalRatio?: number;
  project_id?: string;
  domain_id?: string;
}

/**
 * Builds a large, realistic, valid state quickly (tests and benchmarks), without going through
 * the state-file parser: one million connections take about a second.
 *
 * @example startSimulator({ state: generateState({ services: 1000, connectionsPerService: 20, pendingRatio: 1 }) })
 */
export function generateState(options: GenerateStateOptions): SimulatorState {
  const random = mulberry32(options.seed ?? 1);
  const pendingRatio = options.pendingRatio ?? 0.2;
  const approvalRatio = options.approvalRatio ?? 1;
  const domainPool = Array.from({ length: Math.max(1, options.domains ?? 50) }, () => randomHex(random, 32));
  const perServiceOf =
    typeof options.connectionsPerService === 'number'
      ? () => options.connectionsPerService as number
      : options.connectionsPerService;
  const newId = sequentialUuids(random);
  let total = 0;
  const permissionsPerService = Math.min(options.permissionsPerService ?? 3, domainPool.length);
  const base = Date.parse('2024-01-01T00:00:00Z');
  let marker = 16777216;
  const services: ServiceState[] = [];
  for (let s = 0; s < options.services; s++) {
    const serviceCreated = iso(base + s * 60_000);
    const perService = perServiceOf(s);
    total += perService;
    const connections: ConnectionState[] = new Array<ConnectionState>(perService);
    for (let c = 0; c < perService; c++) {
      const created = iso(base + s * 60_000 + (c + 1) * 1000);
      connections[c] = {
        id: newId(),
        domain_id: domainPool[Math.floor(random() * domainPool.length)]!,
        status: random() < pendingRatio ? 'pendingAcceptance' : 'accepted',
        marker_id: marker++,
        created_at: created,
        updated_at: created,
      };
    }
    const permissions: PermissionState[] = [];
    const first = Math.floor(random() * domainPool.length);
    for (let p = 0; p < permissionsPerService; p++) {
      permissions.push({
        id: newId(),
        permission: domainPermission(domainPool[(first + p) % domainPool.length]!),
        created_at: serviceCreated,
      });
    }
    services.push({
      id: newId(),
      service_name: `svc-${String(s).padStart(5, '0')}`,
      approval_enabled: random() < approvalRatio,
      status: 'available',
      server_type: 'VM',
      service_type: 'interface',
      vpc_id: newId(),
      port_id: newId(),
      ports: [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
      tcp_proxy: 'close',
      created_at: serviceCreated,
      updated_at: serviceCreated,
      connections,
      permissions,
    });
  }
  return markValidated({
    project_id: options.project_id ?? 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    domain_id: options.domain_id ?? '6e9dfd51d1124e8d8498dce894923a0d',
    // Generous quotas: generated states are for scale, not for quota tests.
    quotas: { endpoint_service: Math.max(100, options.services * 2), endpoint: Math.max(150, total * 2) },
    public_services: [],
    services,
  });
}

function iso(ms: number): string {
  return isoSeconds(new Date(ms));
}
