import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

import { AppContext } from './context';

/** An HTTP API answer as the handlers build it: always a status and a body. */
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** A JSON answer with `statusCode`. */
export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Turns an unexpected error (an invalid policy, missing secrets, an API failure) into a 500
 * JSON answer naming the run id; details stay in the logs, so nothing internal (or secret)
 * reaches the caller. Use it after loggingMiddleware: middy runs the onError handlers in the
 * reverse order of `.use()`, so this one answers first, and since it sets the response without
 * returning it, middy goes on to loggingMiddleware's onError, which still sees `request.error`
 * and logs it.
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
