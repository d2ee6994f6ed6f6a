import { Writable } from 'node:stream';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, ScheduledEvent } from 'aws-lambda';

import { Config } from '../config';
import { runReview, RunSummary } from '../engine/run';
import { findManagedService } from '../engine/service-review';
import { AppError } from '../errors';
import { Logger } from '../logger';
import { LoadedPolicy } from '../policy/load';
import { createReplayGuard, ReplayGuard } from '../webhook/replay-guard';
import { WebhookRequestStore } from '../webhook/request-store';
import { verifyWebhook } from '../webhook/verify';
import { readEnforce } from './brake';
import { AppContext, deadlineFrom } from './context';
import { loggingMiddleware } from './logging';
import { createPendingAges } from './pending-ages';
import { RunDepsFactory } from './run-deps';
import { publishRunMetrics } from './run-metrics';
import { secretsMiddleware, SecretsMiddlewareOptions } from './secrets';
import { createWebhookOnce } from './webhook-once';

/** Everything a handler is built from, once per container (cold start). */
export interface HandlerSetup {
  config: Config;
  /** The bundled policy, loaded and validated at cold start; a rejection fails every invocation. */
  policy: Promise<LoadedPolicy>;
  createRunDeps: RunDepsFactory;
  logger: Logger;
  clock?: () => Date;
  newRunId?: () => string;
  /** SSM client class for the secrets middleware and the brake (tests inject a fake). */
  ssmClient?: SecretsMiddlewareOptions['AwsClient'];
  /** Where the scheduled functions write their EMF metrics line (default stdout, which CloudWatch reads). */
  metricsOut?: Writable;
  /** Webhook requests shared by every container (the lease table); without it, the in-memory replay guard. */
  webhookRequests?: WebhookRequestStore;
}

/** A handler as Lambda calls it: the middlewares add the rest of AppContext. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/** A scheduled run finished with failures; Lambda records the invocation as failed. */
export class RunFailedError extends AppError {
  readonly summary: RunSummary;
  constructor(summary: RunSummary) {
    const failed = summary.failures.length;
    super(
      `run ${summary.run_id} (${summary.scope}) failed: ${failed} failure${failed === 1 ? '' : 's'}, ${summary.unfinished.length} service(s) unfinished${summary.audit_error ? `, audit trail: ${summary.audit_error}` : ''}`,
      { code: 'RUN_FAILED', fault: 'api', retryable: true },
    );
    this.summary = summary;
  }
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
 * The scheduled sweep or compliance function: runs the engine over every endpoint service and
 * returns the summary. A summary with failures (an action or a service failed, the audit trail
 * failed) is thrown as RunFailedError after being logged, so the invocation counts as an error
 * in CloudWatch and alarms can fire; serverless.yml sets no async retries, as the next
 * schedule runs the same idempotent review anyway.
 */
export function createScheduledHandler(
  setup: HandlerSetup,
  scope: 'sweep' | 'compliance',
): LambdaHandler<ScheduledEvent, RunSummary> {
  const clock = setup.clock ?? (() => new Date());
  let ssm: Pick<SSMClient, 'send'> | undefined;
  // The scheduled functions never need the webhook secret: even if a stage sets its parameter
  // name, they do not read it (a missing webhook parameter must not stop the sweeps).
  const config = { ...setup.config, webhookSecretName: undefined, webhookSecret: undefined };
  const handler = middy<ScheduledEvent, RunSummary, Error, AppContext>()
    .use(loggingMiddleware({ logger: setup.logger, clock, ...(setup.newRunId && { newRunId: setup.newRunId }) }))
    .use(secretsMiddleware({ config, ...(setup.ssmClient && { AwsClient: setup.ssmClient }) }))
    .handler(async (_event, context) => {
      const loaded = await setup.policy;
      // Read at every run, so flipping the brake needs no redeploy.
      const enforce = await readEnforce({
        config: setup.config,
        logger: context.logger,
        ssm: () => (ssm ??= new (setup.ssmClient ?? SSMClient)({})),
      });
      if (!enforce) context.logger.warn('brake on (VPCEP_ENFORCE is false): this run is a dry run');
      // One deadline for the run and for each of its API calls and retries (lib/vpcep/retry.ts).
      const deadline = deadlineFrom(context, clock());
      const deps = setup.createRunDeps({ credentials: context.secrets.credentials, logger: context.logger, deadline });
      const ages = createPendingAges();
      let summary: RunSummary;
      try {
        summary = await runReview({ ...deps, client: ages.client(deps.client) }, loaded.policy, {
          run: {
            runId: context.runId,
            projectId: setup.config.connection.projectId,
            trigger: 'schedule',
            // The brake (CONTRACT section 1): VPCEP_ENFORCE (deployed: its SSM parameter) false makes the run a dry run.
            dryRun: !enforce,
            policySha256: loaded.sha256,
          },
          scope,
          revocationCap: { max: setup.config.controls.maxRevocations, lifted: false },
          deadline,
        });
      } finally {
        await closeAuditor(deps.auditor, context.logger);
      }
      context.logger.info('run summary', { summary: { ...summary, actions: summary.actions.length } });
      publishRunMetrics(
        {
          summary,
          functionName: context.functionName,
          api: deps.client.stats(),
          oldestAllowedPendingSeconds: ages.oldestAllowedPendingSeconds(summary.actions, clock()),
        },
        setup.metricsOut ?? process.stdout,
      );
      if (summary.failed) throw new RunFailedError(summary);
      return summary;
    });
  return handler as unknown as LambdaHandler<ScheduledEvent, RunSummary>;
}

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The `POST /review` webhook (CONTRACT 4). Every refusal (413, 401 incl. stale and replayed,
 * 415, 400) happens before any API call; a service that does not exist or that no policy rule
 * manages is a 404 after one read. Otherwise the engine reviews that one service now (scope
 * sweep, trigger webhook, the same audit events as the schedules) and the answer is
 * 200 `{run_id, actions, left_pending}`, or 502 with the same fields and `failures` when an
 * action or the audit trail failed. With `setup.webhookRequests` a copy of a request already
 * claimed gets 409 in_progress or the first answer instead (lib/lambda/webhook-once.ts).
 */
export function createReviewHandler(
  setup: HandlerSetup,
  replayGuard: ReplayGuard = createReplayGuard(),
): LambdaHandler<APIGatewayProxyEventV2, HttpResult> {
  const clock = setup.clock ?? (() => new Date());
  const once = createWebhookOnce(setup.webhookRequests, clock);
  const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, AppContext>()
    .use(loggingMiddleware({ logger: setup.logger, clock, ...(setup.newRunId && { newRunId: setup.newRunId }) }))
    .use(httpErrorMiddleware())
    .use(
      secretsMiddleware({
        config: setup.config,
        requireWebhookSecret: true,
        ...(setup.ssmClient && { AwsClient: setup.ssmClient }),
      }),
    )
    .use(once.middleware)
    .handler(async (event, context) => {
      const loaded = await setup.policy;
      // With the shared store, copies are answered by it (409 or the first answer), not by this container's memory.
      const verdict = verifyWebhook(event, {
        secret: context.secrets.webhookSecret!,
        now: clock(),
        ...(!setup.webhookRequests && { replayGuard }),
      });
      if (!verdict.ok) {
        context.logger.warn('webhook request refused', { status: verdict.status, reason: verdict.message });
        return json(verdict.status, { error: verdict.error, message: verdict.message });
      }
      const copyAnswer = await once.claim(context, verdict.signature);
      if (copyAnswer) return copyAnswer;
      const { service_id: serviceId, endpoint_id: endpointId } = verdict.request;
      const deadline = deadlineFrom(context, clock());
      const deps = setup.createRunDeps({ credentials: context.secrets.credentials, logger: context.logger, deadline });
      try {
        const found = await findManagedService(deps.client, loaded.policy, serviceId);
        if ('problem' in found)
          return json(404, {
            error: found.problem,
            message: `${found.message} (project ${setup.config.connection.projectId})`,
          });
        const { service } = found;
        const summary = await runReview(deps, loaded.policy, {
          run: {
            runId: context.runId,
            projectId: setup.config.connection.projectId,
            trigger: 'webhook',
            dryRun: !setup.config.controls.enforce,
            policySha256: loaded.sha256,
          },
          scope: 'sweep',
          revocationCap: { max: setup.config.controls.maxRevocations, lifted: false },
          deadline,
          services: [service],
          ...(endpointId !== undefined && { endpointId }),
        });
        context.logger.info('review finished', {
          service_id: serviceId,
          actions: summary.actions.length,
          failed: summary.failed,
        });
        const leased = summary.skipped[0];
        // CONTRACT 4: another run holds the service's lease; nothing was done. When it ends is unknown here: 30 s is a guess.
        if (leased) {
          const busy = json(409, {
            error: 'service_leased',
            message: `service ${serviceId} is ${leased.note}; nothing was done, retry later`,
          });
          return { ...busy, headers: { ...busy.headers, 'retry-after': '30' } };
        }
        const body = { run_id: summary.run_id, actions: summary.actions, left_pending: summary.left_pending };
        return summary.failed
          ? json(502, {
              ...body,
              failures: summary.failures,
              ...(summary.audit_error && { audit_error: summary.audit_error }),
            })
          : json(200, body);
      } finally {
        await closeAuditor(deps.auditor, context.logger);
      }
    });
  return handler as unknown as LambdaHandler<APIGatewayProxyEventV2, HttpResult>;
}

async function closeAuditor(auditor: { close(): Promise<void> }, logger: Logger): Promise<void> {
  try {
    await auditor.close();
  } catch (err) {
    // The auditor already wrote every undelivered event to stderr; the run's summary says failed.
    logger.error('audit trail could not be closed cleanly', { error: err });
  }
}

/**
 * Turns an unexpected error (an invalid policy, missing secrets, an API failure) into a 500
 * JSON answer naming the run id, after loggingMiddleware has logged it; details stay in the
 * logs, so nothing internal (or secret) reaches the caller.
 */
export function httpErrorMiddleware(): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AppContext> {
  return {
    name: 'http-error',
    onError: (request) => {
      const runId = request.context.runId;
      request.response = json(500, {
        error: 'internal',
        message: `the review failed${runId ? `; see the logs of run ${runId}` : ''}`,
      });
    },
  };
}
