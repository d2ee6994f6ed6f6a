/**
 * zod schemas of the VPCEP API v1 requests and responses (reference sections 4.1-4.4).
 *
 * Responses are tolerant of what the reference documents and shows (CONTRACT.md section 6):
 * `marker_id` as a number or a numeric string, booleans as `true` or `"true"`, unknown fields
 * (they are dropped), `null` for an optional field (read as absent: nullAsAbsent). They hand back
 * the normalised records of lib/model.ts. A response that breaks a schema is an error naming the
 * field (see describeIssues).
 *
 * The request-body schemas are exported for the simulator, which validates what it receives
 * with them.
 */
import * as z from 'zod';

import {
  CONNECTION_DESCRIPTION_MAX,
  isGovernedPermission,
  type Connection,
  type EndpointService,
  type WhitelistRecord,
} from '../model';
import { formatIssues } from '../zod-issues';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/**
 * `marker_id`: documented as Integer, shown as a numeric string in 4.2.7 and 4.3.x examples.
 * Always a number afterwards. Values beyond 2^53 (the 4.2.7 example's "422321321312321321")
 * lose precision, as the contract fixes `marker_id` to a number.
 */
export const markerIdSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)], {
  error: 'expected an integer or a numeric string',
});

/** A Boolean the API may send as `true` / `false` or `"true"` / `"false"` (4.2.10, 4.2.11, 4.3.4). */
export const booleanishSchema = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'expected a boolean (true/false or "true"/"false")',
});

const portSchema = nullAsAbsent({
  client_port: z.number().int().min(1).max(65535).optional(),
  server_port: z.number().int().min(1).max(65535).optional(),
  protocol: z.string().optional(),
});

const nonEmpty = z.string().min(1);

/**
 * An object schema of `shape` that reads `null` for any optional field as the field left out:
 * an API that sends `"created_at": null` has said nothing about it, and one such record must not
 * fail its whole listing. A `null` where a field is required is still an error naming the field.
 */
export function nullAsAbsent<Shape extends z.ZodRawShape>(shape: Shape) {
  const schema = z.object(shape);
  const optional = new Set(Object.keys(shape).filter((k) => z.safeParse(shape[k]!, undefined).success));
  return z.preprocess(
    (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([k, v]) => !(v === null && optional.has(k))))
        : value,
    schema,
  );
}

/** 4.2.2, 4.2.5, 4.2.6, 4.3.x: one entry of the `error` list of a `failed` resource. */
const errorItemSchema = nullAsAbsent({ error_code: z.string().optional(), error_message: z.string().optional() });

// ---------------------------------------------------------------------------------------------
// 4.1 Versions
// ---------------------------------------------------------------------------------------------

export const versionSchema = nullAsAbsent({
  id: nonEmpty,
  status: z.string(),
  updated: z.string().optional(),
  version: z.string().optional(),
  min_version: z.string().optional(),
  links: z.array(z.object({ href: z.string(), type: z.string().optional(), rel: z.string().optional() })).optional(),
});
export type ApiVersion = z.output<typeof versionSchema>;

export const listVersionsResponseSchema = z.object({ versions: z.array(versionSchema) });
export const getVersionResponseSchema = z.object({ version: versionSchema });

// ---------------------------------------------------------------------------------------------
// 4.2 Endpoint services
// ---------------------------------------------------------------------------------------------

/** 4.2.1-4.2.5: an endpoint service, normalised to lib/model EndpointService. */
export const endpointServiceSchema = nullAsAbsent({
  id: nonEmpty,
  service_name: z.string().optional(),
  approval_enabled: booleanishSchema,
  status: z.string().optional(),
  server_type: z.string().optional(),
  service_type: z.string().optional(),
  vpc_id: z.string().optional(),
  port_id: z.string().optional(),
  project_id: z.string().optional(),
  connection_count: z.number().int().nonnegative().optional(),
  tcp_proxy: z.string().optional(),
  ports: z.array(portSchema).optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  error: z.array(errorItemSchema).optional(),
}) satisfies z.ZodType<EndpointService, unknown>;

export const listServicesResponseSchema = nullAsAbsent({
  endpoint_services: z.array(endpointServiceSchema),
  total_count: z.number().int().nonnegative().optional(),
});

/** 4.2.6 / 4.2.7: a connection, normalised to lib/model Connection. */
export const connectionSchema = nullAsAbsent({
  id: nonEmpty,
  marker_id: markerIdSchema.optional(),
  domain_id: nonEmpty,
  status: nonEmpty,
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  /** Set with the newer description API (not in the reference): what the connection says. */
  description: z.string().optional(),
  error: z.array(errorItemSchema).optional(),
}) satisfies z.ZodType<Connection, unknown>;

export const listConnectionsResponseSchema = nullAsAbsent({
  connections: z.array(connectionSchema),
  total_count: z.number().int().nonnegative().optional(),
});
export const connectionActionResponseSchema = z.object({ connections: z.array(connectionSchema) });

/** 4.2.8: a whitelist record, normalised to lib/model WhitelistRecord. */
export const whitelistRecordSchema = nullAsAbsent({
  id: nonEmpty,
  permission: nonEmpty,
  description: z.string().optional(),
  created_at: z.string().optional(),
}) satisfies z.ZodType<WhitelistRecord, unknown>;

export const listWhitelistResponseSchema = nullAsAbsent({
  permissions: z.array(whitelistRecordSchema),
  total_count: z.number().int().nonnegative().optional(),
});

/** 4.2.9: the response lists the permissions as strings. */
export const whitelistActionResponseSchema = z.object({ permissions: z.array(z.string()) });

/** 4.2.10: a public endpoint service. */
const publicServiceShape = {
  id: nonEmpty,
  owner: z.string().optional(),
  service_name: z.string().optional(),
  service_type: z.string().optional(),
  created_at: z.string().optional(),
  is_charge: booleanishSchema.optional(),
};
export const publicServiceSchema = nullAsAbsent(publicServiceShape);
export type PublicService = z.output<typeof publicServiceSchema>;
export const listPublicServicesResponseSchema = nullAsAbsent({
  endpoint_services: z.array(publicServiceSchema),
  total_count: z.number().int().nonnegative().optional(),
});

/** 4.2.11: basic information about a service (same shape as a public service, without owner). */
export const describeServiceResponseSchema = nullAsAbsent(z.object(publicServiceShape).omit({ owner: true }).shape);
export type ServiceSummary = z.output<typeof describeServiceResponseSchema>;

// ---------------------------------------------------------------------------------------------
// 4.3 Endpoints
// ---------------------------------------------------------------------------------------------

const tagSchema = nullAsAbsent({ key: z.string(), value: z.string().optional() });

/** 4.3.1-4.3.4: a VPC endpoint. */
export const vpcEndpointSchema = nullAsAbsent({
  id: nonEmpty,
  status: z.string().optional(),
  service_type: z.string().optional(),
  active_status: z.union([z.string(), z.array(z.string())]).optional(),
  endpoint_service_name: z.string().optional(),
  marker_id: markerIdSchema.optional(),
  endpoint_service_id: z.string().optional(),
  enable_dns: booleanishSchema.optional(),
  dns_names: z.array(z.string()).optional(),
  ip: z.string().optional(),
  vpc_id: z.string().optional(),
  subnet_id: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  project_id: z.string().optional(),
  error: z.array(errorItemSchema).optional(),
  whitelist: z.array(z.string()).optional(),
  enable_whitelist: booleanishSchema.optional(),
  routetables: z.array(z.string()).optional(),
  enable_status: z.string().optional(),
  tags: z.array(tagSchema).optional(),
});
export type VpcEndpoint = z.output<typeof vpcEndpointSchema>;
export const listEndpointsResponseSchema = nullAsAbsent({
  endpoints: z.array(vpcEndpointSchema),
  total_count: z.number().int().nonnegative().optional(),
});

// ---------------------------------------------------------------------------------------------
// 4.4 Quotas
// ---------------------------------------------------------------------------------------------

export const quotasResponseSchema = z.object({
  quotas: z.object({
    resources: z.array(z.object({ type: z.string(), used: z.number().int().nonnegative(), quota: z.number().int() })),
  }),
});
export type Quotas = z.output<typeof quotasResponseSchema>['quotas'];

// ---------------------------------------------------------------------------------------------
// Error body (3.3, 7.2)
// ---------------------------------------------------------------------------------------------

/** `{"error_code": "EndPoint.0002", "error_msg": "Parameter error."}`; some gateways nest it under `error`. */
export const errorBodySchema = z.union([
  z.object({ error_code: z.string(), error_msg: z.string().optional() }),
  z
    .object({ error: z.object({ code: z.string(), message: z.string().optional() }) })
    .transform((b) => ({ error_code: b.error.code, error_msg: b.error.message })),
]);

// ---------------------------------------------------------------------------------------------
// Request bodies (exported for the simulator)
// ---------------------------------------------------------------------------------------------

/** 4.2.1 / 4.2.3: a service name: 1-16 letters, digits, `_` and `-` (the simulator checks it too). */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
const serviceNameSchema = z.string().regex(SERVICE_NAME_PATTERN, 'at most 16 letters, digits, "_" or "-"');
const requestPortSchema = z.object({
  client_port: z.number().int().min(1).max(65535).optional(),
  server_port: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['TCP']).optional(),
});
const tcpProxySchema = z.enum(['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni']);

/** 4.2.1 request body. */
export const createServiceRequestSchema = z.object({
  port_id: nonEmpty,
  service_name: serviceNameSchema.optional(),
  vpc_id: nonEmpty,
  approval_enabled: z.boolean().optional(),
  service_type: z.enum(['interface', 'gateway']).optional(),
  server_type: z.enum(['LB', 'VM', 'VIP', 'BMS']),
  // 4.2.1: at most 200 port mappings at a time.
  ports: z.array(requestPortSchema).min(1).max(200),
  tcp_proxy: tcpProxySchema.optional(),
});
export type CreateServiceRequest = z.input<typeof createServiceRequestSchema>;

/** 4.2.3 request body. */
export const updateServiceRequestSchema = z.object({
  approval_enabled: z.boolean().optional(),
  service_name: serviceNameSchema.optional(),
  ports: z.array(requestPortSchema).min(1).max(200).optional(),
  port_id: nonEmpty.optional(),
  tcp_proxy: tcpProxySchema.optional(),
});
export type UpdateServiceRequest = z.input<typeof updateServiceRequestSchema>;

/**
 * 4.2.7 request body. The API takes one endpoint per call (EndPoint.2031 otherwise); the schema
 * accepts a non-empty list so a server can answer a longer one with that error code.
 */
export const connectionActionRequestSchema = z.object({
  action: z.enum(['receive', 'reject']),
  endpoints: z.array(nonEmpty).min(1),
});
export type ConnectionActionRequest = z.input<typeof connectionActionRequestSchema>;

/**
 * The newer connection-description API's request body (not in the reference): each connection
 * by id with its description, at most 512 characters and without `<` or `>`.
 */
export const connectionDescriptionsRequestSchema = z.object({
  connections: z
    .array(
      z.object({
        id: nonEmpty.max(64),
        description: z
          .string()
          .max(CONNECTION_DESCRIPTION_MAX)
          .refine((d) => !/[<>]/.test(d), 'a description may not contain "<" or ">"'),
      }),
    )
    .min(1),
});
export type ConnectionDescriptionsRequest = z.input<typeof connectionDescriptionsRequestSchema>;

/** Its answer: the connections described (their other fields are not needed, so not required). */
export const connectionDescriptionsResponseSchema = nullAsAbsent({
  connections: z.array(nullAsAbsent({ id: nonEmpty, description: z.string().optional() })).optional(),
});

/**
 * 4.2.9: `iam:domain::<1-64 letters, digits or *>`, or `*` (4.2.8: everyone), taken trimmed and in
 * any case, so a record is removed exactly as 4.2.8 listed it (CONTRACT 2).
 */
export const permissionSchema = z.string().refine(isGovernedPermission, 'expected "iam:domain::<domain id>" or "*"');

/** 4.2.9 request body. */
export const whitelistActionRequestSchema = z.object({
  permissions: z.array(permissionSchema).min(1),
  action: z.enum(['add', 'remove']),
});
export type WhitelistActionRequest = z.input<typeof whitelistActionRequestSchema>;

/** 4.3.1 request body (`tags` appears in the reference's example). */
export const createEndpointRequestSchema = z.object({
  subnet_id: nonEmpty.optional(),
  endpoint_service_id: nonEmpty,
  vpc_id: nonEmpty,
  enable_dns: z.boolean().optional(),
  routetables: z.array(nonEmpty).optional(),
  port_ip: z.string().optional(),
  whitelist: z.array(z.string()).optional(),
  enable_whitelist: z.boolean().optional(),
  tags: z.array(tagSchema).optional(),
});
export type CreateEndpointRequest = z.input<typeof createEndpointRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Describes schema issues with the path of each field, e.g.
 * `connections[3].marker_id: expected an integer or a numeric string`; given the checked value
 * (`{ input }`), also what was found there: `...; got "abc"` or `...; missing`.
 */
export function describeIssues(
  error: z.ZodError,
  checked?: { input: unknown; scrub?: (text: string) => string },
): string {
  const found = checked === undefined ? {} : { input: checked.input, scrub: checked.scrub, max: 60 };
  return formatIssues(error.issues, { root: '(body)', limit: 5, ...found });
}
