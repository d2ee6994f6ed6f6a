import { AuditSink } from '../audit/sink';
import { createRunDeps, RunDeps } from '../deps';
import { createJsonLogger } from '../logger';
import { ConnectionOptions, connectionConfigFromOptions, runClientOptions } from './connection';
import { CliContext } from './context';

/** One SQS SendMessageBatch. */
const AUDIT_BATCH = 10;

/** The engine's dependencies for a CLI run: the client from the connection options, logs (warnings and up) on stderr. */
export function createCliRunDeps(ctx: CliContext, options: ConnectionOptions & { concurrency: number }, sink: AuditSink): RunDeps & { projectId: string; deadline: Date } {
  const connection = connectionConfigFromOptions(options, ctx);
  const logger = createJsonLogger({ stream: ctx.stderr, level: 'warn' });
  // --max-rate and --timeout: the process's rate limiter and the run's deadline, for every call.
  const client = runClientOptions(options, ctx);
  return { ...createRunDeps({ connection, sink, logger, fallback: ctx.stderr, maxUnaudited: options.concurrency + AUDIT_BATCH, client }), projectId: connection.projectId, deadline: client.deadline };
}
