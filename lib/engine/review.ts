import { LimitFunction } from 'p-limit';
import { Auditor } from '../audit/auditor';
import { ActionError, buildActionEvent, RunContext } from '../audit/event';
import { collect } from '../collect';
import { Logger } from '../logger';
import { Connection, EndpointService, WhitelistRecord } from '../model';
import { Action, Drift, LeftPending, latestConnections, needsAcceptedConnections, planService, findRule, Scope } from '../policy/evaluate';
import { ruleSettings } from '../policy/rule-view';
import { Policy, PolicyRule } from '../policy/schema';

/**
 * What the engine needs of the VPCEP API: a narrow view of the client (lib/vpcep), so the engine
 * can be driven by the real client, the simulator or a fake.
 */
export interface EngineClient {
  /** 4.2.5; `{ id }` reads one service (needs only vpcep:epservices:list, unlike 4.2.2). */
  listServices(query?: { id?: string }): AsyncIterable<EndpointService>;
  listConnections(serviceId: string, query?: { status?: string; id?: string }): AsyncIterable<Connection>;
  listWhitelist(serviceId: string): AsyncIterable<WhitelistRecord>;
  acceptOrReject(serviceId: string, endpointId: string, action: 'receive' | 'reject'): Promise<unknown>;
  updateWhitelist(serviceId: string, action: 'add' | 'remove', permissions: string[]): Promise<unknown>;
  updateService(serviceId: string, body: { approval_enabled: boolean }): Promise<unknown>;
}

/** What a run needs: the API, the audit trail, the clock and the logs. */
export interface EngineDeps {
  client: EngineClient;
  auditor: Auditor;
  clock: () => Date;
  logger: Logger;
}

export interface ReviewDeps extends EngineDeps {
  /** Bounds the API calls in flight across every service of a run. */
  limit: LimitFunction;
}

export type Trigger = RunContext['trigger'];

export interface ReviewOptions {
  scope: Scope;
  dryRun: boolean;
  trigger: Trigger;
  runId: string;
  projectId: string;
  policySha256: string;
  /** Webhook reviews: act on this connection only (whitelist actions still apply). */
  endpointId?: string;
}

export type Outcome = 'succeeded' | 'failed' | 'planned';

export interface ActionResult extends Action {
  outcome: Outcome;
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
  /** Set when the service could not be reviewed to the end (reads failed, audit failed). */
  error?: ActionError;
}

/** 4.2.7: the status a connection ends in after each action. */
const TARGET_STATUS = { 'connection.accept': 'accepted', 'connection.reject': 'rejected' } as const;

/**
 * Reviews one endpoint service: reads the state the scope needs (CONTRACT section 2, "Scopes"),
 * plans with the pure planner, carries the plan out (or, in dry run, only records it) and
 * records one audit event per action. Never throws for an API failure: failures are results.
 * Throws only when the audit trail has failed (AuditFailedError), since then no action may run.
 */
export async function reviewService(deps: ReviewDeps, service: EndpointService, policy: Policy, options: ReviewOptions): Promise<ServiceReview> {
  const now = deps.clock();
  const match = findRule(policy, service);
  const log = deps.logger.child({ service_id: service.id });
  if (!match) {
    // Unmanaged: never read further (compliance reports it as drift).
    const plan = planService(policy, service, [], [], now, options.scope);
    return { service_id: service.id, managed: false, actions: [], left_pending: [], drift: plan.drift };
  }

  let state: { connections: Connection[]; whitelist: WhitelistRecord[] };
  try {
    state = await readState(deps, policy, service, match.rule, options.scope, now);
  } catch (err) {
    log.warn('could not read service state', { error: err });
    return { service_id: service.id, managed: true, rule: match.label, actions: [], left_pending: [], drift: [], error: toActionError(err) };
  }

  const plan = planService(policy, service, state.connections, state.whitelist, now, options.scope);
  const wanted = options.endpointId === undefined ? plan.actions : plan.actions.filter((a) => !a.endpoint_id || a.endpoint_id === options.endpointId);
  const leftPending = options.endpointId === undefined ? plan.left_pending : plan.left_pending.filter((p) => p.endpoint_id === options.endpointId);
  const run: RunContext = { runId: options.runId, projectId: options.projectId, trigger: options.trigger, dryRun: options.dryRun, policySha256: options.policySha256 };
  const observed = new Map(state.connections.map((c) => [c.id, c.status]));
  const results = await applyPlan(deps, service, wanted, run, observed);
  const failed = results.filter((r) => r.outcome === 'failed').length;
  log.debug('service reviewed', { rule: match.label, actions: results.length, failed, left_pending: leftPending.length });
  return { service_id: service.id, managed: true, rule: match.label, actions: results, left_pending: leftPending, drift: plan.drift };
}

/**
 * The one service a webhook (or a queue message) asks about, if it exists and the policy
 * manages it. Read with 4.2.5 filtered by id rather than 4.2.2, so the automation's IAM policy
 * needs only vpcep:epservices:list.
 */
export async function findManagedService(
  client: EngineClient,
  policy: Policy,
  serviceId: string,
): Promise<{ service: EndpointService } | { problem: 'not_found' | 'not_managed'; message: string }> {
  const [service] = await collect(client.listServices({ id: serviceId }));
  if (!service) return { problem: 'not_found', message: `no endpoint service ${serviceId}` };
  if (!findRule(policy, service)) {
    return { problem: 'not_managed', message: `endpoint service ${serviceId} (${service.service_name ?? 'unnamed'}) is not managed by the policy: no services[] rule matches it` };
  }
  return { service };
}

async function readState(deps: ReviewDeps, policy: Policy, service: EndpointService, rule: PolicyRule, scope: Scope, now: Date) {
  const { client, limit } = deps;
  // With `whitelist: off` the planner neither changes nor reports the whitelist: no need to read it.
  const whitelist = ruleSettings(policy, rule).whitelist === 'off' ? Promise.resolve([]) : limit(() => collect(client.listWhitelist(service.id)));
  if (scope === 'compliance') {
    const [connections, records] = await Promise.all([limit(() => collect(client.listConnections(service.id))), whitelist]);
    return { connections, whitelist: records };
  }
  const [pending, records] = await Promise.all([limit(() => collect(client.listConnections(service.id, { status: 'pendingAcceptance' }))), whitelist]);
  // Sweep: accepted connections are read only to count a domain against its max_connections.
  const accepted = needsAcceptedConnections(policy, service, pending, now) ? await limit(() => collect(client.listConnections(service.id, { status: 'accepted' }))) : [];
  // In read order: a connection accepted between the two reads is in both, and the later read wins (latestConnections).
  return { connections: latestConnections([...pending, ...accepted]), whitelist: records };
}

/** Carries the actions out: connections one call each (4.2.7), whitelist one call per direction (4.2.9). */
async function applyPlan(deps: ReviewDeps, service: EndpointService, actions: readonly Action[], run: RunContext, observed: ReadonlyMap<string, string>): Promise<ActionResult[]> {
  const groups: { actions: Action[]; call: () => Promise<ActionResult[]> }[] = [];
  for (const a of actions) {
    if (a.type === 'connection.accept') groups.push({ actions: [a], call: () => applyConnection(deps, service.id, a) });
    if (a.type === 'connection.reject') {
      const pending = observed.get(a.endpoint_id!) === 'pendingAcceptance';
      groups.push({ actions: [a], call: () => (pending ? rejectIfStillPending(deps, service.id, a) : applyConnection(deps, service.id, a)) });
    }
  }
  for (const direction of ['add', 'remove'] as const) {
    const records = actions.filter((a) => a.type === `whitelist.${direction}`);
    if (records.length > 0) groups.push({ actions: records, call: () => applyWhitelist(deps, service.id, direction, records) });
  }
  const approval = actions.find((a) => a.type === 'service.enable-approval');
  if (approval) groups.push({ actions: [approval], call: () => applyEnableApproval(deps, service.id, approval) });

  const byAction = new Map<Action, ActionResult>();
  const settled = await Promise.allSettled(
    groups.map(async (g) => (await audited(deps, run, g.actions, g.call)).forEach((r, i) => byAction.set(g.actions[i]!, r))),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason; // the audit trail failed: the run must stop
  // Report in plan order, whatever order the calls finished in; an action withdrawn before its call has no result.
  return actions.flatMap((a) => byAction.get(a) ?? []);
}

/**
 * Runs one API step for `actions` under the audit rule: room is reserved before the call (no
 * action starts while too many are unaudited or after the audit trail failed) and each action's
 * event is recorded as soon as its outcome is known. In dry run the call is skipped. The results
 * are in the order of `actions`.
 */
async function audited(deps: ReviewDeps, run: RunContext, actions: readonly Action[], call: () => Promise<ActionResult[]>): Promise<ActionResult[]> {
  await deps.auditor.reserve();
  const results = run.dryRun ? actions.map((a): ActionResult => ({ ...a, outcome: 'planned' })) : await call();
  await deps.auditor.record(
    results.map(({ outcome, note, error, ...action }) => buildActionEvent(run, action, outcome, deps.clock(), error, note)),
  );
  return results;
}

/**
 * Rule 4's reject of a pending connection, after re-reading that one connection: 4.2.7's reject
 * is unconditional, and a person (or another run) may have accepted it since the listing. It is
 * rejected only if still pending; already rejected counts as done; in any other status the
 * action is withdrawn (no call, no event: nothing was done) and the next review plans afresh.
 */
async function rejectIfStillPending(deps: ReviewDeps, serviceId: string, action: Action): Promise<ActionResult[]> {
  const endpointId = action.endpoint_id!;
  let current: Connection | undefined;
  try {
    [current] = await deps.limit(() => collect(deps.client.listConnections(serviceId, { id: endpointId })));
  } catch (err) {
    const error = toActionError(err);
    return [{ ...action, outcome: 'failed', note: `could not re-read the connection: ${error.message}`, error }];
  }
  if (current?.status === 'pendingAcceptance') return applyConnection(deps, serviceId, action);
  if (current?.status === 'rejected') return [{ ...action, outcome: 'succeeded', note: 'already rejected (changed meanwhile)' }];
  deps.logger.info('reject withdrawn: the connection is no longer pending', { endpoint_id: endpointId, status: current?.status ?? 'gone' });
  return [];
}

async function applyConnection(deps: ReviewDeps, serviceId: string, action: Action): Promise<ActionResult[]> {
  const endpointId = action.endpoint_id!;
  const target = TARGET_STATUS[action.type as keyof typeof TARGET_STATUS];
  try {
    // 4.2.7: exactly one endpoint per call.
    await deps.limit(() => deps.client.acceptOrReject(serviceId, endpointId, action.type === 'connection.accept' ? 'receive' : 'reject'));
    return [{ ...action, outcome: 'succeeded' }];
  } catch (err) {
    // The connection may have changed meanwhile (another run, a person, a retried call that had
    // in fact been applied): re-read it and report the truth.
    let note: string;
    try {
      const [current] = await deps.limit(() => collect(deps.client.listConnections(serviceId, { id: endpointId })));
      if (current?.status === target) return [{ ...action, outcome: 'succeeded', note: `already ${target} (changed meanwhile)` }];
      note = current ? `connection is now ${current.status}` : 'connection no longer exists';
    } catch (readErr) {
      note = `could not re-read the connection: ${toActionError(readErr).message}`;
    }
    return [{ ...action, outcome: 'failed', note, error: toActionError(err) }];
  }
}

async function applyWhitelist(deps: ReviewDeps, serviceId: string, direction: 'add' | 'remove', actions: readonly Action[]): Promise<ActionResult[]> {
  const permissions = actions.map((a) => a.permission!);
  try {
    await sendWhitelistBatch(deps, serviceId, direction, permissions);
    return actions.map((a) => ({ ...a, outcome: 'succeeded' }));
  } catch (err) {
    // Re-read: records another writer already added (or removed) count as done.
    const records = await deps.limit(() => collect(deps.client.listWhitelist(serviceId))).catch(() => undefined);
    const present = new Set(records?.map((r) => r.permission.toLowerCase()));
    return actions.map((a) => {
      const done = records !== undefined && present.has(a.permission!.toLowerCase()) === (direction === 'add');
      return done ? { ...a, outcome: 'succeeded', note: `already ${direction === 'add' ? 'present' : 'absent'} (changed meanwhile)` } : { ...a, outcome: 'failed', error: toActionError(err) };
    });
  }
}

/** 4.2.9: one call for the whole list; split in halves only if the API refuses the batch size. */
async function sendWhitelistBatch(deps: ReviewDeps, serviceId: string, direction: 'add' | 'remove', permissions: string[]): Promise<void> {
  try {
    await deps.limit(() => deps.client.updateWhitelist(serviceId, direction, permissions));
  } catch (err) {
    if (permissions.length < 2 || !isBatchTooLarge(err)) throw err;
    const half = Math.ceil(permissions.length / 2);
    await sendWhitelistBatch(deps, serviceId, direction, permissions.slice(0, half));
    await sendWhitelistBatch(deps, serviceId, direction, permissions.slice(half));
  }
}

async function applyEnableApproval(deps: ReviewDeps, serviceId: string, action: Action): Promise<ActionResult[]> {
  try {
    // 4.2.3: only approval_enabled is sent, so nothing else of the service changes.
    await deps.limit(() => deps.client.updateService(serviceId, { approval_enabled: true }));
    return [{ ...action, outcome: 'succeeded' }];
  } catch (err) {
    const current = await firstOrUndefined(deps.limit(() => collect(deps.client.listServices({ id: serviceId }))));
    if (current?.approval_enabled === true) return [{ ...action, outcome: 'succeeded', note: 'already enabled (changed meanwhile)' }];
    return [{ ...action, outcome: 'failed', error: toActionError(err) }];
  }
}

/** 7.2: EndPoint.0016, "the number of batch operated resources exceeded the limit". */
function isBatchTooLarge(err: unknown): boolean {
  const e = err as { errorCode?: string; status?: number };
  return e.errorCode === 'EndPoint.0016' || e.status === 413;
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
