import { Writable } from 'node:stream';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';

import { Config } from '../config';
import { RunDepsFactory } from '../deps';
import { Logger } from '../logger';
import { LoadedPolicy } from '../policy/load';
import { Clock, systemClock } from '../time';
import { WebhookRequestStore } from '../webhook/request-store';
import { AppContext } from './context';
import { loggingMiddleware } from './logging';
import { secretsMiddleware, SecretsMiddlewareOptions } from './secrets';

/** Everything a handler is built from, once per container (cold start). */
export interface HandlerSetup {
  config: Config;
  /** The bundled policy, loaded and validated at cold start; a rejection fails every invocation. */
  policy: Promise<LoadedPolicy>;
  createRunDeps: RunDepsFactory;
  logger: Logger;
  clock?: Clock;
  newRunId?: () => string;
  /** SSM client class for the secrets middleware and the brake (tests inject a fake). */
  ssmClient?: SecretsMiddlewareOptions['AwsClient'];
  /** Where the scheduled functions write their EMF metrics line (default stdout, which CloudWatch reads). */
  metricsOut?: Writable;
  /** Webhook requests shared by every container (the lease table); without it, each container's memory. */
  webhookRequests?: WebhookRequestStore;
}

/** A handler as Lambda calls it: the middlewares add the rest of AppContext. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/** A middy handler typed as Lambda calls it (Lambda gives a plain Context; the middlewares make it an AppContext). */
export function asLambdaHandler<E, R>(handler: middy.MiddyfiedHandler<E, R, Error, AppContext>): LambdaHandler<E, R> {
  return handler as unknown as LambdaHandler<E, R>;
}

/** The setup's clock (tests give one), else the system's. */
export function clockOf(setup: HandlerSetup): Clock {
  return setup.clock ?? systemClock;
}

/**
 * Loads the policy once; the returned promise is awaited by each invocation, so an invalid
 * policy fails every invocation loudly (and takes no action) instead of crashing the import.
 */
export function preloadPolicy(load: () => Promise<LoadedPolicy>): Promise<LoadedPolicy> {
  const loaded = load();
  // Observed here so Node does not report an unhandled rejection before the first invocation.
  loaded.catch(() => undefined);
  return loaded;
}

/**
 * The middlewares every handler starts with, in this order: loggingMiddleware (run id, logger)
 * and the secrets. Only a handler that verifies webhooks asks for the webhook secret; the
 * others never read it, even if the stage names its parameter (a missing webhook parameter
 * must not stop the sweeps).
 */
export function invocationMiddlewares(
  setup: HandlerSetup,
  options: { webhookSecret: boolean },
): middy.MiddlewareObj<unknown, unknown, Error, AppContext>[] {
  const config = options.webhookSecret
    ? setup.config
    : { ...setup.config, webhookSecretName: undefined, webhookSecret: undefined };
  return [
    loggingMiddleware({
      logger: setup.logger,
      ...(setup.clock && { clock: setup.clock }),
      ...(setup.newRunId && { newRunId: setup.newRunId }),
    }),
    ...secretsMiddleware({
      config,
      ...(options.webhookSecret && { requireWebhookSecret: true }),
      ...(setup.ssmClient && { AwsClient: setup.ssmClient }),
    }),
  ];
}
