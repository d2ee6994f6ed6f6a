/**
 * The simulator's state file (CONTRACT.md section 5): one project, its endpoint services, each
 * with its connections (the VPC endpoints connected to it, 4.2.6) and whitelist records (4.2.8).
 * Every field other than `id` may be left out and gets a deterministic default, so a state
 * file can be as small as `{"services":[{"id":"svc-1"}]}`.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

import { UsageError } from '../errors';
import { CONNECTION_STATUSES, DOMAIN_ID_PATTERN, type ResourceError } from '../model';
import { booleanishSchema } from '../vpcep/schemas';
import { formatIssues } from '../zod-issues';

/** 4.2.2: status of an endpoint service. */
export const SERVICE_STATUSES = ['creating', 'available', 'failed', 'deleting'] as const;
/** 4.2.1: backend resource types. */
export const SERVER_TYPES = ['LB', 'VM', 'VIP', 'BMS'] as const;
/** 4.2.1: tcp_proxy values. */
export const TCP_PROXY_VALUES = ['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni'] as const;

export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
export type ConnectionStatusValue = (typeof CONNECTION_STATUSES)[number];

/** The time every omitted timestamp defaults to, so a defaulted state is reproducible. */
export const DEFAULT_TIME = '2024-01-01T00:00:00Z';
export const DEFAULT_PROJECT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const DEFAULT_DOMAIN_ID = '6e9dfd51d1124e8d8498dce894923a0d';
/** 4.4 example: 100 services, 150 endpoints. */
export const DEFAULT_QUOTAS = { endpoint_service: 100, endpoint: 150 } as const;

const idString = z.string().min(1, 'must not be empty');
const timeString = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time such as 2018-09-17T11:10:11Z' });
// CONTRACT section 6: marker_id may be a number or a numeric string; it is kept as a number.
const markerId = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number),
]);

const portSchema = z.strictObject({
  client_port: z.number().int().min(1).max(65535).optional(),
  server_port: z.number().int().min(1).max(65535).optional(),
  protocol: z.string().default('TCP'),
});

/** 4.2.2, 4.2.5, 4.2.6: why a `failed` service or connection failed, as the API lists it. */
const errorListSchema = z.array(
  z.strictObject({ error_code: z.string().optional(), error_message: z.string().optional() }),
);

const connectionSchema = z.strictObject({
  id: idString,
  domain_id: z.string().regex(DOMAIN_ID_PATTERN, 'must be 1-64 letters or digits').optional(),
  status: z.enum(CONNECTION_STATUSES).default('pendingAcceptance'),
  marker_id: markerId.optional(),
  created_at: timeString.optional(),
  updated_at: timeString.optional(),
  description: z.string().optional(),
  // The consumer side of the connection, shown by 4.3.2/4.3.4.
  vpc_id: z.string().optional(),
  subnet_id: z.string().optional(),
  ip: z.string().optional(),
  enable_dns: booleanishSchema.optional(),
  error: errorListSchema.optional(),
});

const permissionSchema = z.strictObject({
  id: idString,
  // What the API may list: 4.2.9's records, but also records this program does not govern
  // (an organization path, a record padded with spaces), which it must leave alone.
  permission: z.string().min(1, 'must not be empty').max(1024).optional(),
  description: z.string().max(128).optional(),
  created_at: timeString.optional(),
});

const serviceSchema = z.strictObject({
  id: idString,
  service_name: z.string().optional(),
  approval_enabled: booleanishSchema.optional(),
  status: z.enum(SERVICE_STATUSES).default('available'),
  server_type: z.enum(SERVER_TYPES).default('VM'),
  service_type: z.enum(['interface', 'gateway']).default('interface'),
  vpc_id: z.string().optional(),
  port_id: z.string().optional(),
  ports: z.array(portSchema).optional(),
  tcp_proxy: z.enum(TCP_PROXY_VALUES).default('close'),
  created_at: timeString.optional(),
  updated_at: timeString.optional(),
  error: errorListSchema.optional(),
  connections: z.array(connectionSchema).default([]),
  permissions: z.array(permissionSchema).default([]),
});

const publicServiceSchema = z.strictObject({
  id: idString,
  owner: z.string().default('example'),
  service_name: z.string().optional(),
  service_type: z.enum(['interface', 'gateway']).default('gateway'),
  created_at: timeString.optional(),
  is_charge: booleanishSchema.default(true),
});

const stateSchema = z.strictObject({
  project_id: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or hyphens')
    .default(DEFAULT_PROJECT_ID),
  domain_id: z.string().regex(DOMAIN_ID_PATTERN, 'must be 1-64 letters or digits').default(DEFAULT_DOMAIN_ID),
  quotas: z
    .strictObject({
      endpoint_service: z.number().int().nonnegative().optional(),
      endpoint: z.number().int().nonnegative().optional(),
    })
    .optional(),
  public_services: z.array(publicServiceSchema).optional(),
  services: z.array(serviceSchema).default([]),
});

/** The state file as a person writes it: everything but ids optional. */
export type SimulatorStateInput = z.input<typeof stateSchema>;

export interface PortState {
  client_port?: number;
  server_port?: number;
  protocol: string;
}

export interface ConnectionState {
  id: string;
  domain_id: string;
  status: ConnectionStatusValue;
  marker_id: number;
  created_at: string;
  updated_at: string;
  description?: string;
  vpc_id?: string;
  subnet_id?: string;
  ip?: string;
  enable_dns?: boolean;
  /** Why a `failed` connection failed (the API lists it only in that status). */
  error?: ResourceError[];
}

/**
 * What a `failed` service or connection lists as its `error` when the state gives none: the 7.2
 * system error (the reference names no code for a failed creation).
 */
export const DEFAULT_FAILED_ERROR: readonly ResourceError[] = [
  { error_code: 'EndPoint.0001', error_message: 'System error. Please retry.' },
];

/**
 * 4.2.2, 4.2.5, 4.2.6: the `error` a record answers with: its own when its status is `failed`
 * (DEFAULT_FAILED_ERROR if it has none), and none in any other status.
 */
export function failedError(status: string, error: readonly ResourceError[] | undefined): { error?: ResourceError[] } {
  return status === 'failed' ? { error: (error ?? DEFAULT_FAILED_ERROR).map((e) => ({ ...e })) } : {};
}

/** The optional details of a connection (4.3.2 and 4.3.4 show them), kept only where set. */
export const CONNECTION_DETAILS = ['description', 'vpc_id', 'subnet_id', 'ip', 'enable_dns', 'error'] as const;

/**
 * The fields of `source` among `keys` that are set: what an object with optional fields is
 * given, so an unset one stays absent (the state file and the API answers leave it out).
 */
export function definedFields<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

export interface PermissionState {
  id: string;
  permission: string;
  description?: string;
  created_at: string;
}

export interface ServiceState {
  id: string;
  service_name: string;
  approval_enabled: boolean;
  status: ServiceStatus;
  server_type: (typeof SERVER_TYPES)[number];
  service_type: 'interface' | 'gateway';
  vpc_id: string;
  port_id: string;
  ports: PortState[];
  tcp_proxy: (typeof TCP_PROXY_VALUES)[number];
  created_at: string;
  updated_at: string;
  /** Why a `failed` service failed (the API lists it only in that status). */
  error?: ResourceError[];
  connections: ConnectionState[];
  permissions: PermissionState[];
}

export interface PublicServiceState {
  id: string;
  owner: string;
  service_name: string;
  service_type: 'interface' | 'gateway';
  created_at: string;
  is_charge: boolean;
}

/** The complete state, every default filled in (what `Simulator.state()` returns). */
export interface SimulatorState {
  project_id: string;
  domain_id: string;
  quotas: { endpoint_service: number; endpoint: number };
  public_services: PublicServiceState[];
  services: ServiceState[];
}

/** The public services shown when a state file names none (4.2.10 example). */
export const DEFAULT_PUBLIC_SERVICES: readonly PublicServiceState[] = [
  {
    id: 'b0e22f6f-26f4-461c-b140-d873464d4fa0',
    owner: 'example',
    service_name: 'test123',
    service_type: 'interface',
    created_at: '2018-09-10T13:13:23Z',
    is_charge: true,
  },
  {
    id: '26391a76-546b-42a9-b2fc-496ec68c0e4d',
    owner: 'example',
    service_name: 'OBS',
    service_type: 'gateway',
    created_at: '2019-03-28T09:30:27Z',
    is_charge: true,
  },
];

const trusted = new WeakSet<object>();

/** Marks a complete state as already validated, so startSimulator need not parse it again. */
export function markValidated<T extends SimulatorState>(state: T): T {
  trusted.add(state);
  return state;
}

/** True for states returned by parseSimulatorState or generateState. */
export function isValidated(state: unknown): state is SimulatorState {
  return typeof state === 'object' && state !== null && trusted.has(state);
}

/** A UUID-shaped id derived from `seed`, so defaults are stable across runs. */
export function derivedUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A 32-hex domain id derived from `seed`. */
export function derivedDomainId(seed: string): string {
  return createHash('sha1').update(seed).digest('hex').slice(0, 32);
}

/**
 * Validates a state file (CONTRACT section 5) and fills every default. Throws a UsageError that
 * names the source and the path of each problem, e.g.
 * `invalid simulator state in demo.json: services[0].connections[1].status: Invalid option...`.
 *
 * @example parseSimulatorState(JSON.parse(fs.readFileSync(file, 'utf8')), file)
 */
export function parseSimulatorState(json: unknown, source = 'simulator state'): SimulatorState {
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues, { input: json, max: 60 });
    throw new UsageError(`invalid simulator state in ${source}: ${problems}`, 'SIMULATOR_STATE');
  }
  const input = parsed.data;
  const problems: string[] = [];
  const serviceIds = new Set<string>();
  const connectionIds = new Set<string>();
  const markers = new Set<number>();
  let nextMarker = 16777216; // 4.2.6 example markers sit just above 2^24
  for (const s of input.services)
    for (const c of s.connections) if (c.marker_id !== undefined) nextMarker = Math.max(nextMarker, c.marker_id + 1);

  const services: ServiceState[] = input.services.map((s, si) => {
    if (serviceIds.has(s.id)) problems.push(`services[${si}].id: duplicate service id ${JSON.stringify(s.id)}`);
    serviceIds.add(s.id);
    const created = s.created_at ?? DEFAULT_TIME;
    const permissionIds = new Set<string>();
    const permissionValues = new Set<string>();
    return {
      id: s.id,
      service_name: s.service_name ?? `svc-${s.id.slice(0, 8)}`,
      approval_enabled: s.approval_enabled ?? true,
      status: s.status,
      server_type: s.server_type,
      service_type: s.service_type,
      vpc_id: s.vpc_id ?? derivedUuid(`vpc:${s.id}`),
      port_id: s.port_id ?? derivedUuid(`port:${s.id}`),
      ports: s.ports ?? [{ client_port: 8080, server_port: 80, protocol: 'TCP' }],
      tcp_proxy: s.tcp_proxy,
      created_at: created,
      updated_at: s.updated_at ?? created,
      ...(s.error && { error: s.error }),
      connections: s.connections.map((c, ci) => {
        const where = `services[${si}].connections[${ci}]`;
        if (connectionIds.has(c.id))
          problems.push(
            `${where}.id: duplicate connection id ${JSON.stringify(c.id)} (endpoint ids are unique across services)`,
          );
        connectionIds.add(c.id);
        const marker = c.marker_id ?? nextMarker++;
        if (markers.has(marker)) problems.push(`${where}.marker_id: duplicate marker_id ${marker}`);
        markers.add(marker);
        const cCreated = c.created_at ?? DEFAULT_TIME;
        const conn: ConnectionState = {
          id: c.id,
          domain_id: c.domain_id ?? derivedDomainId(`domain:${c.id}`),
          status: c.status,
          marker_id: marker,
          created_at: cCreated,
          updated_at: c.updated_at ?? cCreated,
          ...definedFields(c, CONNECTION_DETAILS),
        };
        return conn;
      }),
      permissions: s.permissions.map((p, pi) => {
        const where = `services[${si}].permissions[${pi}]`;
        if (permissionIds.has(p.id)) problems.push(`${where}.id: duplicate permission id ${JSON.stringify(p.id)}`);
        permissionIds.add(p.id);
        const permission = p.permission ?? '*';
        if (permissionValues.has(permission))
          problems.push(`${where}.permission: duplicate record ${JSON.stringify(permission)}`);
        permissionValues.add(permission);
        const rec: PermissionState = { id: p.id, permission, created_at: p.created_at ?? created };
        if (p.description !== undefined) rec.description = p.description;
        return rec;
      }),
    };
  });
  if (problems.length > 0)
    throw new UsageError(`invalid simulator state in ${source}: ${problems.join('; ')}`, 'SIMULATOR_STATE');
  return markValidated({
    project_id: input.project_id,
    domain_id: input.domain_id,
    quotas: {
      endpoint_service: input.quotas?.endpoint_service ?? DEFAULT_QUOTAS.endpoint_service,
      endpoint: input.quotas?.endpoint ?? DEFAULT_QUOTAS.endpoint,
    },
    public_services: (input.public_services ?? DEFAULT_PUBLIC_SERVICES).map((p) => ({
      id: p.id,
      owner: p.owner,
      service_name: p.service_name ?? `public-${p.id.slice(0, 8)}`,
      service_type: p.service_type,
      created_at: p.created_at ?? DEFAULT_TIME,
      is_charge: p.is_charge,
    })),
    services,
  });
}
