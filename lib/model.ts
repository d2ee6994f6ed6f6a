/**
 * The normalised records the rest of the program sees (CONTRACT.md section 6).
 *
 * The VPCEP client turns whatever the API sends (numeric strings, "true" for booleans, extra
 * fields) into these shapes; the planner, engine, audit and CLI only ever see these. This module
 * has no imports on purpose: lib/policy may depend on it without depending on lib/vpcep.
 */

/** 4.2.6: status of a connection (a VPC endpoint as seen from the service). */
export type ConnectionStatus =
  'pendingAcceptance' | 'creating' | 'accepted' | 'rejected' | 'failed' | 'deleting' | (string & {});

/** 4.2.5 / 4.2.2: an endpoint service. */
export interface EndpointService {
  id: string;
  service_name?: string;
  approval_enabled: boolean;
  status?: string;
  server_type?: string;
  service_type?: string;
  vpc_id?: string;
  port_id?: string;
  project_id?: string;
  connection_count?: number;
  tcp_proxy?: string;
  ports?: { client_port?: number; server_port?: number; protocol?: string }[];
  created_at?: string;
  updated_at?: string;
}

/** 4.2.6: one connection of an endpoint service. */
export interface Connection {
  /** The VPC endpoint id: the id accept/reject (4.2.7) takes. */
  id: string;
  /** Always a number here, even when the API sent a numeric string. */
  marker_id?: number;
  domain_id: string;
  status: ConnectionStatus;
  created_at?: string;
  updated_at?: string;
}

/** 4.2.8: one whitelist record: `iam:domain::<domain id>` or `*`. */
export interface WhitelistRecord {
  id: string;
  permission: string;
  description?: string;
  created_at?: string;
}

/** Prefix of a domain whitelist record (4.2.8). */
export const DOMAIN_PERMISSION_PREFIX = 'iam:domain::';

/** The whitelist record that admits one domain. */
export function domainPermission(domainId: string): string {
  return `${DOMAIN_PERMISSION_PREFIX}${domainId}`;
}
