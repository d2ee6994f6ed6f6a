/**
 * The shapes of a plan (CONTRACT 2): what the planner returns for one service and the engine
 * carries out and reports. Types only, so every layer may import them.
 */
import type { Action } from '../model';

/** sweep: the frequent job; compliance: adds revocation, approval and the drift report. */
export type Scope = 'sweep' | 'compliance';

/** A pending connection the plan leaves alone (a `leave`), and why. */
export interface LeftPending {
  service_id: string;
  endpoint_id: string;
  domain_id: string;
  rule: string;
  reason: string;
}

export type DriftKind =
  | 'unmanaged'
  | 'wildcard'
  | 'whitelist-extra'
  | 'whitelist-missing'
  | 'expired'
  | 'over-limit'
  | 'approval-disabled'
  | 'accepted-not-allowed';

/** A difference between the observed state and the policy (compliance scope only). */
export interface Drift {
  kind: DriftKind;
  service_id: string;
  rule?: string;
  endpoint_id?: string;
  domain_id?: string;
  permission?: string;
  detail: string;
}

export interface ServicePlan {
  actions: Action[];
  left_pending: LeftPending[];
  drift: Drift[];
}
