/** What `plan` prints from: one policy's run, and the comparison of two (`plan --against`). Types only. */
import { RunSummary } from '../engine/run';
import { ActionResult } from '../model';
import { PlanDiff } from '../policy/plan-diff';
import { Policy } from '../policy/schema';

/** One policy's plan: the file it was read from, the policy and the run's summary. */
export interface PolicyRun {
  file: string;
  policy: Policy;
  summary: RunSummary;
}

/** `plan --policy NEW --against OLD`: both runs, on the same reads, and what differs. */
export interface Comparison {
  /** The run of --policy (the new policy). */
  run: PolicyRun;
  /** The run of --against (the old policy). */
  against: PolicyRun;
  diff: PlanDiff<ActionResult>;
  /** The revocations the new policy's plan would make (its banner). */
  revocations: readonly ActionResult[];
}
