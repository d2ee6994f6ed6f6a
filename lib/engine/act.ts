/**
 * Acting on one surveyed service: the lease on it, the second read and plan under the lease,
 * and the plan's actions carried out in audited steps (one API call each, by the executor table),
 * or in dry run only recorded; then, with VPCEP_ANNOTATE, its decisions written as the
 * connections' descriptions (annotate.ts).
 */
import { AuditFailedError } from '../audit/auditor';
import { buildActionEvent } from '../audit/event';
import { LEASE_GRACE_MS, leaseKey } from '../lease/lease';
import { Action, ActionResult, RunContext, UnfinishedReason } from '../model';
import { runBatch, runSingle } from './execute';
import { ExecutionContext, Executor, EXECUTORS } from './executors';
import { EngineDeps, ReviewDeps, ReviewOptions, ServiceReview, ServiceSurvey } from './ports';
import { readAndPlan } from './survey';

/** CONTRACT section 1: a renewed lease is taken for 60 s at a time, renewed every 20 s. */
const LEASE_RENEW_EVERY_MS = 20_000;
const LEASE_RENEWED_FOR_MS = 60_000;

/** One API call for some actions, as the audit rule sees it. */
interface Step {
  actions: readonly Action[];
  call: () => Promise<ActionResult[]>;
}

/**
 * Carries out a survey's plan (or, in dry run, only records it), one audit event per action.
 * With a lease store, the lease on the service is taken first (a service whose lease another
 * run holds is skipped, which is not a failure) and the service is read and planned again under
 * it, so two reviews never act on one service at once. `hold`, when set, says why the run's
 * revocations are held by the cap: they are recorded as `planned` with that note, not carried out.
 */
export async function actOnService(
  deps: ReviewDeps,
  survey: ServiceSurvey,
  options: ReviewOptions,
  hold?: string,
): Promise<ServiceReview> {
  // A survey with actions is of a managed service, so it carries its rule.
  if (survey.actions.length === 0 || survey.review.error || !survey.rule) return survey.review;
  const { rule } = survey;
  if (options.run.dryRun || !deps.lease) return applySurvey(deps, survey, options, hold);

  const lease = deps.lease;
  const key = leaseKey(options.run.projectId, survey.service.id);
  const log = deps.logger.child({ service_id: survey.service.id });
  const until = () => leaseExpiry(deps.clock(), options);
  let taken;
  try {
    taken = await lease.acquire(key, options.run.runId, until());
  } catch (err) {
    log.warn('could not take the lease', { error: err });
    const error = deps.client.describeError(err);
    return {
      ...survey.review,
      error: { ...error, message: `could not take the lease on the service: ${error.message}` },
    };
  }
  if (!taken.acquired) {
    log.info('service skipped: another run holds its lease', { holder: taken.holder });
    return { ...survey.review, skipped: { holder: taken.holder, note: `being reviewed by run ${taken.holder}` } };
  }
  const renewal = options.renewLeases
    ? setInterval(() => {
        lease
          .renew(key, options.run.runId, until())
          .catch((err: unknown) => log.warn('could not renew the lease', { error: err }));
      }, LEASE_RENEW_EVERY_MS)
    : undefined;
  renewal?.unref();
  try {
    // Under the lease: read and plan again, since another run may have acted since the survey;
    // the rule stays the one matched, prepared at this later instant (an entry may have expired).
    const fresh = await readAndPlan(deps, survey.service, rule.at(deps.clock()), options);
    if (fresh.review.error || fresh.actions.length === 0) return fresh.review;
    return await applySurvey(deps, fresh, options, hold);
  } finally {
    if (renewal) clearInterval(renewal);
    await lease
      .release(key, options.run.runId)
      .catch((err: unknown) => log.warn('could not release the lease; it expires by itself', { error: err }));
  }
}

/** When a lease taken (or renewed) now ends: the deadline plus 30 s, and at most 60 s ahead when renewed. */
function leaseExpiry(now: Date, options: ReviewOptions): Date {
  const byDeadline = options.deadline ? options.deadline.getTime() + LEASE_GRACE_MS : Infinity;
  const renewed = options.renewLeases || !options.deadline ? now.getTime() + LEASE_RENEWED_FOR_MS : Infinity;
  return new Date(Math.min(byDeadline, renewed));
}

/**
 * Carries the survey's actions out, one step per call as the executor table says: a single
 * executor's action alone, a batch executor's actions of the service together (in plan order).
 */
async function applySurvey(
  deps: ReviewDeps,
  survey: ServiceSurvey,
  options: ReviewOptions,
  hold: string | undefined,
): Promise<ServiceReview> {
  const { run } = options;
  const serviceId = survey.service.id;
  const observed = new Map(survey.connections.map((c) => [c.id, c.status]));
  const ctx: ExecutionContext = { deps, serviceId, signal: options.signal, observed: (id) => observed.get(id) };
  const held = new Set(hold === undefined ? [] : survey.revocations);
  const steps: Step[] = [];
  const batches = new Map<Executor, Action[]>();
  for (const a of survey.actions) {
    if (held.has(a)) continue;
    const executor = EXECUTORS[a.type];
    if (!executor.batch) {
      steps.push({ actions: [a], call: () => runSingle(ctx, executor, a) });
      continue;
    }
    const batch = batches.get(executor);
    if (batch) batch.push(a);
    else {
      const actions = [a];
      batches.set(executor, actions);
      steps.push({ actions, call: () => runBatch(ctx, executor, actions) });
    }
  }

  const byAction = new Map<Action, ActionResult>();
  let unfinished: UnfinishedReason | undefined;
  let auditError: Error | undefined;
  // Revocations the cap holds make no call: they are recorded as planned, held, with the reason.
  if (held.size > 0) {
    unfinished = stopReason(deps, options);
    if (!unfinished) {
      for (const a of held) byAction.set(a, { ...a, outcome: 'planned', held: true, note: `held: ${hold}` });
      auditError = await recordResults(deps, run, [...byAction.values()], false);
    }
  }
  await Promise.all(
    steps.map(async (step) => {
      const outcome = await audited(deps, run, step, options);
      outcome.results.forEach((r, i) => byAction.set(step.actions[i]!, r));
      unfinished ??= outcome.notStarted;
      auditError ??= outcome.auditError;
    }),
  );
  if (auditError) unfinished ??= 'audit';
  // After the service's decisions, one description call for them (not once the run must stop).
  if (deps.annotator && !run.dryRun && !stopReason(deps, options))
    await deps.annotator.annotate(deps, serviceId, [...byAction.values()], survey.connections);
  // Report in plan order, whatever order the calls finished in; an action withdrawn or never started has no result.
  const results = survey.actions.flatMap((a) => byAction.get(a) ?? []);
  deps.logger.debug('service reviewed', {
    service_id: serviceId,
    rule: survey.review.rule,
    actions: results.length,
    failed: results.filter((r) => r.outcome === 'failed').length,
  });
  return {
    ...survey.review,
    actions: results,
    ...(unfinished && { unfinished }),
    ...(auditError && { error: { code: 'AUDIT_FAILED', message: auditError.message } }),
  };
}

/** Why no new call may start now, if none may: the run was interrupted, the audit trail failed, the deadline came. */
export function stopReason(
  deps: Pick<EngineDeps, 'auditor' | 'clock'>,
  options: Pick<ReviewOptions, 'signal' | 'deadline'>,
): UnfinishedReason | undefined {
  if (options.signal?.aborted) return 'interrupted';
  if (deps.auditor.failed) return 'audit';
  if (options.deadline && deps.clock() >= options.deadline) return 'deadline';
  return undefined;
}

/**
 * Runs one API step for `actions` under the audit rule: room is reserved before the call (no
 * action starts while too many are unaudited, after the audit trail failed, once the run is
 * interrupted or past its deadline) and each action's event is recorded as soon as its outcome
 * is known. In dry run the API call is skipped.
 */
async function audited(
  deps: ReviewDeps,
  run: RunContext,
  step: Step,
  options: ReviewOptions,
): Promise<{ results: ActionResult[]; notStarted?: UnfinishedReason; auditError?: Error }> {
  const { actions, call } = step;
  const before = stopReason(deps, options);
  if (before) return { results: [], notStarted: before };
  try {
    await deps.auditor.reserve();
  } catch (err) {
    if (err instanceof AuditFailedError) return { results: [], notStarted: 'audit', auditError: err };
    throw err;
  }
  // Waiting for room may have taken a while: look again before the call.
  const stop = stopReason(deps, options);
  if (stop) {
    await deps.auditor.record([]).catch(() => undefined); // gives the reservation back
    return { results: [], notStarted: stop };
  }
  for (const a of actions) options.inFlight?.add(a);
  let results: ActionResult[];
  try {
    results = run.dryRun ? actions.map((a): ActionResult => ({ ...a, outcome: 'planned' })) : await call();
  } finally {
    for (const a of actions) options.inFlight?.delete(a);
  }
  const auditError = await recordResults(deps, run, results, true);
  return auditError ? { results, auditError } : { results };
}

/**
 * Hands the results' events to the auditor: those of a call room was reserved for, or those of
 * no call (held revocations). Returns the trail's failure if it failed meanwhile (the results
 * stand: their events went to the fallback).
 */
async function recordResults(
  deps: ReviewDeps,
  run: RunContext,
  results: readonly ActionResult[],
  reserved: boolean,
): Promise<AuditFailedError | undefined> {
  const events = results.map((result) => buildActionEvent(run, result, deps.clock()));
  try {
    await (reserved ? deps.auditor.record(events) : deps.auditor.emit(events));
    return undefined;
  } catch (err) {
    if (err instanceof AuditFailedError) return err;
    throw err;
  }
}
