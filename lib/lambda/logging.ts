import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';

import { Logger } from '../logger';
import { Clock, systemClock } from '../time';
import { AppContext } from './context';

export interface LoggingMiddlewareOptions {
  logger: Logger;
  /** Creates the run id (default: a random UUID); audit events and every log line carry it. */
  newRunId?: () => string;
  clock?: Clock;
}

/**
 * Gives each invocation a run id and a child logger carrying it (and the Lambda request id),
 * and logs the start, the end with its duration, and a failure with the error's name, code
 * and message (the logger redacts secret-looking fields).
 */
export function loggingMiddleware(
  options: LoggingMiddlewareOptions,
): MiddlewareObj<unknown, unknown, Error, AppContext> {
  const newRunId = options.newRunId ?? randomUUID;
  const clock = options.clock ?? systemClock;
  const started = new WeakMap<object, number>();
  return {
    name: 'logging',
    before: (request) => {
      const runId = newRunId();
      request.context.runId = runId;
      request.context.logger = options.logger.child({
        run_id: runId,
        request_id: request.context.awsRequestId,
        function: request.context.functionName,
      });
      started.set(request, clock().getTime());
      request.context.logger.info('invocation started', { remaining_ms: request.context.getRemainingTimeInMillis() });
    },
    after: (request) => {
      request.context.logger.info('invocation finished', {
        duration_ms: clock().getTime() - (started.get(request) ?? clock().getTime()),
      });
    },
    onError: (request) => {
      // The logger may not exist yet if an earlier middleware failed.
      const logger = request.context.logger ?? options.logger;
      const err = request.error;
      logger.error('invocation failed', {
        duration_ms: clock().getTime() - (started.get(request) ?? clock().getTime()),
        error: err
          ? { name: err.name, message: err.message, ...('code' in err && { code: (err as { code: unknown }).code }) }
          : undefined,
      });
    },
  };
}
