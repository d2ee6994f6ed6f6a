/**
 * The simulator scenarios the integration tests and benchmarks share: a policy with one
 * `payments` rule, numbered connections and whitelist records, and the contract scenario.
 */
import { stringify } from 'yaml';

import { domainPermission } from '../../lib/model';
import type { SimulatorStateInput } from '../../lib/simulator';
import { DENIED, OWNER, PARTNER, PAYMENTS, PROJECT, STRANGER, UNMANAGED } from './ids';

/** What the payments rule says: its allow and deny entries, and the defaults of the policy. */
export interface PaymentsPolicyOptions {
  defaults?: Record<string, string>;
  allow: { domain: string; max_connections?: number }[];
  deny?: string[];
}

/** A policy file (YAML) of the owner with one rule, `payments`, matching the payments service by id. */
export function paymentsPolicy(options: PaymentsPolicyOptions): string {
  return stringify({
    version: 1,
    owner_domain: OWNER,
    ...(options.defaults && { defaults: options.defaults }),
    services: [
      {
        rule: 'payments',
        match: { id: PAYMENTS },
        allow: options.allow,
        ...(options.deny && { deny: options.deny.map((domain) => ({ domain })) }),
      },
    ],
  });
}

/** The accounts with connections in `state`, sorted: what a policy over a generated state lists. */
export function consumerDomains(state: { services: { connections: { domain_id: string }[] }[] }): string[] {
  return [...new Set(state.services.flatMap((s) => s.connections.map((c) => c.domain_id)))].sort();
}

/**
 * A policy file (YAML) for a state of lib/simulator's generateState(): one rule over its
 * services (`svc-*`) allowing `allow` and denying `deny`.
 */
export function generatedStatePolicy(
  state: { domain_id: string },
  options: { rule?: string; defaults?: Record<string, string>; allow: string[]; deny?: string[] },
): string {
  return stringify({
    version: 1,
    owner_domain: state.domain_id,
    ...(options.defaults && { defaults: options.defaults }),
    services: [
      {
        ...(options.rule && { rule: options.rule }),
        match: { name: 'svc-*' },
        allow: options.allow.map((domain) => ({ domain })),
        ...(options.deny && { deny: options.deny.map((domain) => ({ domain })) }),
      },
    ],
  });
}

type ServiceInput = NonNullable<SimulatorStateInput['services']>[number];
type ConnectionInput = NonNullable<ServiceInput['connections']>[number];
type PermissionInput = NonNullable<ServiceInput['permissions']>[number];

/**
 * The owner's project with the payments service as `payments` says (by default no connections
 * and the owner's whitelist record), and `others` after it.
 */
export function paymentsScenario(
  payments: Partial<ServiceInput>,
  others: ServiceInput[] = [],
  projectId = PROJECT,
): SimulatorStateInput {
  return {
    project_id: projectId,
    domain_id: OWNER,
    services: [
      { id: PAYMENTS, service_name: 'payments', permissions: [scenarioRecord(1, OWNER)], ...payments },
      ...others,
    ],
  };
}

/** The service of a scenario no rule manages. */
export const UNMANAGED_SERVICE: ServiceInput = { id: UNMANAGED, service_name: 'internal' };

/**
 * Connection `n` (1 to 9) of a scenario: id `c0000000-0000-4000-8000-00000000000<n>`, marker `n`,
 * pending since day `n` of November 2026 unless told otherwise.
 */
export function scenarioConnection(
  n: number,
  domainId: string,
  overrides: Pick<ConnectionInput, 'status' | 'created_at'> = {},
): ConnectionInput {
  return {
    id: `c0000000-0000-4000-8000-00000000000${n}`,
    domain_id: domainId,
    status: 'pendingAcceptance',
    marker_id: n,
    created_at: `2026-11-0${n}T10:00:00Z`,
    ...overrides,
  };
}

/** Whitelist record `n` (1 to 9) of a scenario, admitting `domainId`. */
export function scenarioRecord(n: number, domainId: string): PermissionInput {
  return { id: `p0000000-0000-4000-8000-00000000000${n}`, permission: domainPermission(domainId) };
}

export const CONTRACT_PROJECT = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
/** The unmanaged service of the scenario: its pending connection and `*` record stay as they are. */
export const UNMANAGED_ANALYTICS = '5133655d-0e28-4090-b669-13f87b355c78';

/**
 * The contract scenario: one of every decision CONTRACT section 2 makes in a sweep (accept, reject
 * over the limit, reject a denied domain, leave an unlisted one, add and remove whitelist records),
 * and a service no rule manages. test/integration/review.test.ts checks the decisions through the
 * CLI; bench/faults.ts runs the same sweep under injected faults. The partner is allowed two
 * connections.
 */
export const CONTRACT_POLICY = paymentsPolicy({
  defaults: { over_limit: 'reject' },
  allow: [{ domain: PARTNER, max_connections: 2 }],
  deny: [DENIED],
});

const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T10:00:00Z`;

/** A fresh copy of the contract scenario's state, for a simulator. */
export function contractScenario(): SimulatorStateInput {
  return {
    project_id: CONTRACT_PROJECT,
    domain_id: OWNER,
    services: [
      {
        id: PAYMENTS,
        service_name: 'payments',
        approval_enabled: true,
        connections: [
          { id: 'ep-partner-accepted', domain_id: PARTNER, status: 'accepted', created_at: at(1) },
          { id: 'ep-partner-1', domain_id: PARTNER, status: 'pendingAcceptance', created_at: at(2) },
          { id: 'ep-partner-2', domain_id: PARTNER, status: 'pendingAcceptance', created_at: at(3) },
          { id: 'ep-denied', domain_id: DENIED, status: 'pendingAcceptance', created_at: at(4) },
          { id: 'ep-stranger', domain_id: STRANGER, status: 'pendingAcceptance', created_at: at(5) },
        ],
        permissions: [
          { id: 'perm-owner', permission: `iam:domain::${OWNER}` },
          { id: 'perm-denied', permission: `iam:domain::${DENIED}` },
        ],
      },
      {
        id: UNMANAGED_ANALYTICS,
        service_name: 'analytics',
        approval_enabled: false,
        connections: [{ id: 'ep-other', domain_id: STRANGER, status: 'pendingAcceptance', created_at: at(1) }],
        permissions: [{ id: 'perm-star', permission: '*' }],
      },
    ],
  };
}
