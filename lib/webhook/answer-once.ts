import { WebhookAnswer, WebhookRequestStore } from './request-store';
import { MAX_SKEW_SECONDS } from './verify';

/**
 * How long a completed request is remembered: a timestamp is accepted from 300 s before to
 * 300 s after it (CONTRACT 4), so a copy can arrive up to 600 s after the first one; 60 s more
 * cover clocks of different containers that disagree. 660 s in all.
 */
export const WEBHOOK_RECORD_KEEP_MS = (2 * MAX_SKEW_SECONDS + 60) * 1000;

/**
 * The largest answer kept for later copies. DynamoDB items are at most 400 KB; a larger answer
 * (a service with thousands of actions) is not kept, and its copies get 401 (replayed) instead.
 */
export const MAX_KEPT_ANSWER_BYTES = 256 * 1024;

/** An answer given instead of a review, with its headers (Retry-After on 409). */
export interface OnceAnswer extends WebhookAnswer {
  headers: Record<string, string>;
}

/** The outcome of claiming a request: review it (and then finish or abandon), or answer this. */
export type OnceClaim =
  | {
      claimed: true;
      /**
       * Records the answer for every later copy; false when the claim had lapsed meanwhile. A 409
       * (the service's lease was held: nothing was done) is not an answer to keep: the claim is
       * given up instead, so the same request retried after its Retry-After is reviewed.
       */
      finish(answer: WebhookAnswer, now: Date): Promise<boolean>;
      /** Gives the claim up (the review failed without an answer), so a copy may try again. */
      abandon(): Promise<void>;
    }
  | { claimed: false; answer: OnceAnswer };

const jsonAnswer = (statusCode: number, body: unknown, headers: Record<string, string> = {}): OnceAnswer => ({
  statusCode,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/**
 * Claims a verified request (by its signature) for the run `runId` until `until` (the end of
 * the invocation) and says what to do (CONTRACT 4): review it; or, for a copy, answer 409
 * `{"error": "in_progress"}` with Retry-After while the first copy is being reviewed, the first
 * answer once it has been, or 401 (replayed) when that answer was too large to keep.
 */
export async function claimOnce(
  store: WebhookRequestStore,
  request: { signature: string; runId: string; now: Date; until: Date },
): Promise<OnceClaim> {
  const { signature, runId } = request;
  const found = await store.claim(signature, runId, request.until);
  switch (found.state) {
    case 'claimed':
      return {
        claimed: true,
        finish: async (answer, now) => {
          if (answer.statusCode === 409) {
            await store.abandon(signature, runId);
            return true;
          }
          const kept =
            Buffer.byteLength(answer.body, 'utf8') <= MAX_KEPT_ANSWER_BYTES
              ? { statusCode: answer.statusCode, body: answer.body }
              : undefined;
          return store.complete(signature, runId, kept, new Date(now.getTime() + WEBHOOK_RECORD_KEEP_MS));
        },
        abandon: () => store.abandon(signature, runId),
      };
    case 'in_progress': {
      const seconds = Math.max(1, Math.ceil((found.until.getTime() - request.now.getTime()) / 1000));
      return {
        claimed: false,
        answer: jsonAnswer(
          409,
          {
            error: 'in_progress',
            message: `a copy of this request is being reviewed by run ${found.holder}; retry after ${seconds} s for its answer`,
          },
          { 'retry-after': String(seconds) },
        ),
      };
    }
    case 'completed':
      if (found.answer)
        return { claimed: false, answer: { ...found.answer, headers: { 'content-type': 'application/json' } } };
      return {
        claimed: false,
        answer: jsonAnswer(401, {
          error: 'unauthorized',
          message: `this signature was already used (replayed request, reviewed by run ${found.holder}); sign again with a new timestamp`,
        }),
      };
  }
}
