import { UsageError } from '../errors';
import { domainPermission } from '../model';
import { isoSeconds } from '../time';
import { mulberry32, randomHex, sequentialUuids } from './random';
import {
  ConnectionState,
  DEFAULT_DOMAIN_ID,
  DEFAULT_PROJECT_ID,
  markValidated,
  PermissionState,
  ServiceState,
  SimulatorState,
} from './state';

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

/** The most services `--generate` builds: the quota the generated state is given grows with it. */
const MAX_GENERATED_SERVICES = 100_000;
/** The most pending connections per service `--generate` builds. */
const MAX_GENERATED_PENDING = 10_000;
/**
 * The most connections in all (services x pending): the simulator holds about 1 GB of state at
 * 1,000,000 connections (bench/RESULTS.md), so twice that is as far as a laptop goes.
 */
const MAX_GENERATED_CONNECTIONS = 2_000_000;

/**
 * The options of `simulator --generate services=N,pending=M[,seed=S]`: N services with M pending
 * connections each (from seeded consumer domains, each service with a few whitelist records), in
 * the default project of a state file (CONTRACT section 5), so the CLI settings of the README work
 * unchanged. Throws UsageError naming the part that is wrong.
 */
export function parseGenerateSpec(spec: string): GenerateStateOptions {
  const usage = 'expected services=N,pending=M[,seed=S], e.g. services=200,pending=5,seed=7';
  const values = new Map<string, number>();
  for (const part of spec.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match)
      throw new UsageError(`--generate ${JSON.stringify(spec)}: cannot read ${JSON.stringify(part)}; ${usage}`);
    const [, key, value] = match as unknown as [string, string, string];
    if (!['services', 'pending', 'seed'].includes(key))
      throw new UsageError(`--generate ${JSON.stringify(spec)}: unknown key ${key}; ${usage}`);
    if (values.has(key)) throw new UsageError(`--generate ${JSON.stringify(spec)}: ${key} is given twice`);
    values.set(key, Number(value));
  }
  const bounded = (key: string, min: number, max: number): number => {
    const n = values.get(key);
    if (n === undefined) throw new UsageError(`--generate ${JSON.stringify(spec)}: ${key} is missing; ${usage}`);
    if (n < min || n > max)
      throw new UsageError(`--generate ${JSON.stringify(spec)}: ${key}=${n} is out of range (${min} to ${max})`);
    return n;
  };
  const seed = values.get('seed');
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw new UsageError(`--generate ${JSON.stringify(spec)}: seed=${seed} is not a safe integer`);
  const services = bounded('services', 1, MAX_GENERATED_SERVICES);
  const pending = bounded('pending', 0, MAX_GENERATED_PENDING);
  if (services * pending > MAX_GENERATED_CONNECTIONS)
    throw new UsageError(
      `--generate ${JSON.stringify(spec)}: services x pending = ${services * pending} connections, more than the ${MAX_GENERATED_CONNECTIONS} the simulator holds in memory`,
    );
  return {
    services,
    connectionsPerService: pending,
    pendingRatio: 1,
    ...(seed === undefined ? {} : { seed }),
    project_id: DEFAULT_PROJECT_ID,
    domain_id: DEFAULT_DOMAIN_ID,
  };
}
