import { LimitFunction } from 'p-limit';

import { AuditFailedError, Auditor } from '../audit/auditor';
import { buildActionEvent } from '../audit/event';
import { collect } from '../collect';
import { LEASE_GRACE_MS, leaseKey, LeaseStore } from '../lease/lease';
import { Logger } from '../logger';
import {
  Action,
  ActionError,
  Connection,
  EndpointService,
  Outcome,
  permissionKey,
  RunContext,
  UnfinishedReason,
  WhitelistRecord,
} from '../model';
import { findRule, latestConnections, matchService, ServiceRule, unmanagedDrift } from '../policy/evaluate';
import { Drift, LeftPending, Scope } from '../policy/plan';
import { revocationsOf } from '../policy/revocations';
import { Policy } from '../policy/schema';

/**
 * What the engine needs of the VPCEP API: a narrow view of the client (lib/vpcep), so the engine
 * can be driven by the real client, the simulator or a fake.
 */
export interface EngineClient {
  /** 4.2.5; `{ id }` reads one service (needs only vpcep:epservices:list, unlike 4.2.2). */
  listServices(query?: { id?: string }): AsyncIterable<EndpointService>;
  listConnections(serviceId: string, query?: { status?: string; id?: string }): AsyncIterable<Connection>;
  listWhitelist(serviceId: string): AsyncIterable<WhitelistRecord>;
  /** 4.2.7: the connections the answer lists (honestly, that endpoint in its new status). */
  acceptOrReject(
    serviceId: string,
    endpointId: string,
    action: 'receive' | 'reject',
  ): Promise<readonly Pick<Connection, 'id' | 'status'>[]>;
  updateWhitelist(serviceId: string, action: 'add' | 'remove', permissions: string[]): Promise<unknown>;
  updateService(serviceId: string, body: { approval_enabled: boolean }): Promise<unknown>;
}

/** What a run needs: the API, the audit trail, the clock and the logs; the lease store when reviews may overlap. */
export interface EngineDeps {
  client: EngineClient;
  auditor: Auditor;
  clock: () => Date;
  logger: Logger;
  /** One review per service at a time across processes (CONTRACT section 1, "Leases"); unset: unleased. */
  lease?: LeaseStore;
}

export interface ReviewDeps extends EngineDeps {
  /** Bounds the API calls in flight across every service of a run. */
  limit: LimitFunction;
}

export interface ReviewOptions {
  /** The run: its id, project, trigger, dry run and policy hash, as every audit event carries them. */
  run: RunContext;
  scope: Scope;
  /** Webhook reviews: act on this connection only (no whitelist or service action). */
  endpointId?: string;
  /** No service or action starts at or after this time (Lambda: now + remaining time - a margin). */
  deadline?: Date;
  /** Aborted on SIGINT/SIGTERM: no new service or action starts; the calls in flight are recorded. */
  signal?: AbortSignal;
  /**
   * Renew held leases every 20 s, each time for 60 s (capped at the deadline plus 30 s), so a
   * holder that dies blocks its services for a minute at most (the CLI). Without it (Lambda,
   * whose deadline is near) a lease is taken once, until the deadline plus 30 s.
   */
  renewLeases?: boolean;
  /** Actions being carried out now (added before the call, removed once it returns): what a second signal reports as unrecorded. */
  inFlight?: Set<Action>;
}

export interface ActionResult extends Action {
  outcome: Outcome;
  /** A revocation the blast-radius cap held: `planned`, with a note saying why, not carried out. */
  held?: true;
  /** What happened when it differs from the plain call: e.g. "already accepted (changed meanwhile)". */
  note?: string;
  error?: ActionError;
}

export interface ServiceReview {
  service_id: string;
  managed: boolean;
  rule?: string;
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  /** Set when the service could not be reviewed to the end (reads failed, lease store failed, audit failed). */
  error?: ActionError;
  /** Set when another run held the service's lease: nothing was done to it. */
  skipped?: { holder: string; note: string };
  /** Set when some of its actions never started: the run was interrupted, its deadline came or the audit trail failed. */
  unfinished?: UnfinishedReason;
}

/**
 * A service read and planned without a lease: what a run decides from (which services need
 * acting on, how many revocations it would make) before it acts on any.
 */
export interface ServiceSurvey {
  service: EndpointService;
  /** The rule that governs the service, as matched for the survey; undefined when unmanaged. */
  rule?: ServiceRule;
  /** The review as far as the survey goes: rule, left_pending, drift, or the read error; no actions yet. */
  review: ServiceReview;
  /** The actions to carry out (after the webhook's endpoint filter); empty when nothing is to be done. */
  actions: Action[];
  /** The view the actions were planned from (the latest read of each connection). */
  connections: Connection[];
  /** The revocations among `actions` (lib/policy/revocations.ts). */
  revocations: Action[];
  /** How many revocations they count for against the cap (a wildcard removal: one per domain it shuts out). */
  revocationCount: number;
}

/** 4.2.7: the status a connection ends in after each action. */
const TARGET_STATUS = { 'connection.accept': 'accepted', 'connection.reject': 'rejected' } as const;

/** CONTRACT section 1: a renewed lease is taken for 60 s at a time, renewed every 20 s. */
const LEASE_RENEW_EVERY_MS = 20_000;
const LEASE_RENEWED_FOR_MS = 60_000;

/**
 * Matches the policy's rule for one service, reads what the scope needs of it (CONTRACT
 * section 2, "Scopes") and plans it with the pure planner, without a lease and without acting.
 * Most services need nothing on most sweeps, so only those whose plan has actions go on to
 * actOnService.
 */
export async function surveyService(
  deps: ReviewDeps,
  service: EndpointService,
  policy: Policy,
  options: ReviewOptions,
): Promise<ServiceSurvey> {
  const rule = matchService(policy, service, deps.clock());
  if (rule) return readAndPlan(deps, service, rule, options);
  // Unmanaged: never read further (compliance reports it as drift).
  return {
    service,
    actions: [],
    connections: [],
    revocations: [],
    revocationCount: 0,
    review: {
      service_id: service.id,
      managed: false,
      actions: [],
      left_pending: [],
      drift: unmanagedDrift(service, options.scope),
    },
  };
}

/** The survey of a managed service under the rule matched for it: what the scope needs read, and the plan. */
async function readAndPlan(
  deps: ReviewDeps,
  service: EndpointService,
  match: ServiceRule,
  options: ReviewOptions,
): Promise<ServiceSurvey> {
  const nothing = { service, rule: match, actions: [], connections: [], revocations: [], revocationCount: 0 };
  const readFailed = (err: unknown): ServiceSurvey => {
    // A read the interruption stopped (not sent, or a listing page cut off): not reviewed, not failed.
    if (options.signal?.aborted)
      return {
        ...nothing,
        review: {
          service_id: service.id,
          managed: true,
          rule: match.label,
          actions: [],
          left_pending: [],
          drift: [],
          unfinished: 'interrupted',
        },
      };
    deps.logger.warn('could not read service state', { service_id: service.id, error: err });
    const error = toActionError(err);
    return {
      ...nothing,
      review: {
        service_id: service.id,
        managed: true,
        rule: match.label,
        actions: [],
        left_pending: [],
        drift: [],
        error,
      },
    };
  };
  let state: { connections: Connection[]; whitelist: WhitelistRecord[]; acceptedRead: boolean };
  try {
    state = await readState(deps, match, service, options.scope);
  } catch (err) {
    return readFailed(err);
  }
  const plan = match.plan(state.connections, state.whitelist, options.scope);
  const only = options.endpointId;
  // A webhook naming a connection acts on that connection only: no whitelist or service change.
  const actions = only === undefined ? plan.actions : plan.actions.filter((a) => a.endpoint_id === only);
  const leftPending = only === undefined ? plan.left_pending : plan.left_pending.filter((p) => p.endpoint_id === only);
  if (!state.acceptedRead && actions.some((a) => a.type === 'whitelist.remove')) {
    // A sweep that removes a whitelist record (a domain's, or a wildcard) revokes every domain
    // with accepted connections that no remaining record admits: read them to count those
    // against the cap (the plan itself does not change, as no pending connection needed them
    // for a limit).
    try {
      const accepted = await deps.limit(() => collect(deps.client.listConnections(service.id, { status: 'accepted' })));
      state.connections = latestConnections([...state.connections, ...accepted]);
    } catch (err) {
      return readFailed(err);
    }
  }
  const revocations = revocationsOf(actions, state.connections, state.whitelist, match.view.owner);
  return {
    service,
    rule: match,
    actions,
    connections: state.connections,
    revocations: revocations.actions,
    revocationCount: revocations.count,
    review: {
      service_id: service.id,
      managed: true,
      rule: match.label,
      actions: [],
      left_pending: leftPending,
      drift: plan.drift,
    },
  };
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
    const error = toActionError(err);
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

/** Carries the survey's actions out: connections one call each (4.2.7), whitelist one call per direction (4.2.9). */
async function applySurvey(
  deps: ReviewDeps,
  survey: ServiceSurvey,
  options: ReviewOptions,
  hold: string | undefined,
): Promise<ServiceReview> {
  const { run } = options;
  const serviceId = survey.service.id;
  const observed = new Map(survey.connections.map((c) => [c.id, c.status]));
  const held = new Set(hold === undefined ? [] : survey.revocations);
  const toDo = survey.actions.filter((a) => !held.has(a));
  const steps: { actions: Action[]; call: () => Promise<ActionResult[]>; noCall?: boolean }[] = [];
  // Revocations held by the cap are recorded as planned, with the reason, in one step of no call.
  if (held.size > 0)
    steps.push({
      actions: [...held],
      call: async () => [...held].map((a) => ({ ...a, outcome: 'planned', held: true, note: `held: ${hold}` })),
      noCall: true,
    });
  for (const a of toDo) {
    if (a.type === 'connection.accept')
      steps.push({ actions: [a], call: () => applyConnection(deps, serviceId, a, options) });
    if (a.type === 'connection.reject') {
      const pending = observed.get(a.endpoint_id!) === 'pendingAcceptance';
      steps.push({
        actions: [a],
        call: () =>
          pending ? rejectIfStillPending(deps, serviceId, a, options) : applyConnection(deps, serviceId, a, options),
      });
    }
  }
  for (const direction of ['add', 'remove'] as const) {
    const records = toDo.filter((a) => a.type === `whitelist.${direction}`);
    if (records.length > 0)
      steps.push({ actions: records, call: () => applyWhitelist(deps, serviceId, direction, records, options) });
  }
  const approval = toDo.find((a) => a.type === 'service.enable-approval');
  if (approval)
    steps.push({ actions: [approval], call: () => applyEnableApproval(deps, serviceId, approval, options) });

  const byAction = new Map<Action, ActionResult>();
  let unfinished: UnfinishedReason | undefined;
  let auditError: Error | undefined;
  await Promise.all(
    steps.map(async (step) => {
      const outcome = await audited(deps, run, step, options);
      outcome.results.forEach((r, i) => byAction.set(step.actions[i]!, r));
      unfinished ??= outcome.notStarted;
      auditError ??= outcome.auditError;
    }),
  );
  if (auditError) unfinished ??= 'audit';
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
 * is known. In dry run the API call is skipped. When the trail fails while recording, the results
 * are still returned (the actions were carried out; their events went to the fallback).
 */
async function audited(
  deps: ReviewDeps,
  run: RunContext,
  step: { actions: readonly Action[]; call: () => Promise<ActionResult[]>; noCall?: boolean },
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
    results =
      run.dryRun && !step.noCall ? actions.map((a): ActionResult => ({ ...a, outcome: 'planned' })) : await call();
  } finally {
    for (const a of actions) options.inFlight?.delete(a);
  }
  try {
    await deps.auditor.record(
      results.map(({ outcome, note, error, held, ...action }) =>
        buildActionEvent(run, action, outcome, deps.clock(), error, note, held),
      ),
    );
  } catch (err) {
    if (!(err instanceof AuditFailedError)) throw err;
    return { results, auditError: err };
  }
  return { results };
}

/**
 * The one service a webhook (or a queue message) asks about, if it exists and the policy
 * manages it, and, given `endpointId`, has that connection. Read with 4.2.5 filtered by id rather
 * than 4.2.2, so the automation's IAM policy needs only vpcep:epservices:list.
 */
export async function findManagedService(
  client: EngineClient,
  policy: Policy,
  serviceId: string,
  endpointId?: string,
): Promise<{ service: EndpointService } | { problem: 'not_found' | 'not_managed'; message: string }> {
  const [service] = await collect(client.listServices({ id: serviceId }));
  if (!service) return { problem: 'not_found', message: `no endpoint service ${serviceId}` };
  if (!findRule(policy, service)) {
    return {
      problem: 'not_managed',
      message: `endpoint service ${serviceId} (${service.service_name ?? 'unnamed'}) is not managed by the policy: no services[] rule matches it`,
    };
  }
  // A named connection must be the service's (4.2.6 filtered by id), whatever its status.
  if (endpointId !== undefined && (await collect(client.listConnections(serviceId, { id: endpointId }))).length === 0)
    return { problem: 'not_found', message: `endpoint service ${serviceId} has no connection ${endpointId}` };
  return { service };
}

/** Reads what the scope and the rule need (CONTRACT section 2, "Scopes"); the rule says what. */
async function readState(deps: ReviewDeps, rule: ServiceRule, service: EndpointService, scope: Scope) {
  const { client, limit } = deps;
  const whitelist = rule.readsWhitelist ? limit(() => collect(client.listWhitelist(service.id))) : Promise.resolve([]);
  if (scope === 'compliance') {
    const [connections, records] = await Promise.all([
      limit(() => collect(client.listConnections(service.id))),
      whitelist,
    ]);
    return { connections, whitelist: records, acceptedRead: true };
  }
  const [pending, records] = await Promise.all([
    limit(() => collect(client.listConnections(service.id, { status: 'pendingAcceptance' }))),
    whitelist,
  ]);
  // Sweep: accepted connections are read only to count a domain against its max_connections.
  const acceptedRead = rule.needsAccepted(pending);
  const accepted = acceptedRead
    ? await limit(() => collect(client.listConnections(service.id, { status: 'accepted' })))
    : [];
  // In read order: a connection accepted between the two reads is in both, and the later read wins (latestConnections).
  return { connections: latestConnections([...pending, ...accepted]), whitelist: records, acceptedRead };
}

/**
 * Rule 4's reject of a pending connection, after re-reading that one connection: 4.2.7's reject
 * is unconditional, and a person (or another run) may have accepted it since the listing. It is
 * rejected only if still pending; already rejected counts as done; in any other status the
 * action is withdrawn (no call, no event: nothing was done) and the next review plans afresh.
 */
async function rejectIfStillPending(
  deps: ReviewDeps,
  serviceId: string,
  action: Action,
  options: ReviewOptions,
): Promise<ActionResult[]> {
  const endpointId = action.endpoint_id!;
  let current: Connection | undefined;
  try {
    current = await readConnection(deps, serviceId, endpointId);
  } catch (err) {
    const error = toActionError(err);
    return [{ ...action, outcome: 'failed', note: `could not re-read the connection: ${error.message}`, error }];
  }
  if (current?.status === 'pendingAcceptance') return applyConnection(deps, serviceId, action, options);
  if (current?.status === 'rejected')
    return [{ ...action, outcome: 'succeeded', note: 'already rejected (changed meanwhile)' }];
  deps.logger.info('reject withdrawn: the connection is no longer pending', {
    endpoint_id: endpointId,
    status: current?.status ?? 'gone',
  });
  return [];
}

/**
 * 4.2.7 for one connection. It counts as done only when the answer lists that endpoint in the
 * target status; otherwise (an empty list, the connection still pending, an answer about another
 * id, as the reference's own example shows) one follow-up read of that endpoint by id decides,
 * and if it is still not in the target status the action failed, with code UNCONFIRMED (the next
 * review plans it again). An answer that confirms costs no further call.
 */
async function applyConnection(
  deps: ReviewDeps,
  serviceId: string,
  action: Action,
  options: ReviewOptions,
): Promise<ActionResult[]> {
  const endpointId = action.endpoint_id!;
  const target = TARGET_STATUS[action.type as keyof typeof TARGET_STATUS];
  let answer: readonly Pick<Connection, 'id' | 'status'>[];
  try {
    // 4.2.7: exactly one endpoint per call.
    answer = await deps.limit(() =>
      deps.client.acceptOrReject(serviceId, endpointId, action.type === 'connection.accept' ? 'receive' : 'reject'),
    );
  } catch (err) {
    if (options.signal?.aborted) return [interruptedResult(action, err)];
    // The connection may have changed meanwhile (another run, a person, a retried call that had
    // in fact been applied): re-read it and report the truth.
    let note: string;
    try {
      const current = await readConnection(deps, serviceId, endpointId);
      if (current?.status === target)
        return [{ ...action, outcome: 'succeeded', note: `already ${target} (changed meanwhile)` }];
      note = current ? `connection is now ${current.status}` : 'connection no longer exists';
    } catch (readErr) {
      note = `could not re-read the connection: ${toActionError(readErr).message}`;
    }
    return [{ ...action, outcome: 'failed', note, error: toActionError(err) }];
  }
  if (answer.some((c) => c.id === endpointId && c.status === target)) return [{ ...action, outcome: 'succeeded' }];
  const said = answerText(answer, endpointId);
  const unconfirmed = (found: string, note?: string): ActionResult[] => [
    {
      ...action,
      outcome: 'failed',
      ...(note !== undefined && { note }),
      error: {
        code: 'UNCONFIRMED',
        message: `the API answered the ${action.type === 'connection.accept' ? 'accept' : 'reject'} of ${endpointId} with ${said}, and ${found}`,
      },
    },
  ];
  if (options.signal?.aborted) return unconfirmed('it was not re-read', 'not re-read: the run was interrupted');
  try {
    const current = await readConnection(deps, serviceId, endpointId);
    if (current?.status === target)
      return [{ ...action, outcome: 'succeeded', note: `confirmed ${target} by a follow-up read` }];
    return unconfirmed(
      current ? `a follow-up read found it ${current.status}, not ${target}` : 'a follow-up read no longer finds it',
    );
  } catch (readErr) {
    return unconfirmed(`the follow-up read failed: ${toActionError(readErr).message}`);
  }
}

/** One connection of a service, read by id (4.2.6), or undefined when it is gone. */
async function readConnection(
  deps: ReviewDeps,
  serviceId: string,
  endpointId: string,
): Promise<Connection | undefined> {
  const [current] = await deps.limit(() => collect(deps.client.listConnections(serviceId, { id: endpointId })));
  return current;
}

/** What a 4.2.7 answer said about `endpointId`, for a person: "an empty list", "it pendingAcceptance", ... */
function answerText(answer: readonly Pick<Connection, 'id' | 'status'>[], endpointId: string): string {
  if (answer.length === 0) return 'an empty list';
  const own = answer.find((c) => c.id === endpointId);
  if (own) return `it ${own.status}`;
  const others = answer.slice(0, 3).map((c) => `${c.id} ${c.status}`);
  return `other connections only (${others.join(', ')}${answer.length > 3 ? ', ...' : ''})`;
}

async function applyWhitelist(
  deps: ReviewDeps,
  serviceId: string,
  direction: 'add' | 'remove',
  actions: readonly Action[],
  options: ReviewOptions,
): Promise<ActionResult[]> {
  const permissions = actions.map((a) => a.permission!);
  const refused = await sendWhitelistBatch(deps, serviceId, direction, permissions, options);
  if (refused.size === 0) return actions.map((a) => ({ ...a, outcome: 'succeeded' }));
  const done = (a: Action): ActionResult => ({ ...a, outcome: 'succeeded' });
  if (options.signal?.aborted)
    return actions.map((a) =>
      refused.has(a.permission!) ? interruptedResult(a, refused.get(a.permission!)) : done(a),
    );
  // Re-read: records another writer already added (or removed) count as done. An added record is
  // looked for as compared (trimmed, any case); a removed one exactly as it was listed and sent.
  const records = await deps.limit(() => collect(deps.client.listWhitelist(serviceId))).catch(() => undefined);
  const present =
    direction === 'add'
      ? new Set(records?.map((r) => permissionKey(r.permission)))
      : new Set(records?.map((r) => r.permission));
  return actions.map((a) => {
    const err = refused.get(a.permission!);
    if (err === undefined) return done(a);
    const key = direction === 'add' ? permissionKey(a.permission!) : a.permission!;
    return records !== undefined && present.has(key) === (direction === 'add')
      ? {
          ...a,
          outcome: 'succeeded',
          note: `already ${direction === 'add' ? 'present' : 'absent'} (changed meanwhile)`,
        }
      : { ...a, outcome: 'failed', error: toActionError(err) };
  });
}

/**
 * 4.2.9: one call for the whole list, split in halves (each half its own call) when the API
 * refuses it: for either direction when it refuses the batch's size (EndPoint.0016), and for a
 * removal when it refuses the request itself (a 400), so that a record it will not remove fails
 * alone and the others are removed. No new call starts once the run is interrupted. Returns the
 * error of each permission that was not carried out (none: all were).
 */
async function sendWhitelistBatch(
  deps: ReviewDeps,
  serviceId: string,
  direction: 'add' | 'remove',
  permissions: string[],
  options: Pick<ReviewOptions, 'signal'>,
): Promise<Map<string, unknown>> {
  try {
    await deps.limit(() => deps.client.updateWhitelist(serviceId, direction, permissions));
    return new Map();
  } catch (err) {
    const split = isBatchTooLarge(err) || (direction === 'remove' && isRefused(err));
    if (permissions.length < 2 || !split || options.signal?.aborted) return new Map(permissions.map((p) => [p, err]));
    const half = Math.ceil(permissions.length / 2);
    const first = await sendWhitelistBatch(deps, serviceId, direction, permissions.slice(0, half), options);
    const second = await sendWhitelistBatch(deps, serviceId, direction, permissions.slice(half), options);
    return new Map([...first, ...second]);
  }
}

async function applyEnableApproval(
  deps: ReviewDeps,
  serviceId: string,
  action: Action,
  options: ReviewOptions,
): Promise<ActionResult[]> {
  try {
    // 4.2.3: only approval_enabled is sent, so nothing else of the service changes.
    await deps.limit(() => deps.client.updateService(serviceId, { approval_enabled: true }));
    return [{ ...action, outcome: 'succeeded' }];
  } catch (err) {
    if (options.signal?.aborted) return [interruptedResult(action, err)];
    const current = await firstOrUndefined(deps.limit(() => collect(deps.client.listServices({ id: serviceId }))));
    if (current?.approval_enabled === true)
      return [{ ...action, outcome: 'succeeded', note: 'already enabled (changed meanwhile)' }];
    return [{ ...action, outcome: 'failed', error: toActionError(err) }];
  }
}

/** 7.2: EndPoint.0016, "the number of batch operated resources exceeded the limit". */
function isBatchTooLarge(err: unknown): boolean {
  const e = err as { errorCode?: string; status?: number };
  return e.errorCode === 'EndPoint.0016' || e.status === 413;
}

/**
 * A request the API refused as such (400), not for the moment: throttling (7.2 EndPoint.0022,
 * also a 400) is no reason to split a batch.
 */
function isRefused(err: unknown): boolean {
  const e = err as { errorCode?: string; status?: number };
  return e.status === 400 && e.errorCode !== 'EndPoint.0022';
}

/**
 * A call that failed after the run was interrupted: no follow-up read starts. One the API
 * answered keeps its error; one the client did not send once the run was interrupted (code
 * INTERRUPTED: the client never cuts a change off in flight) says so; one left unanswered
 * (timed out) has an unknown outcome.
 */
function interruptedResult(action: Action, err: unknown): ActionResult {
  const error = toActionError(err);
  if (error.code === 'INTERRUPTED' && error.status === undefined)
    return { ...action, outcome: 'failed', note: 'not sent: the run was interrupted', error };
  if (error.status !== undefined)
    return { ...action, outcome: 'failed', note: 'not re-read: the run was interrupted', error };
  return {
    ...action,
    outcome: 'failed',
    note: 'outcome unknown',
    error: { code: 'INTERRUPTED', message: `interrupted while the call was in flight: ${error.message}` },
  };
}

export function toActionError(err: unknown): ActionError {
  const e = err as { errorCode?: string; code?: string; status?: number; errorMsg?: string; message?: string };
  return {
    code: e.errorCode ?? e.code ?? 'ERROR',
    message: e.errorMsg ?? e.message ?? String(err),
    ...(typeof e.status === 'number' && { status: e.status }),
  };
}

async function firstOrUndefined<T>(items: Promise<T[]>): Promise<T | undefined> {
  return items.then((list) => list[0]).catch(() => undefined);
}
