/**
 * What a policy change decides differently (CONTRACT section 1, `plan --against`): two plans made
 * on the same observed state, compared decision by decision. Pure: the engine plans, this compares.
 */
import type { Action } from '../model';
import type { Drift, LeftPending } from './plan';

/** The same target decided under both policies, differently (another action, rule or reason). */
export interface Changed<T> {
  before: T;
  after: T;
}

/** What one list of decisions gains, loses and decides differently from the old plan to the new. */
export interface ListDiff<T> {
  /** Under the new policy only. */
  added: T[];
  /** Under the old policy only. */
  removed: T[];
  /** The same target under both, decided differently. */
  changed: Changed<T>[];
}

/** The plans being compared: the actions, the connections left pending and the drift of each. */
export interface ComparedPlan<A extends Action = Action> {
  actions: readonly A[];
  left_pending: readonly LeftPending[];
  drift: readonly Drift[];
}

/** The difference of two plans: the actions at the top level, left_pending and drift beside them. */
export interface PlanDiff<A extends Action = Action> extends ListDiff<A> {
  left_pending: ListDiff<LeftPending>;
  /** Drift is compared whole: an entry is added or removed, never changed. */
  drift: Omit<ListDiff<Drift>, 'changed'>;
}

/**
 * What an action is about, whatever is decided about it: a connection (accepted or rejected), a
 * whitelist record (added or removed), or the service itself.
 */
export function actionTarget(a: Action): string {
  if (a.endpoint_id !== undefined) return `${a.service_id} connection ${a.endpoint_id}`;
  if (a.permission !== undefined) return `${a.service_id} whitelist ${a.permission}`;
  return `${a.service_id} ${a.type}`;
}

/** Compares the plan of the new policy (`after`) with the old one's (`before`), both made on the same state. */
export function diffPlans<A extends Action>(before: ComparedPlan<A>, after: ComparedPlan<A>): PlanDiff<A> {
  const actions = diffBy(
    before.actions,
    after.actions,
    actionTarget,
    (x, y) => sameDecision(x, y) && x.type === y.type,
  );
  const leftPending = diffBy(
    before.left_pending,
    after.left_pending,
    (p) => `${p.service_id} connection ${p.endpoint_id}`,
    sameDecision,
  );
  const { added, removed } = diffBy(
    before.drift,
    after.drift,
    (d) => JSON.stringify(d),
    () => true,
  );
  return { ...actions, left_pending: leftPending, drift: { added, removed } };
}

/** Whether a plan diff has any difference at all (`--detailed-exitcode` exits 2 when it has). */
export function hasDifferences(diff: PlanDiff): boolean {
  const lists = [diff, diff.left_pending, { ...diff.drift, changed: [] }];
  return lists.some((l) => l.added.length + l.removed.length + l.changed.length > 0);
}

function sameDecision(x: { rule: string; reason: string }, y: { rule: string; reason: string }): boolean {
  return x.rule === y.rule && x.reason === y.reason;
}

/** Entries keyed by `key`: those of `after` only, of `before` only, and those whose keys match but `same` says differ. In `after`'s order, then `before`'s. */
function diffBy<T>(
  before: readonly T[],
  after: readonly T[],
  key: (entry: T) => string,
  same: (x: T, y: T) => boolean,
): ListDiff<T> {
  const old = new Map(before.map((b) => [key(b), b]));
  const now = new Set(after.map(key));
  const added: T[] = [];
  const changed: Changed<T>[] = [];
  for (const a of after) {
    const b = old.get(key(a));
    if (b === undefined) added.push(a);
    else if (!same(b, a)) changed.push({ before: b, after: a });
  }
  return { added, removed: before.filter((b) => !now.has(key(b))), changed };
}
