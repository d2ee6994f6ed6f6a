/**
 * A run over many services (CONTRACT section 1): list the services, survey each (read and plan,
 * no lease), decide the revocation cap across the whole run, act on the services whose plan has
 * actions, and close with run.completed (and, for compliance, compliance.report) even when the
 * trail has failed. Deadline and interruption stop new services; the summary is summary.ts's.
 */
import pLimit from 'p-limit';

import { buildComplianceReportEvent, buildRunCompletedEvent, RunEventData } from '../audit/event';
import { collect } from '../collect';
import { ActionError, EndpointService } from '../model';
import { acceptedCount, RevocationCap, revocationHold } from '../policy/revocations';
import { Policy } from '../policy/schema';
import { actOnService, stopReason } from './act';
import { createAnnotator } from './annotate';
import { EngineDeps, ReviewOptions, ServiceReview, ServiceSurvey } from './ports';
import { createRunTally, RunSummary } from './summary';
import { surveyService } from './survey';

export type { ActionCounts, RunFailure, RunSummary } from './summary';

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
  /**
   * Keep every action in the summary's `actions` (default true: the CLI prints them, the webhook
   * answers with them). A caller that needs only the counts (a queue worker) gives false, so a
   * run holds no memory per action.
   */
  keepActions?: boolean;
}

export const DEFAULT_CONCURRENCY = 16;

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
  // VPCEP_ANNOTATE: a run that acts writes its decisions as descriptions; a dry run (and plan) never does.
  const annotator = deps.annotate && !options.run.dryRun ? createAnnotator(options.run.runId) : undefined;
  const reviewDeps = { ...deps, limit, logger: log, ...(annotator && { annotator }) };

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

  const tally = createRunTally({
    run_id: options.run.runId,
    scope: options.scope,
    dry_run: options.run.dryRun,
    trigger: options.run.trigger,
    startedAt,
    services: services.map((s) => s.id),
    ...(options.keepActions !== undefined && { keepActions: options.keepActions }),
  });
  // Services are taken in list order, at most `concurrency` at a time; each service's calls
  // share the same call limit, so a service with many actions cannot starve the limit.
  const serviceSlots = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  let done = 0;
  const finished = (review: ServiceReview) => {
    tally.add(review);
    options.onProgress?.({ done: ++done, total: services.length, service_id: review.service_id });
  };

  // 1. Survey every service without a lease: read what the scope needs and plan.
  const surveys: ServiceSurvey[] = [];
  await Promise.all(
    services.map((service) =>
      serviceSlots(async () => {
        const stop = stopReason(deps, options);
        if (stop) return tally.leaveUnfinished(service.id, stop);
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
        if (stop) return tally.leaveUnfinished(survey.service.id, stop);
        try {
          finished(await actOnService(reviewDeps, survey, options, hold));
        } catch (err) {
          finished(failedReview(survey.service, deps.client.describeError(err)));
        }
      }),
    ),
  );

  const summary = tally.finish({
    finishedAt: deps.clock(),
    interrupted: options.signal?.aborted === true,
    ...(deps.auditor.failed && { auditError: deps.auditor.failed }),
    ...(hold !== undefined && { hold }),
    ...(listError && { listError }),
  });
  if (summary.revocation_hold)
    log.warn('revocations held by the cap', { held: summary.revocations_held, reason: summary.revocation_hold });
  if (summary.unfinished.length > 0)
    log.warn('services not reviewed to the end', {
      reason: summary.unfinished_reason,
      unfinished: summary.unfinished.length,
      first: summary.unfinished.slice(0, 10),
    });
  log.info('run finished', {
    counts: summary.counts,
    failures: summary.failures.length,
    unfinished: summary.unfinished.length,
    left_pending: summary.left_pending.length,
  });

  // The closing events are emitted even when the trail has failed: the auditor then writes them
  // among the fallback lines, so the end of the run is never lost. Each is emitted on its own, so
  // a failure while sending the first still leaves the second its place.
  const { run } = options;
  const closing = [
    ...(options.scope === 'compliance' ? [buildComplianceReportEvent(run, summary.drift, deps.clock())] : []),
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

/** What the run.completed event carries of the summary: counts, left_pending, failures (CONTRACT section 3). */
function runCompletedData(summary: RunSummary): RunEventData<'vpcep.run.completed'> {
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
