/**
 * One executor per action type, in one table (EXECUTORS): the call that carries an action out,
 * the end state it aims at, the reconcile re-read that tells what happened when the call failed
 * or its answer did not confirm, whether a service's actions of that type go in one batch, and
 * the API operations it makes (named as in lib/vpcep/operations.ts, so the IAM coverage test and
 * per-operation budgets read them from here). The engine dispatches on this table only
 * (execute.ts runs an entry); a person's decision is a connection.accept or connection.reject and
 * reuses these executors.
 */
import { collect } from '../collect';
import { Action, ActionError, ActionResult, ActionType, Connection, ConnectionStatus, permissionKey } from '../model';
import type { OperationName } from '../vpcep/operations';
import { ReviewDeps } from './ports';

/** What an executor is given: the engine's dependencies, the service acted on, the run's signal, what the survey read. */
export interface ExecutionContext {
  deps: ReviewDeps;
  serviceId: string;
  signal: AbortSignal | undefined;
  /** The status the survey read for a connection of the service (undefined: not read). */
  observed(endpointId: string): ConnectionStatus | undefined;
}

/** What a reconcile re-read found: the end state, or what instead when it can tell (another status, gone, the read failed). */
export type Reread = { reached: true } | { reached: false; now?: string; gone?: true; readError?: ActionError };

interface ExecutorBase {
  /** The API operations its call and re-reads make (lib/vpcep/operations.ts): what the IAM policies must allow. */
  operations: readonly OperationName[];
  /** The end state in words, for notes ("already accepted (changed meanwhile)"). */
  target: string;
  /**
   * Set for an accept: the connection waits, pending, for this action, so until it succeeds
   * its age counts in the run's oldest pending age (the outcome heartbeat).
   */
  awaited?: true;
  /**
   * Set for the connection decisions: with VPCEP_ANNOTATE, a succeeded one is also written as the
   * connection's description, "vpcep-approver: <target>, ..." (annotate.ts).
   */
  annotated?: true;
}

/** An executor of one call per action. */
export interface SingleExecutor extends ExecutorBase {
  batch: false;
  /** What its re-read's notes name ("connection is now deleting"). */
  subject: string;
  /**
   * Runs before the call: undefined goes on to it; results replace it (none: the action is
   * withdrawn, nothing was done and nothing is recorded).
   */
  before?(ctx: ExecutionContext, action: Action): Promise<ActionResult[] | undefined>;
  /**
   * The call. Resolves undefined when its answer shows the end state, else with what the answer
   * said (one follow-up read then decides, UNCONFIRMED if it does not show it); rejects when the
   * call failed.
   */
  call(ctx: ExecutionContext, action: Action): Promise<string | undefined>;
  /** The reconcile re-read after a call that failed or did not confirm. Never rejects. */
  reread(ctx: ExecutionContext, action: Action): Promise<Reread>;
}

/** An executor of one call for all of a service's actions of its type. */
export interface BatchExecutor extends ExecutorBase {
  batch: true;
  /** The call for `actions` (split as the API requires): the error of each one not carried out (none: all were). */
  call(ctx: ExecutionContext, actions: readonly Action[]): Promise<ReadonlyMap<Action, ActionError>>;
  /** The reconcile re-read: which of `actions` are in the end state now (undefined: the read failed). */
  reread(ctx: ExecutionContext, actions: readonly Action[]): Promise<ReadonlySet<Action> | undefined>;
}

export type Executor = SingleExecutor | BatchExecutor;

/** How each action type is carried out. */
export const EXECUTORS: { readonly [T in ActionType]: Executor } = {
  'connection.accept': {
    batch: false,
    target: 'accepted',
    subject: 'connection',
    operations: ['acceptOrReject', 'listConnections'],
    awaited: true,
    annotated: true,
    call: (ctx, action) => decideConnection(ctx, action, 'receive', 'accepted'),
    reread: (ctx, action) => rereadConnection(ctx, action, 'accepted'),
  },
  'connection.reject': {
    batch: false,
    target: 'rejected',
    subject: 'connection',
    operations: ['acceptOrReject', 'listConnections'],
    annotated: true,
    before: rejectIfStillPending,
    call: (ctx, action) => decideConnection(ctx, action, 'reject', 'rejected'),
    reread: (ctx, action) => rereadConnection(ctx, action, 'rejected'),
  },
  'whitelist.add': {
    batch: true,
    target: 'present',
    operations: ['updateWhitelist', 'listWhitelist'],
    call: (ctx, actions) => updateWhitelist(ctx, 'add', actions),
    reread: (ctx, actions) => rereadWhitelist(ctx, 'add', actions),
  },
  'whitelist.remove': {
    batch: true,
    target: 'absent',
    operations: ['updateWhitelist', 'listWhitelist'],
    call: (ctx, actions) => updateWhitelist(ctx, 'remove', actions),
    reread: (ctx, actions) => rereadWhitelist(ctx, 'remove', actions),
  },
  'service.enable-approval': {
    batch: false,
    target: 'enabled',
    subject: 'service',
    operations: ['updateService', 'listServices'],
    call: async ({ deps, serviceId }) => {
      // 4.2.3: only approval_enabled is sent, so nothing else of the service changes.
      await deps.limit(() => deps.client.updateService(serviceId, { approval_enabled: true }));
      return undefined;
    },
    reread: async ({ deps, serviceId }) => {
      try {
        const [current] = await deps.limit(() => collect(deps.client.listServices({ id: serviceId })));
        return current?.approval_enabled === true ? { reached: true } : { reached: false };
      } catch (err) {
        return { reached: false, readError: deps.client.describeError(err) };
      }
    },
  },
};

/**
 * 4.2.7 for one connection, one endpoint per call. Its answer confirms only when it lists that
 * endpoint in the target status; otherwise (an empty list, the connection still pending, an
 * answer about another id, as the reference's own example shows) it says what the answer was.
 */
async function decideConnection(
  { deps, serviceId }: ExecutionContext,
  action: Action,
  call: 'receive' | 'reject',
  target: ConnectionStatus,
): Promise<string | undefined> {
  const endpointId = action.endpoint_id!;
  const answer = await deps.limit(() => deps.client.acceptOrReject(serviceId, endpointId, call));
  if (answer.some((c) => c.id === endpointId && c.status === target)) return undefined;
  return `the API answered the ${call === 'receive' ? 'accept' : 'reject'} of ${endpointId} with ${answerText(answer, endpointId)}`;
}

/** What a 4.2.7 answer said about `endpointId`, for a person: "an empty list", "it pendingAcceptance", ... */
function answerText(answer: readonly Pick<Connection, 'id' | 'status'>[], endpointId: string): string {
  if (answer.length === 0) return 'an empty list';
  const own = answer.find((c) => c.id === endpointId);
  if (own) return `it ${own.status}`;
  const others = answer.slice(0, 3).map((c) => `${c.id} ${c.status}`);
  return `other connections only (${others.join(', ')}${answer.length > 3 ? ', ...' : ''})`;
}

/** The connection re-read by id: in the target status, in another, gone, or not read. */
async function rereadConnection(ctx: ExecutionContext, action: Action, target: ConnectionStatus): Promise<Reread> {
  try {
    const current = await readConnection(ctx, action.endpoint_id!);
    if (current?.status === target) return { reached: true };
    return current ? { reached: false, now: current.status } : { reached: false, gone: true };
  } catch (err) {
    return { reached: false, readError: ctx.deps.client.describeError(err) };
  }
}

/**
 * Rule 4's reject of a pending connection, after re-reading that one connection: 4.2.7's reject
 * is unconditional, and a person (or another run) may have accepted it since the listing. It is
 * rejected only if still pending; already rejected counts as done; in any other status the
 * action is withdrawn (no call, no event: nothing was done) and the next review plans afresh.
 */
async function rejectIfStillPending(ctx: ExecutionContext, action: Action): Promise<ActionResult[] | undefined> {
  const endpointId = action.endpoint_id!;
  if (ctx.observed(endpointId) !== 'pendingAcceptance') return undefined;
  let current: Connection | undefined;
  try {
    current = await readConnection(ctx, endpointId);
  } catch (err) {
    const error = ctx.deps.client.describeError(err);
    return [{ ...action, outcome: 'failed', note: `could not re-read the connection: ${error.message}`, error }];
  }
  if (current?.status === 'pendingAcceptance') return undefined;
  if (current?.status === 'rejected')
    return [{ ...action, outcome: 'succeeded', note: 'already rejected (changed meanwhile)' }];
  ctx.deps.logger.info('reject withdrawn: the connection is no longer pending', {
    endpoint_id: endpointId,
    status: current?.status ?? 'gone',
  });
  return [];
}

/** One connection of the service, read by id (4.2.6), or undefined when it is gone. */
async function readConnection(
  { deps, serviceId }: ExecutionContext,
  endpointId: string,
): Promise<Connection | undefined> {
  const [current] = await deps.limit(() => collect(deps.client.listConnections(serviceId, { id: endpointId })));
  return current;
}

/** 4.2.9: the whole list in one call per direction, split as the API requires (the client's business). */
async function updateWhitelist(
  { deps, serviceId, signal }: ExecutionContext,
  direction: 'add' | 'remove',
  actions: readonly Action[],
): Promise<ReadonlyMap<Action, ActionError>> {
  const permissions = actions.map((a) => a.permission!);
  const refused = await deps.limit(() =>
    deps.client.updateWhitelistRecords(serviceId, direction, permissions, signal ? { signal } : {}),
  );
  return new Map(
    actions.flatMap((a) => {
      const error = refused.get(a.permission!);
      return error === undefined ? [] : [[a, error] as const];
    }),
  );
}

/**
 * The whitelist re-read: records another writer already added (or removed) count as done. An
 * added record is looked for as compared (trimmed, any case); a removed one exactly as it was
 * listed and sent.
 */
async function rereadWhitelist(
  { deps, serviceId }: ExecutionContext,
  direction: 'add' | 'remove',
  actions: readonly Action[],
): Promise<ReadonlySet<Action> | undefined> {
  const records = await deps.limit(() => collect(deps.client.listWhitelist(serviceId))).catch(() => undefined);
  if (records === undefined) return undefined;
  const adding = direction === 'add';
  const key = (permission: string) => (adding ? permissionKey(permission) : permission);
  const present = new Set(records.map((r) => key(r.permission)));
  return new Set(actions.filter((a) => present.has(key(a.permission!)) === adding));
}
