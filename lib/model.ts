/**
 * The normalised records the rest of the program sees (CONTRACT.md section 6).
 *
 * The VPCEP client turns whatever the API sends (numeric strings, "true" for booleans, extra
 * fields) into these shapes; the planner, engine, audit and CLI only ever see these, and share the
 * run's vocabulary below (actions, outcomes, the run context, credentials). This module
 * has no imports on purpose: lib/policy may depend on it without depending on lib/vpcep.
 */

/** 4.2.6: the statuses a connection can be in (what the simulator holds and the CLI offers). */
export const CONNECTION_STATUSES = [
  'pendingAcceptance',
  'creating',
  'accepted',
  'rejected',
  'failed',
  'deleting',
] as const;

/**
 * 4.2.6: status of a connection (a VPC endpoint as seen from the service): one of
 * CONNECTION_STATUSES, or another string the API may add later (kept, never acted on).
 */
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number] | (string & {});

/** CONTRACT 2: a domain (account) id is 1 to 64 letters or digits, compared case-insensitively. */
export const DOMAIN_ID_PATTERN = /^[A-Za-z0-9]{1,64}$/;

/**
 * 4.2.2, 4.2.5, 4.2.6: what the API says went wrong, listed (`error`) on a service or connection
 * whose status is `failed`.
 */
export interface ResourceError {
  error_code?: string;
  error_message?: string;
}

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
  /** Present when the status is `failed`: why. */
  error?: ResourceError[];
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
  /** What the connection says, where the API returns it (the newer description API sets it). */
  description?: string;
  /** Present when the status is `failed`: why. */
  error?: ResourceError[];
}

/** The most characters a connection's description may have (the newer description API). */
export const CONNECTION_DESCRIPTION_MAX = 512;

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

/** 4.2.9: what a whitelist record may say: `iam:domain::<1-64 letters, digits or *>`, or `*`. */
export const PERMISSION_PATTERN = /^(\*|iam:domain::[A-Za-z0-9*]{1,64})$/;

/** A whitelist record as it is compared (CONTRACT 2): trimmed and lower-cased. */
export function permissionKey(permission: string): string {
  return permission.trim().toLowerCase();
}

/** True for the record that admits any account (4.2.9: `*`, or `iam:domain::*`; trimmed, in any case). */
export function isWildcardPermission(permission: string): boolean {
  const key = permissionKey(permission);
  return key === '*' || key === `${DOMAIN_PERMISSION_PREFIX}*`;
}

/**
 * True for a record the policy language governs (CONTRACT 2): trimmed and compared without case,
 * 4.2.9's `iam:domain::<id>` or a wildcard. Anything else the API may list (an
 * `organizations:orgPath::...` record, say) is never removed.
 */
export function isGovernedPermission(permission: string): boolean {
  return PERMISSION_PATTERN.test(permissionKey(permission));
}

/** The domain a governed, non-wildcard record admits (lower-cased), else undefined. */
export function permissionDomain(permission: string): string | undefined {
  const key = permissionKey(permission);
  if (!isGovernedPermission(permission) || isWildcardPermission(permission)) return undefined;
  return key.slice(DOMAIN_PERMISSION_PREFIX.length);
}

/** Huawei AK/SK (reference 3.2.2), with the security token of temporary credentials. */
export interface AccessKeyCredentials {
  ak: string;
  sk: string;
  /** Present with temporary AK/SK: sent and signed as X-Security-Token. */
  securityToken?: string;
}

/** An IAM token (reference 3.2.1), sent as X-Auth-Token. */
export interface TokenCredentials {
  token: string;
}

/** How the client authenticates to the VPCEP API: AK/SK signing (preferred) or an IAM token. */
export type HuaweiCredentials = AccessKeyCredentials | TokenCredentials;

/** What a run can do (CONTRACT 1, plan --json; one audit event type each, CONTRACT 3). */
export const ACTION_TYPES = [
  'connection.accept',
  'connection.reject',
  'whitelist.add',
  'whitelist.remove',
  'service.enable-approval',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** One change the policy calls for (CONTRACT 1, plan --json). */
export interface Action {
  type: ActionType;
  service_id: string;
  /** connection.*: the VPC endpoint (connection) id. */
  endpoint_id?: string;
  /** connection.* and domain whitelist records: the account. */
  domain_id?: string;
  /** connection.*: when the connection was created, as the API listed it (4.2.6), when it did. */
  created_at?: string;
  /** whitelist.*: the record, `iam:domain::<id>` or `*`. */
  permission?: string;
  /** Label of the rule that called for it. */
  rule: string;
  /** Why, for a person. */
  reason: string;
}

/** How an action ended: carried out, refused or failed, or only planned (dry run, held). */
export const OUTCOMES = ['succeeded', 'failed', 'planned'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Why a failed action or service failed, as events and summaries show it. */
export interface ActionError {
  code: string;
  message: string;
  /** The HTTP status, when the API answered. */
  status?: number;
}

/** An action as a run ended it: its outcome, and why when it differs from the plain call. */
export interface ActionResult extends Action {
  outcome: Outcome;
  /** A revocation the blast-radius cap held: `planned`, with a note saying why, not carried out. */
  held?: true;
  /** What happened when it differs from the plain call: e.g. "already accepted (changed meanwhile)". */
  note?: string;
  error?: ActionError;
}

/** What started a run (CONTRACT 3, `data.trigger`). */
export const TRIGGERS = ['schedule', 'webhook', 'cli', 'queue'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Why a service was not reviewed to the end (run.completed's `unfinished_reason`). */
export const UNFINISHED_REASONS = ['deadline', 'audit', 'interrupted'] as const;
export type UnfinishedReason = (typeof UNFINISHED_REASONS)[number];

/**
 * What every part of one run shares, built once where the run starts (the CLI command, the
 * Lambda handler) and passed down whole: every audit event of the run carries it.
 */
export interface RunContext {
  runId: string;
  projectId: string;
  trigger: Trigger;
  dryRun: boolean;
  policySha256: string;
}
