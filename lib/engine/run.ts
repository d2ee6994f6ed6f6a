import pLimit from 'p-limit';
import { AuditFailedError } from '../audit/auditor';
import { ActionError, buildComplianceReportEvent, buildRunCompletedEvent, RunContext } from '../audit/event';
import { collect } from '../collect';
import { EndpointService } from '../model';
import { ActionType, Drift, LeftPending, Scope } from '../policy/evaluate';
import { Policy } from '../policy/schema';
import { ActionResult, EngineDeps, reviewService, ReviewOptions, ServiceReview, toActionError, Trigger } from './review';

export interface RunOptions extends ReviewOptions {
  /**
   * API calls in flight at once, across all services. The API's rate limit is kept by the
   * client's rate limiter (lib/vpcep/rate-limiter.ts), not by this bound, so the default hides
   * latency: 16 halves a sweep's wall time against 8 (bench/RESULTS.md), while beyond it the run
   * becomes CPU-bound on two cores.
   */
  concurrency?: number;
  /** No service starts at or after this time (Lambda: now + remaining time - a margin). */
  deadline?: Date;
  /**
   * Review these services, already read, instead of listing every service (the webhook reviews
   * the one it was asked about).
   */
  services?: readonly EndpointService[];
  /** Called after each service, for a progress line. */
  onProgress?: (progress: { done: number; total: number; service_id: string }) => void;
}

export const DEFAULT_CONCURRENCY = 16;

export type ActionCounts = Partial<Record<ActionType, { succeeded: number; failed: number; planned: number }>>;

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
  services: { total: number; managed: number; reviewed: number; failed: number; unfinished: number };
  counts: ActionCounts;
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  failures: RunFailure[];
  /** Services not reviewed because the deadline passed or the audit trail failed. */
  unfinished: string[];
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
  const log = deps.logger.child({ run_id: options.runId, scope: options.scope, dry_run: options.dryRun });
  const reviewDeps = { ...deps, limit, logger: log };

  let services: readonly EndpointService[];
  let listError: ActionError | undefined;
  try {
    services = options.services ?? (await limit(() => collect(deps.client.listServices())));
  } catch (err) {
    // Nothing can be reviewed, but the run still ends with its run.completed event.
    log.error('could not list the endpoint services', { error: err });
    services = [];
    listError = toActionError(err);
  }
  log.info('run started', { services: services.length });

  const reviews: ServiceReview[] = [];
  const unfinished: string[] = [];
  let auditError: AuditFailedError | undefined;
  // Services are started in list order, at most `concurrency` at a time; each service's calls
  // share the same call limit, so a service with many actions cannot starve the limit.
  const serviceSlots = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  let done = 0;
  await Promise.all(
    services.map((service) =>
      serviceSlots(async () => {
        if (auditError || deps.auditor.failed || (options.deadline && deps.clock() >= options.deadline)) {
          unfinished.push(service.id);
          return;
        }
        try {
          reviews.push(await reviewService(reviewDeps, service, policy, { ...options }));
        } catch (err) {
          if (err instanceof AuditFailedError) {
            auditError ??= err;
            unfinished.push(service.id);
          } else {
            reviews.push(failedReview(service, err));
          }
        }
        options.onProgress?.({ done: ++done, total: services.length, service_id: service.id });
      }),
    ),
  );

  const order = new Map(services.map((s, i) => [s.id, i]));
  reviews.sort((a, b) => order.get(a.service_id)! - order.get(b.service_id)!);
  unfinished.sort((a, b) => order.get(a)! - order.get(b)!);
  const summary = summarise(reviews, unfinished, options, startedAt, deps.clock(), auditError);
  if (listError) {
    summary.error = listError;
    summary.failed = true;
  }
  if (unfinished.length > 0) log.warn('services not reviewed before the deadline', { unfinished: unfinished.length, first: unfinished.slice(0, 10) });
  log.info('run finished', { counts: summary.counts, failures: summary.failures.length, unfinished: unfinished.length, left_pending: summary.left_pending.length });

  if (!auditError) {
    const run: RunContext = { runId: options.runId, projectId: options.projectId, trigger: options.trigger, dryRun: options.dryRun, policySha256: options.policySha256 };
    try {
      if (options.scope === 'compliance') await deps.auditor.emit(buildComplianceReportEvent(run, summary.drift, deps.clock()));
      await deps.auditor.emit(buildRunCompletedEvent(run, runCompletedData(summary), deps.clock()));
      await deps.auditor.flush();
    } catch (err) {
      summary.failed = true;
      summary.audit_error = err instanceof Error ? err.message : String(err);
    }
  }
  return summary;
}

function failedReview(service: EndpointService, err: unknown): ServiceReview {
  return { service_id: service.id, managed: true, actions: [], left_pending: [], drift: [], error: toActionError(err) };
}

function summarise(reviews: ServiceReview[], unfinished: string[], options: RunOptions, startedAt: Date, finishedAt: Date, auditError?: Error): RunSummary {
  const counts: ActionCounts = {};
  const failures: RunFailure[] = [];
  for (const review of reviews) {
    if (review.error) failures.push({ service_id: review.service_id, error: review.error });
    for (const a of review.actions) {
      const c = (counts[a.type] ??= { succeeded: 0, failed: 0, planned: 0 });
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
  const reviewed = reviews.filter((r) => r.managed && !r.error).length;
  return {
    run_id: options.runId,
    scope: options.scope,
    dry_run: options.dryRun,
    trigger: options.trigger,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    services: { total: reviews.length + unfinished.length, managed: reviews.filter((r) => r.managed).length, reviewed, failed: reviews.filter((r) => r.error).length, unfinished: unfinished.length },
    counts,
    actions: reviews.flatMap((r) => r.actions),
    left_pending: reviews.flatMap((r) => r.left_pending),
    drift: reviews.flatMap((r) => r.drift),
    failures,
    unfinished,
    // A service left unreviewed (deadline, audit failure) is a run that did not do its job.
    failed: failures.length > 0 || auditError !== undefined || unfinished.length > 0,
    ...(auditError && { audit_error: auditError.message }),
  };
}

/** What the run.completed event carries: counts, left_pending, failures (CONTRACT section 3). */
function runCompletedData(summary: RunSummary): Record<string, unknown> {
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
    ...(summary.error && { error: summary.error }),
  };
}
