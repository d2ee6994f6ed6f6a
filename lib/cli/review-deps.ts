import { AuditSink } from '../audit/sink';
import { loadLeaseConfig } from '../config';
import { createLeaseStore, createRunDeps, RunDeps } from '../deps';
import { createJsonLogger } from '../logger';
import { connectionConfigFromOptions, ConnectionOptions, runClientOptions } from './api-options';
import { CliContext } from './context';

/** One SQS SendMessageBatch. */
const AUDIT_BATCH = 10;

/**
 * The engine's dependencies for a CLI run: the client from the connection options, logs
 * (warnings and up) on stderr, and the lease store when VPCEP_LEASE_TABLE names one (the same
 * table as the scheduled functions, so a person's apply never collides with them).
 */
export function createCliRunDeps(
  ctx: CliContext,
  options: ConnectionOptions & { concurrency: number },
  sink: AuditSink,
): RunDeps & { projectId: string; deadline: Date } {
  const connection = connectionConfigFromOptions(options, ctx);
  const { leaseTable } = loadLeaseConfig(ctx.env);
  const logger = createJsonLogger({ stream: ctx.stderr, level: 'warn' });
  // --max-rate and --timeout: the process's rate limiter and the run's deadline, for every call.
  const client = runClientOptions(options, ctx);
  return {
    ...createRunDeps({
      connection,
      sink,
      logger,
      fallback: ctx.stderr,
      maxUnaudited: options.concurrency + AUDIT_BATCH,
      client,
      ...(leaseTable !== undefined && { lease: createLeaseStore(leaseTable) }),
    }),
    projectId: connection.projectId,
    deadline: client.deadline,
  };
}
