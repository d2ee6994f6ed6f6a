/**
 * Runs one entry of the executor table (executors.ts) and words what happened: a single call
 * with its confirmation and reconcile re-read, or a batch with the re-read of what it could not
 * do. What is true after a failed call is what the re-read finds: an action another run (or a
 * person, or a retried call that had in fact been applied) already carried out counts as done.
 */
import { Action, ActionError, ActionResult } from '../model';
import { BatchExecutor, ExecutionContext, Reread, SingleExecutor } from './executors';

/**
 * One action, one call. It counts as done only when the answer shows the end state; otherwise
 * one follow-up read decides, and if that does not show it either the action failed with code
 * UNCONFIRMED (the next review plans it again). A call that failed is reconciled the same way:
 * if the re-read finds the end state, the action is done (changed meanwhile).
 */
export async function runSingle(
  ctx: ExecutionContext,
  executor: SingleExecutor,
  action: Action,
): Promise<ActionResult[]> {
  const instead = await executor.before?.(ctx, action);
  if (instead) return instead;
  let answered: string | undefined;
  try {
    answered = await executor.call(ctx, action);
  } catch (err) {
    const error = ctx.deps.client.describeError(err);
    if (ctx.signal?.aborted) return [interruptedResult(action, error)];
    const found = await executor.reread(ctx, action);
    if (found.reached)
      return [{ ...action, outcome: 'succeeded', note: `already ${executor.target} (changed meanwhile)` }];
    const note = rereadNote(executor.subject, found);
    return [{ ...action, outcome: 'failed', ...(note !== undefined && { note }), error }];
  }
  if (answered === undefined) return [{ ...action, outcome: 'succeeded' }];
  const unconfirmed = (found: string, note?: string): ActionResult[] => [
    {
      ...action,
      outcome: 'failed',
      ...(note !== undefined && { note }),
      error: { code: 'UNCONFIRMED', message: `${answered}, and ${found}` },
    },
  ];
  if (ctx.signal?.aborted) return unconfirmed('it was not re-read', 'not re-read: the run was interrupted');
  const found = await executor.reread(ctx, action);
  if (found.reached)
    return [{ ...action, outcome: 'succeeded', note: `confirmed ${executor.target} by a follow-up read` }];
  return unconfirmed(followUpText(executor.target, found));
}

/** A failed call's note from its re-read: "connection is now deleting", "could not re-read the connection: ...". */
function rereadNote(subject: string, found: Exclude<Reread, { reached: true }>): string | undefined {
  if (found.readError) return `could not re-read the ${subject}: ${found.readError.message}`;
  if (found.gone) return `${subject} no longer exists`;
  return found.now === undefined ? undefined : `${subject} is now ${found.now}`;
}

/** What a follow-up read found of an unconfirmed call, for its UNCONFIRMED error. */
function followUpText(target: string, found: Exclude<Reread, { reached: true }>): string {
  if (found.readError) return `the follow-up read failed: ${found.readError.message}`;
  if (found.gone) return 'a follow-up read no longer finds it';
  return found.now === undefined
    ? `a follow-up read did not find it ${target}`
    : `a follow-up read found it ${found.now}, not ${target}`;
}

/**
 * A service's actions of one type, one call (split as the API requires). Those it could not
 * carry out are re-read: the ones already in the end state count as done (changed meanwhile).
 */
export async function runBatch(
  ctx: ExecutionContext,
  executor: BatchExecutor,
  actions: readonly Action[],
): Promise<ActionResult[]> {
  const refused = await executor.call(ctx, actions);
  const done = (a: Action): ActionResult => ({ ...a, outcome: 'succeeded' });
  if (refused.size === 0) return actions.map(done);
  if (ctx.signal?.aborted)
    return actions.map((a) => {
      const error = refused.get(a);
      return error ? interruptedResult(a, error) : done(a);
    });
  const reached = await executor.reread(
    ctx,
    actions.filter((a) => refused.has(a)),
  );
  return actions.map((a) => {
    const error = refused.get(a);
    if (error === undefined) return done(a);
    return reached?.has(a)
      ? { ...a, outcome: 'succeeded', note: `already ${executor.target} (changed meanwhile)` }
      : { ...a, outcome: 'failed', error };
  });
}

/**
 * A call that failed after the run was interrupted: no follow-up read starts. One the API
 * answered keeps its error; one the client did not send once the run was interrupted (code
 * INTERRUPTED: the client never cuts a change off in flight) says so; one left unanswered
 * (timed out) has an unknown outcome.
 */
function interruptedResult(action: Action, error: ActionError): ActionResult {
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
