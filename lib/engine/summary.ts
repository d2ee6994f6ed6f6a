/**
 * The run's summary, built as an accumulator: each service's review is added as it ends, and
 * finishing decides once what the run amounts to (failed or not, outcomes by action type, drift
 * by kind, revocations held, the oldest pending age). Keeping the list of actions is the caller's
 * choice: the counts, failures and the hold are taken as each review is added, so a caller that
 * keeps no list (a queue worker) holds no memory per action.
 */
import { ActionError, ActionResult, ActionType, Outcome, OUTCOMES, Trigger, UnfinishedReason } from '../model';
import { Drift, DriftKind, LeftPending, Scope } from '../policy/plan';
import { EXECUTORS } from './executors';
import { ServiceReview } from './ports';

/** Actions by type and outcome: a type appears once one of its actions did, with every outcome counted. */
export type ActionCounts = Partial<Record<ActionType, Record<Outcome, number>>>;

export interface RunFailure {
  service_id: string;
  type?: ActionType;
  endpoint_id?: string;
  permission?: string;
  error: ActionError;
}

export interface RunSummary {
  run_id: string;
  scope: Scope;
  dry_run: boolean;
  trigger: Trigger;
  started_at: string;
  finished_at: string;
  services: {
    total: number;
    managed: number;
    unmanaged: number;
    reviewed: number;
    failed: number;
    unfinished: number;
    skipped: number;
  };
  counts: ActionCounts;
  /** Every action with its outcome, in service order, when the caller keeps them (the CLI, the webhook); else empty. */
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  /** How many drift entries of each kind (a kind appears once one was found). */
  drift_by_kind: Partial<Record<DriftKind, number>>;
  failures: RunFailure[];
  /** Services not reviewed (or not to the end) because the deadline passed, the audit trail failed or the run was interrupted. */
  unfinished: string[];
  /** Why `unfinished` is not empty: the first reason met. */
  unfinished_reason?: UnfinishedReason;
  /** Services left alone because another run held their lease (not a failure). */
  skipped: { service_id: string; note: string }[];
  /** True when SIGINT/SIGTERM ended the run early. */
  interrupted: boolean;
  /**
   * Seconds since the oldest connection the policy accepts that is still pending after the run
   * was created (an accept that failed or was only planned: dry run, the brake); 0 when there is
   * none. The outcome heartbeat's figure (CONTRACT section 4).
   */
  oldest_allowed_pending_seconds: number;
  /** Revocations held back by the cap (recorded as planned), and why. */
  revocations_held: number;
  revocation_hold?: string;
  /** True when something failed: an action, a service, the audit trail, or services were left unreviewed. */
  failed: boolean;
  /** Set when the audit trail failed for good. */
  audit_error?: string;
  /** Set when the run could not start: the endpoint services could not be listed. */
  error?: ActionError;
}

/** What a run is, as its summary names it. */
export interface RunStart {
  run_id: string;
  scope: Scope;
  dry_run: boolean;
  trigger: Trigger;
  startedAt: Date;
  /** The services of the run, in list order: the order of every list of the summary. */
  services: readonly string[];
  /** Keep every action in `actions` (default true); the counts, failures and the hold count them either way. */
  keepActions?: boolean;
}

/** How the run ended, beyond its reviews. */
export interface RunEnd {
  finishedAt: Date;
  interrupted: boolean;
  /** The audit trail's failure, if it failed for good. */
  auditError?: Error;
  /** Why the cap held the run's revocations, if it did (reported only when some were held). */
  hold?: string;
  /** Why the services could not be listed, if they could not. */
  listError?: ActionError;
}

/** The summary of one run, built a service at a time. */
export interface RunTally {
  /** Adds the review of one service (in any order: finish() puts them in list order). */
  add(review: ServiceReview): void;
  /** Records a service the run did not start (or finish) reviewing, and why. */
  leaveUnfinished(serviceId: string, reason: UnfinishedReason): void;
  /** What the run amounts to. */
  finish(end: RunEnd): RunSummary;
}

/** What a review leaves in the summary's lists, kept until finish() orders them. */
interface Kept {
  service_id: string;
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  failures: RunFailure[];
  skipped?: { service_id: string; note: string };
}

export function createRunTally(start: RunStart): RunTally {
  const order = new Map(start.services.map((id, i) => [id, i]));
  const byOrder =
    <T>(id: (item: T) => string) =>
    (a: T, b: T) =>
      order.get(id(a))! - order.get(id(b))!;
  const keepActions = start.keepActions !== false;
  const kept: Kept[] = [];
  const unfinished: string[] = [];
  let unfinishedReason: UnfinishedReason | undefined;
  const services = { managed: 0, unmanaged: 0, reviewed: 0, failed: 0 };
  const counts: ActionCounts = {};
  const driftByKind: Partial<Record<DriftKind, number>> = {};
  let failureCount = 0;
  let held = 0;
  let oldestPending = Infinity;

  const leaveUnfinished = (serviceId: string, reason: UnfinishedReason) => {
    unfinished.push(serviceId);
    unfinishedReason ??= reason;
  };

  return {
    add(review) {
      if (review.unfinished) leaveUnfinished(review.service_id, review.unfinished);
      if (review.managed) services.managed++;
      else services.unmanaged++;
      if (review.error) services.failed++;
      if (review.managed && !review.error && !review.skipped && !review.unfinished) services.reviewed++;
      const failures: RunFailure[] = review.error ? [{ service_id: review.service_id, error: review.error }] : [];
      for (const a of review.actions) {
        const c = (counts[a.type] ??= Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
        c[a.outcome]++;
        if (a.held) held++;
        // An action a consumer waits for (`awaited` in the executor table: an accept) that did not
        // succeed leaves its connection pending: its age counts towards the oldest pending.
        if (EXECUTORS[a.type].awaited && a.outcome !== 'succeeded') oldestPending = Math.min(oldestPending, timeOf(a));
        if (a.outcome === 'failed') failures.push(failureOf(a));
      }
      for (const d of review.drift) driftByKind[d.kind] = (driftByKind[d.kind] ?? 0) + 1;
      failureCount += failures.length;
      kept.push({
        service_id: review.service_id,
        actions: keepActions ? review.actions : [],
        left_pending: review.left_pending,
        drift: review.drift,
        failures,
        ...(review.skipped && { skipped: { service_id: review.service_id, note: review.skipped.note } }),
      });
    },
    leaveUnfinished,
    finish(end) {
      kept.sort(byOrder((k) => k.service_id));
      unfinished.sort(byOrder((id) => id));
      const skipped = kept.flatMap((k) => k.skipped ?? []);
      // A hold is reported when revocations were held; an interrupted run may have reached none of them.
      const hold = held > 0 ? end.hold : undefined;
      return {
        run_id: start.run_id,
        scope: start.scope,
        dry_run: start.dry_run,
        trigger: start.trigger,
        started_at: start.startedAt.toISOString(),
        finished_at: end.finishedAt.toISOString(),
        services: { total: start.services.length, ...services, unfinished: unfinished.length, skipped: skipped.length },
        counts,
        actions: kept.flatMap((k) => k.actions),
        left_pending: kept.flatMap((k) => k.left_pending),
        drift: kept.flatMap((k) => k.drift),
        drift_by_kind: driftByKind,
        failures: kept.flatMap((k) => k.failures),
        unfinished,
        ...(unfinishedReason && { unfinished_reason: unfinishedReason }),
        skipped,
        interrupted: end.interrupted,
        oldest_allowed_pending_seconds:
          oldestPending < end.finishedAt.getTime() ? Math.round((end.finishedAt.getTime() - oldestPending) / 1000) : 0,
        revocations_held: held,
        ...(hold !== undefined && { revocation_hold: hold }),
        // A service left unreviewed (deadline, audit failure, interruption) is a run that did not do its job.
        failed:
          failureCount > 0 ||
          end.auditError !== undefined ||
          unfinished.length > 0 ||
          hold !== undefined ||
          end.listError !== undefined,
        ...(end.auditError && { audit_error: end.auditError.message }),
        ...(end.listError && { error: end.listError }),
      };
    },
  };
}

/** When an action's connection was created (ms), Infinity when the API did not say. */
function timeOf(a: ActionResult): number {
  const t = a.created_at === undefined ? NaN : Date.parse(a.created_at);
  return Number.isNaN(t) ? Infinity : t;
}

/** A failed action as the run's failures list it. */
function failureOf(a: ActionResult): RunFailure {
  return {
    service_id: a.service_id,
    type: a.type,
    ...(a.endpoint_id !== undefined && { endpoint_id: a.endpoint_id }),
    ...(a.permission !== undefined && { permission: a.permission }),
    error: a.error ?? { code: 'ERROR', message: a.note ?? 'failed' },
  };
}
