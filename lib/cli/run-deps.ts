import { AuditSink } from '../audit/sink';
import { ReviewCommandConfig } from '../config';
import { createRunDepsFactory, RunDeps } from '../deps';
import { createJsonLogger } from '../logger';
import { runPacing } from './api-options';
import { CliContext } from './context';

/** One SQS SendMessageBatch. */
const AUDIT_BATCH = 10;

/** What one CLI run brings besides its configuration. */
export interface CliRunRequest {
  /** --concurrency: the calls in flight, which bound the unaudited actions with one audit batch. */
  concurrency: number;
  /** The run's audit sink, already proven (apply), or the discarding one (plan). */
  sink: AuditSink;
  /** The run's interruption: the client stops with it. */
  signal?: AbortSignal;
}

/**
 * The engine's dependencies for a CLI run, from lib/deps' createRunDepsFactory and the command's
 * configuration (read once, lib/cli/api-options.ts): the client (stopped by the run's
 * interruption `signal`), logs (warnings and up) on stderr, and the lease store when
 * VPCEP_LEASE_TABLE names one (the same table as the scheduled functions, so a person's apply
 * never collides with them), and VPCEP_ANNOTATE's descriptions (an apply's only: a plan is a dry
 * run). The deadline counts from now.
 */
export function createCliRunDeps(
  ctx: CliContext,
  config: ReviewCommandConfig,
  run: CliRunRequest,
): RunDeps & { projectId: string; deadline: Date } {
  const { credentials, ...connection } = config.connection;
  // --max-rate and --timeout: the process's rate limiter and the run's deadline, for every call.
  const { rateLimiter, deadline } = runPacing(config.limits);
  const runDeps = createRunDepsFactory({
    connection,
    fallback: ctx.stderr,
    rateLimiter,
    ...(config.leaseTable !== undefined && { leaseTable: config.leaseTable }),
    ...(config.annotate && { annotate: true }),
  });
  const deps = runDeps({
    credentials,
    logger: createJsonLogger({ stream: ctx.stderr, level: 'warn' }),
    deadline,
    ...(run.signal && { signal: run.signal }),
    sink: run.sink,
    maxUnaudited: run.concurrency + AUDIT_BATCH,
  });
  return { ...deps, projectId: connection.projectId, deadline };
}
