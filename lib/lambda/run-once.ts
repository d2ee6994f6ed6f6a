import { RunDeps } from '../deps';
import { RunOptions, runReview, RunSummary } from '../engine/run';
import { Logger } from '../logger';
import { RunContext, Trigger } from '../model';
import { LoadedPolicy } from '../policy/load';
import { Scope } from '../policy/plan';
import { AppContext, deadlineFrom } from './context';
import { clockOf, HandlerSetup } from './handler-setup';

/** What a handler decides about its run; the rest comes from the setup and the invocation. */
export interface RunChoice {
  trigger: Trigger;
  scope: Scope;
  dryRun: boolean;
}

/** The run of one invocation, as runOnce hands it to the handler. */
export interface InvocationRun {
  /** The run's context, as every audit event of the run carries it. */
  context: RunContext;
  /** The run's client: the invocation's credentials and deadline, the container's fetch and rate limiter. */
  client: RunDeps['client'];
  /**
   * Runs the engine once with the run's context, scope, deadline and revocation cap
   * (VPCEP_MAX_REVOCATIONS, never lifted in Lambda): over every endpoint service, or over
   * `services` (already read).
   */
  review(options?: Pick<RunOptions, 'services' | 'endpointId' | 'keepActions'>): Promise<RunSummary>;
}

/**
 * The one run of an invocation: builds the run's context once (the invocation's run id, the
 * configured project, the policy's hash), the deadline, and the engine's dependencies for the
 * invocation's credentials, hands them to `body`, and closes the auditor whatever happens, so
 * every event is flushed before Lambda freezes the container.
 */
export async function runOnce<T>(
  setup: HandlerSetup,
  context: AppContext,
  loaded: LoadedPolicy,
  choice: RunChoice,
  body: (run: InvocationRun) => Promise<T>,
): Promise<T> {
  const clock = clockOf(setup);
  const run: RunContext = {
    runId: context.runId,
    projectId: setup.config.connection.projectId,
    trigger: choice.trigger,
    dryRun: choice.dryRun,
    policySha256: loaded.sha256,
  };
  // One deadline for the run and for each of its API calls and retries (lib/vpcep/retry.ts).
  const deadline = deadlineFrom(context, clock());
  const deps = setup.createRunDeps({ credentials: context.secrets.credentials, logger: context.logger, deadline });
  try {
    return await body({
      context: run,
      client: deps.client,
      review: (options = {}) =>
        runReview(deps, loaded.policy, {
          run,
          scope: choice.scope,
          revocationCap: { max: setup.config.controls.maxRevocations, lifted: false },
          deadline,
          ...options,
        }),
    });
  } finally {
    await closeAuditor(deps.auditor, context.logger);
  }
}

async function closeAuditor(auditor: { close(): Promise<void> }, logger: Logger): Promise<void> {
  try {
    await auditor.close();
  } catch (err) {
    // The auditor already wrote every undelivered event to stderr; the run's summary says failed.
    logger.error('audit trail could not be closed cleanly', { error: err });
  }
}
