import { AuditSink } from '../audit/sink';
import { loadLeaseConfig } from '../config';
import { createRunDepsFactory, RunDeps } from '../deps';
import { createJsonLogger } from '../logger';
import { apiConnectionFromOptions, ApiOptions, runClientOptions } from './api-options';
import { CliContext } from './context';

/** One SQS SendMessageBatch. */
const AUDIT_BATCH = 10;

/**
 * The engine's dependencies for a CLI run, from lib/deps' createRunDepsFactory: the client from
 * the API options (stopped by the run's interruption `signal`), logs (warnings and up) on
 * stderr, and the lease store when VPCEP_LEASE_TABLE names one (the same table as the scheduled
 * functions, so a person's apply never collides with them).
 */
export function createCliRunDeps(
  ctx: CliContext,
  options: ApiOptions & { concurrency: number },
  sink: AuditSink,
  signal?: AbortSignal,
): RunDeps & { projectId: string; deadline: Date } {
  const { credentials, ...connection } = apiConnectionFromOptions(options, ctx);
  const { leaseTable } = loadLeaseConfig(ctx.env);
  // --max-rate and --timeout: the process's rate limiter and the run's deadline, for every call.
  const { rateLimiter, deadline } = runClientOptions(options, ctx);
  const runDeps = createRunDepsFactory({
    connection,
    fallback: ctx.stderr,
    rateLimiter,
    ...(leaseTable !== undefined && { leaseTable }),
  });
  const deps = runDeps({
    credentials,
    logger: createJsonLogger({ stream: ctx.stderr, level: 'warn' }),
    deadline,
    ...(signal && { signal }),
    sink,
    maxUnaudited: options.concurrency + AUDIT_BATCH,
  });
  return { ...deps, projectId: connection.projectId, deadline };
}
