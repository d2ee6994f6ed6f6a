import pLimit from 'p-limit';

import { buildComplianceReportEvent, buildRunCompletedEvent } from '../audit/event';
import type { EventData, RunFields } from '../audit/event-schemas';
import { collect } from '../collect';
import {
  ActionError,
  ActionResult,
  ActionType,
  EndpointService,
  Outcome,
  OUTCOMES,
  Trigger,
  UnfinishedReason,
} from '../model';
import { Drift, LeftPending, Scope } from '../policy/plan';
import { acceptedCount, RevocationCap, revocationHold } from '../policy/revocations';
import { Policy } from '../policy/schema';
import { actOnService, stopReason } from './act';
import { EngineDeps, ReviewOptions, ServiceReview, ServiceSurvey } from './ports';
import { surveyService } from './survey';

export interface RunOptions extends ReviewOptions {
  /**
   * API calls in flight at once, across all services. The API's rate limit is kept by the
   * client's rate limiter (lib/vpcep/rate-limiter.ts), not by this bound, so the default hides
   * latency: 16 halves a sweep's wall time against 8 (bench/RESULTS.md), while beyond it the run
   * becomes CPU-bound on two cores.
   */
  concurrency?: number;
  /**
   * Review these services, already read, instead of listing every service (the webhook reviews
   * the one it was asked about).
   */
  services?: readonly EndpointService[];
  /** Called after each service, for a progress line. */
  onProgress?: (progress: { done: number; total: number; service_id: string }) => void;
  /**
   * The blast-radius cap (CONTRACT section 1, "Brake and cap"): most revocations the run may
   * carry out; `lifted` when a person raised it for this run (--allow-revocations). No default
   * here: the caller passes the configured one (VPCEP_MAX_REVOCATIONS, lib/config.ts).
   */
  revocationCap: RevocationCap;
}

export const DEFAULT_CONCURRENCY = 16;

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
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  failures: RunFailure[];
  /** Services not reviewed (or not to the end) because the deadline passed, the audit trail failed or the run was interrupted. */
  unfinished: string[];
  /** Why `unfinished` is not empty: the first reason met. */
  unfinished_reason?: UnfinishedReason;
  /** Services left alone because another run held their lease (not a failure). */
  skipped: { service_id: string; note: string }[];
  /** True when SIGINT/SIGTERM ended the run early. */
  interrupted: boolean;
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

/**
 * Reviews every endpoint service (listed once, every page) with bounded concurrency. One
 * service's failure never stops the others; after the deadline no new service starts; if the
 * audit trail fails no new action starts. Ends the run with one `vpcep.run.completed` event
 * (and, for compliance, one `vpcep.compliance.report`). The caller closes the auditor.
 */
export async function runReview(deps: EngineDeps, policy: Policy, options: RunOptions): Promise<RunSummary> {
  const startedAt = deps.clock();
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const log = deps.logger.child({ run_id: options.run.runId, scope: options.scope, dry_run: options.run.dryRun });
  const reviewDeps = { ...deps, limit, logger: log };

  let services: readonly EndpointService[];
  let listError: ActionError | undefined;
  try {
    services = options.services ?? (await limit(() => collect(deps.client.listServices())));
  } catch (err) {
    // Nothing can be reviewed, but the run still ends with its run.completed event.
    log.error('could not list the endpoint services', { error: err });
    services = [];
    listError = deps.client.describeError(err);
  }
  log.info('run started', { services: services.length });

  const reviews: ServiceReview[] = [];
  const unfinished: string[] = [];
  let unfinishedReason: UnfinishedReason | undefined;
  const leaveUnfinished = (serviceId: string, reason: UnfinishedReason) => {
    unfinished.push(serviceId);
    unfinishedReason ??= reason;
  };
  // Services are taken in list order, at most `concurrency` at a time; each service's calls
  // share the same call limit, so a service with many actions cannot starve the limit.
  const serviceSlots = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  let done = 0;
  const finished = (review: ServiceReview) => {
    reviews.push(review);
    if (review.unfinished) leaveUnfinished(review.service_id, review.unfinished);
    options.onProgress?.({ done: ++done, total: services.length, service_id: review.service_id });
  };

  // 1. Survey every service without a lease: read what the scope needs and plan.
  const surveys: ServiceSurvey[] = [];
  await Promise.all(
    services.map((service) =>
      serviceSlots(async () => {
        const stop = stopReason(deps, options);
        if (stop) return leaveUnfinished(service.id, stop);
        try {
          const survey = await surveyService(reviewDeps, service, policy, options);
          if (survey.actions.length > 0) surveys.push(survey);
          else finished(survey.review);
        } catch (err) {
          finished(failedReview(service, deps.client.describeError(err)));
        }
      }),
    ),
  );

  // 2. The blast-radius cap, from every revocation the run would make, before any is made.
  const hold = revocationHold(
    surveys
      .filter((s) => s.revocations.length > 0)
      .map((s) => ({
        service_id: s.service.id,
        revocations: s.revocations,
        count: s.revocationCount,
        accepted: acceptedCount(s.connections),
      })),
    options.revocationCap,
  );

  // 3. Act on the services whose plan has actions (each under its lease, when leases are on).
  await Promise.all(
    surveys.map((survey) =>
      serviceSlots(async () => {
        const stop = stopReason(deps, options);
        if (stop) return leaveUnfinished(survey.service.id, stop);
        try {
          finished(await actOnService(reviewDeps, survey, options, hold));
        } catch (err) {
          finished(failedReview(survey.service, deps.client.describeError(err)));
        }
      }),
    ),
  );

  const order = new Map(services.map((s, i) => [s.id, i]));
  reviews.sort((a, b) => order.get(a.service_id)! - order.get(b.service_id)!);
  unfinished.sort((a, b) => order.get(a)! - order.get(b)!);
  const summary = summarise(
    reviews,
    unfinished,
    services.length,
    options,
    startedAt,
    deps.clock(),
    deps.auditor.failed,
  );
  if (unfinishedReason) summary.unfinished_reason = unfinishedReason;
  // A hold is reported when revocations were held; an interrupted run may have reached none of them.
  if (hold && summary.revocations_held > 0) {
    log.warn('revocations held by the cap', { held: summary.revocations_held, reason: hold });
    summary.revocation_hold = hold;
    summary.failed = true;
  }
  if (listError) {
    summary.error = listError;
    summary.failed = true;
  }
  if (unfinished.length > 0)
    log.warn('services not reviewed to the end', {
      reason: unfinishedReason,
      unfinished: unfinished.length,
      first: unfinished.slice(0, 10),
    });
  log.info('run finished', {
    counts: summary.counts,
    failures: summary.failures.length,
    unfinished: unfinished.length,
    left_pending: summary.left_pending.length,
  });

  // The closing events are emitted even when the trail has failed: the auditor then writes them
  // among the fallback lines, so the end of the run is never lost. Each is emitted on its own, so
  // a failure while sending the first still leaves the second its place.
  const { run } = options;
  const closing = [
    ...(options.scope === 'compliance'
      ? [buildComplianceReportEvent(run, complianceReportDrift(summary), deps.clock())]
      : []),
    buildRunCompletedEvent(run, runCompletedData(summary), deps.clock()),
  ];
  const auditFailed = (err: unknown) => {
    summary.failed = true;
    summary.audit_error ??= err instanceof Error ? err.message : String(err);
  };
  for (const event of closing) await deps.auditor.emit(event).catch(auditFailed);
  await deps.auditor.flush().catch(auditFailed);
  return summary;
}

function failedReview(service: EndpointService, error: ActionError): ServiceReview {
  return { service_id: service.id, managed: true, actions: [], left_pending: [], drift: [], error };
}

function summarise(
  reviews: ServiceReview[],
  unfinished: string[],
  total: number,
  options: RunOptions,
  startedAt: Date,
  finishedAt: Date,
  auditError?: Error,
): RunSummary {
  const counts: ActionCounts = {};
  const failures: RunFailure[] = [];
  for (const review of reviews) {
    if (review.error) failures.push({ service_id: review.service_id, error: review.error });
    for (const a of review.actions) {
      const c = (counts[a.type] ??= Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
      c[a.outcome]++;
      if (a.outcome === 'failed') {
        failures.push({
          service_id: a.service_id,
          type: a.type,
          ...(a.endpoint_id !== undefined && { endpoint_id: a.endpoint_id }),
          ...(a.permission !== undefined && { permission: a.permission }),
          error: a.error ?? { code: 'ERROR', message: a.note ?? 'failed' },
        });
      }
    }
  }
  const reviewed = reviews.filter((r) => r.managed && !r.error && !r.skipped && !r.unfinished).length;
  const skipped = reviews.flatMap((r) => (r.skipped ? [{ service_id: r.service_id, note: r.skipped.note }] : []));
  const revocationsHeld = reviews.reduce((n, r) => n + r.actions.filter((a) => a.held).length, 0);
  return {
    run_id: options.run.runId,
    scope: options.scope,
    dry_run: options.run.dryRun,
    trigger: options.run.trigger,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    services: {
      total,
      managed: reviews.filter((r) => r.managed).length,
      unmanaged: reviews.filter((r) => !r.managed).length,
      reviewed,
      failed: reviews.filter((r) => r.error).length,
      unfinished: unfinished.length,
      skipped: skipped.length,
    },
    counts,
    actions: reviews.flatMap((r) => r.actions),
    left_pending: reviews.flatMap((r) => r.left_pending),
    drift: reviews.flatMap((r) => r.drift),
    failures,
    unfinished,
    skipped,
    interrupted: options.signal?.aborted === true,
    revocations_held: revocationsHeld,
    // A service left unreviewed (deadline, audit failure, interruption) is a run that did not do its job.
    failed: failures.length > 0 || auditError !== undefined || unfinished.length > 0,
    ...(auditError && { audit_error: auditError.message }),
  };
}

/**
 * What the run.completed event carries: counts, left_pending, failures (CONTRACT section 3). Typed
 * from its published data schema, so a field or a member of the run's types that the schema does
 * not accept fails the build.
 */
function runCompletedData(summary: RunSummary): Omit<EventData<'vpcep.run.completed'>, RunFields> {
  return {
    scope: summary.scope,
    started_at: summary.started_at,
    finished_at: summary.finished_at,
    services: summary.services,
    counts: summary.counts,
    left_pending_count: summary.left_pending.length,
    left_pending: summary.left_pending,
    failures: summary.failures,
    unfinished: summary.unfinished,
    ...(summary.unfinished_reason && { unfinished_reason: summary.unfinished_reason }),
    skipped: summary.skipped,
    interrupted: summary.interrupted,
    ...(summary.revocation_hold && {
      revocations_held: summary.revocations_held,
      revocation_hold: summary.revocation_hold,
    }),
    ...(summary.error && { error: summary.error }),
  };
}

/** What the compliance.report event carries, checked against its published data schema as above. */
function complianceReportDrift(summary: RunSummary): EventData<'vpcep.compliance.report'>['drift'] {
  return summary.drift;
}
