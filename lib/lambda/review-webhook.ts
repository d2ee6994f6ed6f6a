import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

import { findManagedService } from '../engine/survey';
import { createMemoryWebhookRequestStore } from '../webhook/request-store';
import { verifyWebhook } from '../webhook/verify';
import { createBrake } from './brake';
import { AppContext } from './context';
import { asLambdaHandler, clockOf, HandlerSetup, invocationMiddlewares, LambdaHandler } from './handler-setup';
import { httpErrorMiddleware, HttpResult, json } from './http';
import { runOnce } from './run-once';
import { createWebhookOnce } from './webhook-once';

/**
 * The `POST /review` webhook (CONTRACT 4). Every refusal (413, 401 incl. stale, 415, 400)
 * happens before any API call; a service that does not exist or that no policy rule
 * manages, or an `endpoint_id` the service does not have, is a 404 after one read each. The brake
 * (VPCEP_ENFORCE, deployed its SSM parameter) makes the review a dry run. Otherwise the engine
 * reviews that one service now (scope sweep, trigger webhook, the same audit events as the
 * schedules; with `endpoint_id`, that connection only) and the answer is
 * 200 `{run_id, actions, left_pending}`, or 502 with the same fields and `failures` when an
 * action or the audit trail failed. A copy of a request already claimed gets 409 in_progress or
 * the first answer instead (lib/lambda/webhook-once.ts), from `setup.webhookRequests` (the lease
 * table) or, without it, from this container's memory.
 */
export function createReviewHandler(setup: HandlerSetup): LambdaHandler<APIGatewayProxyEventV2, HttpResult> {
  const clock = clockOf(setup);
  const once = createWebhookOnce(setup.webhookRequests ?? createMemoryWebhookRequestStore({ clock }), clock);
  const brake = createBrake(setup);
  const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, AppContext>()
    .use(invocationMiddlewares(setup, { webhookSecret: true }))
    .use(httpErrorMiddleware())
    .use(once.middleware)
    .handler(async (event, context) => {
      const loaded = await setup.policy;
      const verdict = verifyWebhook(event, { secret: context.secrets.webhookSecret!, now: clock() });
      if (!verdict.ok) {
        context.logger.warn('webhook request refused', { status: verdict.status, reason: verdict.message });
        return json(verdict.status, { error: verdict.error, message: verdict.message });
      }
      const copyAnswer = await once.claim(context, verdict.signature);
      if (copyAnswer) return copyAnswer;
      const { service_id: serviceId, endpoint_id: endpointId } = verdict.request;
      // The brake stops this function too (read at each request, like the schedules'): a dry run.
      const enforce = await brake(context.logger);
      const choice = { trigger: 'webhook', scope: 'sweep', dryRun: !enforce } as const;
      return runOnce(setup, context, loaded, choice, async (run) => {
        const found = await findManagedService(run.client, loaded.policy, serviceId, endpointId);
        if ('problem' in found)
          return json(404, {
            error: found.problem,
            message: `${found.message} (project ${run.context.projectId})`,
          });
        const summary = await run.review({
          services: [found.service],
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
      });
    });
  return asLambdaHandler(handler);
}
