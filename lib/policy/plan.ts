/**
 * The shapes of a plan (CONTRACT 2): what the planner returns for one service and the engine
 * carries out and reports. Types and the constant lists they derive from only: the engine, the
 * audit events and the edges import them without importing the planner (see LAYERS in
 * eslint.config.mjs).
 */
import type { Action, ResourceError } from '../model';

/** sweep: the frequent job; compliance: adds revocation, approval and the drift report. */
export const SCOPES = ['sweep', 'compliance'] as const;
export type Scope = (typeof SCOPES)[number];

/** A pending connection the plan leaves alone (a `leave`), and why. */
export interface LeftPending {
  service_id: string;
  endpoint_id: string;
  domain_id: string;
  /** When the connection was created, as the API listed it (4.2.6), when it did. */
  created_at?: string;
  rule: string;
  reason: string;
}

/** What a drift is about (CONTRACT 2). */
export const DRIFT_KINDS = [
  'unmanaged',
  'wildcard',
  'whitelist-extra',
  'whitelist-missing',
  'expired',
  'expiring',
  'over-limit',
  'approval-disabled',
  'accepted-not-allowed',
  'whitelist-unmanaged',
  'service-failed',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** A difference between the observed state and the policy (compliance scope only). */
export interface Drift {
  kind: DriftKind;
  service_id: string;
  rule?: string;
  endpoint_id?: string;
  domain_id?: string;
  permission?: string;
  /** service-failed: the API's `error` list for the failed service (4.2.5). */
  error?: ResourceError[];
  detail: string;
}

export interface ServicePlan {
  actions: Action[];
  left_pending: LeftPending[];
  drift: Drift[];
}
