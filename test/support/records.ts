/**
 * Record factories shared by planner, engine and audit tests (and bench/): small, readable
 * defaults, typed with lib/model.ts's types, overridable per call.
 */
import type { RunEventData } from '../../lib/audit/event';
import {
  domainPermission,
  type Action,
  type Connection,
  type EndpointService,
  type RunContext,
  type WhitelistRecord,
} from '../../lib/model';
import { parsePolicy } from '../../lib/policy/load';
import type { Policy } from '../../lib/policy/schema';
import { PAYMENTS } from './ids';

/** The service records belong to unless told otherwise. */
export const SERVICE_ID = PAYMENTS;
export const NOW = new Date('2026-11-26T08:00:00Z');

export function serviceFactory(overrides: Partial<EndpointService> = {}): EndpointService {
  return { id: SERVICE_ID, service_name: 'payments', approval_enabled: true, status: 'available', ...overrides };
}

let seq = 0;
/** A connection; ids and created_at increase with each call unless given. */
export function connectionFactory(overrides: Partial<Connection> = {}): Connection {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  return {
    id: `conn-${n}`,
    domain_id: 'a'.repeat(32),
    status: 'pendingAcceptance',
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    ...overrides,
  };
}

/** A whitelist record for a domain id (`iam:domain::<id>`), or for the permission given as it is (`*`). */
export function whitelistRecordFactory(
  domainOrPermission: string,
  overrides: Partial<WhitelistRecord> = {},
): WhitelistRecord {
  seq += 1;
  const permission =
    domainOrPermission === '*' || domainOrPermission.includes(':')
      ? domainOrPermission
      : domainPermission(domainOrPermission);
  return { id: `perm-${seq}`, permission, ...overrides };
}

/** An action of a run: accepting a connection unless told otherwise. */
export function actionFactory(overrides: Partial<Action> = {}): Action {
  return { type: 'connection.accept', service_id: 's', endpoint_id: 'ep-1', rule: 'r', reason: 'x', ...overrides };
}

/** The context of one run, as the CLI or a Lambda handler builds it. */
export function runContextFactory(overrides: Partial<RunContext> = {}): RunContext {
  return { runId: 'run-1', projectId: 'proj', trigger: 'cli', dryRun: false, policySha256: 'sha', ...overrides };
}

/** The data of a run.completed event (less the run's own fields): an empty sweep unless told otherwise. */
export function runCompletedDataFactory(
  overrides: Partial<RunEventData<'vpcep.run.completed'>> = {},
): RunEventData<'vpcep.run.completed'> {
  return {
    scope: 'sweep',
    started_at: '2026-11-26T08:00:00.000Z',
    finished_at: '2026-11-26T08:00:01.000Z',
    services: { total: 0, managed: 0, reviewed: 0, failed: 0, unfinished: 0 },
    counts: {},
    left_pending_count: 0,
    left_pending: [],
    failures: [],
    unfinished: [],
    ...overrides,
  };
}

/** Parses policy YAML (so tests read like policy files) and fails loudly if it is invalid. */
export function policyFromYaml(text: string, now: Date = NOW): Policy {
  return parsePolicy(text, 'test-policy.yaml', now).policy;
}
