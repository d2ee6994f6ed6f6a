/**
 * The engine's dependencies for one benchmark run: lib/deps' factory of production defaults,
 * called once with the run's credentials and sink (the functions and the CLI make a factory per
 * process instead).
 */
import { AuditSink } from '../lib/audit/sink';
import { createRunDepsFactory, ProcessDepsOptions, RunDeps } from '../lib/deps';
import { Logger } from '../lib/logger';
import { HuaweiCredentials } from '../lib/model';

export interface CreateRunDepsOptions extends Omit<ProcessDepsOptions, 'connection' | 'audit'> {
  connection: ProcessDepsOptions['connection'] & { credentials: HuaweiCredentials };
  sink: AuditSink;
  logger: Logger;
  maxUnaudited?: number;
}

/** createRunDepsFactory for a single run with its sink. */
export function createRunDeps(options: CreateRunDepsOptions): RunDeps {
  const {
    connection: { credentials, ...connection },
    sink,
    logger,
    maxUnaudited,
    ...shared
  } = options;
  return createRunDepsFactory({ connection, ...shared })({
    credentials,
    logger,
    sink,
    ...(maxUnaudited !== undefined && { maxUnaudited }),
  });
}
