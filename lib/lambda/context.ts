import type { Context } from 'aws-lambda';

import { Logger } from '../logger';
import type { HuaweiCredentials } from '../model';

/** What the middlewares resolve for an invocation; never logged. */
export interface InvocationSecrets {
  credentials: HuaweiCredentials;
  /** The shared webhook secret; only the review function requires it. */
  webhookSecret?: string;
}

/**
 * The Lambda context after this project's middlewares: loggingMiddleware adds runId and
 * logger, secretsMiddleware adds secrets.
 */
export interface AppContext extends Context {
  runId: string;
  logger: Logger;
  secrets: InvocationSecrets;
}

/**
 * The engine's deadline: no service starts after it. Lambda kills the invocation at
 * `getRemainingTimeInMillis()`; the margin leaves room for the services in flight to finish
 * and for the run.completed event and audit flush. Margin: 20 % of the remaining time,
 * at least 2 s and at most 30 s.
 */
export function deadlineFrom(context: Pick<Context, 'getRemainingTimeInMillis'>, now: Date): Date {
  const remaining = context.getRemainingTimeInMillis();
  const margin = Math.min(30_000, Math.max(2_000, Math.round(remaining * 0.2)));
  return new Date(now.getTime() + Math.max(0, remaining - margin));
}
