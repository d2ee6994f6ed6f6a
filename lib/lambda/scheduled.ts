import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';

import { RunSummary } from '../engine/run';
import { AppError } from '../errors';
import { Scope } from '../policy/plan';
import { createBrake } from './brake';
import { AppContext } from './context';
import { asLambdaHandler, HandlerSetup, invocationMiddlewares, LambdaHandler } from './handler-setup';
import { publishRunMetrics } from './run-metrics';
import { runOnce } from './run-once';

/**
 * A scheduled run finished with failures; Lambda records the invocation as failed (so the alarm
 * fires). Not retryable: a scheduled invocation is not retried, and the next schedule runs the
 * same idempotent review anyway.
 */
export class RunFailedError extends AppError {
  readonly summary: RunSummary;
  constructor(summary: RunSummary) {
    const failed = summary.failures.length;
    super(
      `run ${summary.run_id} (${summary.scope}) failed: ${failed} failure${failed === 1 ? '' : 's'}, ${summary.unfinished.length} service(s) unfinished${summary.audit_error ? `, audit trail: ${summary.audit_error}` : ''}`,
      { code: 'RUN_FAILED', fault: 'api', retryable: false },
    );
    this.summary = summary;
  }
}

/**
 * The scheduled sweep or compliance function: runs the engine over every endpoint service and
 * returns the summary. A summary with failures (an action or a service failed, the audit trail
 * failed) is thrown as RunFailedError after being logged, so the invocation counts as an error
 * in CloudWatch and alarms can fire; serverless.yml sets no async retries, as the next
 * schedule runs the same idempotent review anyway.
 */
export function createScheduledHandler(setup: HandlerSetup, scope: Scope): LambdaHandler<ScheduledEvent, RunSummary> {
  const brake = createBrake(setup);
  const handler = middy<ScheduledEvent, RunSummary, Error, AppContext>()
    .use(invocationMiddlewares(setup, { webhookSecret: false }))
    .handler(async (_event, context) => {
      const loaded = await setup.policy;
      // Read at every run, so flipping the brake needs no redeploy.
      const enforce = await brake(context.logger);
      // The brake (CONTRACT section 1): VPCEP_ENFORCE (deployed: its SSM parameter) false makes the run a dry run.
      const { summary, api } = await runOnce(
        setup,
        context,
        loaded,
        { trigger: 'schedule', scope, dryRun: !enforce },
        async (run) => ({ summary: await run.review(), api: run.client.stats() }),
      );
      context.logger.info('run summary', { summary: { ...summary, actions: summary.actions.length } });
      publishRunMetrics({ summary, functionName: context.functionName, api }, setup.metricsOut ?? process.stdout);
      if (summary.failed) throw new RunFailedError(summary);
      return summary;
    });
  return asLambdaHandler(handler);
}
