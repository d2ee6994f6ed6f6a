import * as z from 'zod';

import { describeIssue } from '../zod-issues';
import { vpcepError } from './errors';

/**
 * Request bodies. The authoritative schemas are the client's (lib/vpcep/schemas.ts), so client
 * and simulator agree on what a valid request is. The handlers first check the fields whose
 * faults have their own 7.2 code (so the answer carries that code), reading them through the
 * loose shapes below, and then validate the whole body with the client's schema; whatever that
 * still rejects is answered with EndPoint.0002 "Parameter error.".
 */
export {
  connectionActionRequestSchema,
  connectionDescriptionsRequestSchema,
  createEndpointRequestSchema,
  createServiceRequestSchema,
  updateServiceRequestSchema,
  whitelistActionRequestSchema,
} from '../vpcep/schemas';

const port = z.object({
  client_port: z.number().int().optional(),
  server_port: z.number().int().optional(),
  protocol: z.string().optional(),
});

/** 4.2.1, loosely */
export const createServiceBody = z.object({
  port_id: z.string(),
  vpc_id: z.string(),
  service_name: z.string().optional(),
  approval_enabled: z.boolean().optional(),
  service_type: z.enum(['interface', 'gateway']).optional(),
  server_type: z.string(),
  ports: z.array(port),
  tcp_proxy: z.enum(['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni']).optional(),
});

/** 4.2.3, loosely */
export const updateServiceBody = z.object({
  approval_enabled: z.boolean().optional(),
  service_name: z.string().optional(),
  ports: z.array(port).optional(),
  port_id: z.string().optional(),
  tcp_proxy: z.enum(['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni']).optional(),
});

/** 4.2.7, loosely */
export const connectionActionBody = z.object({
  action: z.string(),
  endpoints: z.array(z.string()),
});

/** 4.2.9, loosely */
export const permissionActionBody = z.object({
  action: z.string(),
  permissions: z.array(z.string()),
});

/** 4.3.1, loosely */
export const createEndpointBody = z.object({
  endpoint_service_id: z.string(),
  vpc_id: z.string(),
  subnet_id: z.string().optional(),
  enable_dns: z.boolean().optional(),
  port_ip: z.string().optional(),
  whitelist: z.array(z.string()).optional(),
  enable_whitelist: z.boolean().optional(),
  routetables: z.array(z.string()).optional(),
  description: z.string().max(512).optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
});

/** Parses a body with `schema`, answering EndPoint.0002 (naming the field in the log) on failure. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw vpcepError('EndPoint.0002', describeIssue(result.error.issues[0]!, { root: 'body' }));
}

/** The body as an object, or EndPoint.0002 when it is JSON but not an object. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw vpcepError('EndPoint.0002', 'body must be a JSON object');
  return body as Record<string, unknown>;
}
