import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

import { Clock } from '../time';
import { claimOnce, OnceClaim } from '../webhook/answer-once';
import { WebhookRequestStore } from '../webhook/request-store';
import { AppContext } from './context';
import { HttpResult } from './http';

/**
 * A claim outlives the invocation's own end (getRemainingTimeInMillis) by this much, so that a
 * copy never starts a second review while the first can still be running; after it, a review
 * that crashed (a killed container) no longer blocks its copies.
 */
const CLAIM_MARGIN_MS = 5_000;

/** One review per signed webhook request across containers (CONTRACT 4); see createWebhookOnce. */
export interface WebhookOnce {
  /** Records the answer of a claimed request for its copies, or gives the claim up when the handler threw. */
  middleware: middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AppContext>;
  /**
   * Call after the request is verified: claims it for this invocation and returns undefined
   * (review it), or the answer to give instead (409 in progress, the first answer, 401).
   */
  claim(context: AppContext, signature: string): Promise<HttpResult | undefined>;
}

/**
 * Makes the review handler idempotent on the request signature through `store`: the lease table
 * when there is one, else the container's memory (createMemoryWebhookRequestStore).
 */
export function createWebhookOnce(store: WebhookRequestStore, clock: Clock): WebhookOnce {
  const claims = new WeakMap<AppContext, Extract<OnceClaim, { claimed: true }>>();
  return {
    middleware: {
      name: 'webhook-once',
      after: async (request) => {
        const claimed = claims.get(request.context);
        const response = request.response;
        if (!claimed || !response) return;
        claims.delete(request.context);
        try {
          if (!(await claimed.finish({ statusCode: response.statusCode, body: response.body }, clock()))) {
            request.context.logger.warn(
              'webhook request claim lapsed before the review ended; a copy may have been reviewed again',
            );
          }
        } catch (err) {
          // The review is done and its answer stands; copies get 409 until the claim lapses, then a new review.
          request.context.logger.error('webhook request answer could not be recorded', { error: err });
        }
      },
      onError: async (request) => {
        const claimed = claims.get(request.context);
        if (!claimed) return;
        claims.delete(request.context);
        try {
          await claimed.abandon();
        } catch (err) {
          request.context.logger.error('webhook request claim could not be given up; its copies wait until it lapses', {
            error: err,
          });
        }
      },
    },
    async claim(context, signature) {
      const now = clock();
      const until = new Date(now.getTime() + context.getRemainingTimeInMillis() + CLAIM_MARGIN_MS);
      const result = await claimOnce(store, { signature, runId: context.runId, now, until });
      if (result.claimed) {
        claims.set(context, result);
        return undefined;
      }
      context.logger.info('webhook request is a copy; not reviewed again', { status: result.answer.statusCode });
      return result.answer;
    },
  };
}
