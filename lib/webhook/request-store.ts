import { createHash } from 'node:crypto';

import { Clock, systemClock } from '../time';

/**
 * Webhook requests idempotent on their signature across containers (CONTRACT section 4): the
 * first copy of a signed request to arrive claims it and is reviewed; every later copy gets
 * 409 while that review runs and the first answer once it is done, never a second review.
 *
 * The store is the one mechanism, with two homes: the lease table when VPCEP_LEASE_TABLE names one
 * (lib/webhook/dynamodb-request-store.ts), else this process's memory
 * (createMemoryWebhookRequestStore). A claim is a lease on the signature: it expires soon after
 * the claiming invocation's own deadline, so a review that crashed (a killed container) does not
 * block its copies for longer than that.
 */

/** An HTTP answer as it is given again to a copy of the request. */
export interface WebhookAnswer {
  statusCode: number;
  /** The JSON body, as sent. */
  body: string;
}

/** What claim() found. */
export type WebhookClaim =
  /** This caller claimed the request: review it, then complete() or abandon(). */
  | { state: 'claimed' }
  /** Another invocation (`holder`, its run id) is reviewing it; its claim lapses at `until`. */
  | { state: 'in_progress'; holder: string; until: Date }
  /** Already reviewed by `holder`; `answer` is its answer, absent when it was too large to keep. */
  | { state: 'completed'; holder: string; answer?: WebhookAnswer };

export interface WebhookRequestStore {
  /**
   * Claims the request signed `signature` for `holder` until `until`, unless a live record of
   * it exists (an unexpired claim, or a completed request still inside its keeping time).
   */
  claim(signature: string, holder: string, until: Date): Promise<WebhookClaim>;
  /**
   * Turns `holder`'s claim into a completed record with the answer for later copies (or none,
   * when it is too large to keep), kept until `keepUntil`. False when the claim was no longer
   * `holder`'s (it lapsed and another copy claimed it).
   */
  complete(signature: string, holder: string, answer: WebhookAnswer | undefined, keepUntil: Date): Promise<boolean>;
  /** Drops `holder`'s unfinished claim (the review failed without an answer), so a copy may retry. */
  abandon(signature: string, holder: string): Promise<void>;
}

/**
 * The record's key in the lease table: `webhook#` and the SHA-256 of the signature (lower-cased:
 * `sha256=AB..` and `sha256=ab..` are the same signature). `#` cannot occur in a lease key
 * (`<project_id>/<service_id>`, project ids are letters, digits, `-` and `_`), so the two kinds
 * of item never collide; the table never holds a signature itself.
 */
export function webhookRecordKey(signature: string): string {
  return `webhook#${createHash('sha256').update(signature.trim().toLowerCase(), 'utf8').digest('hex')}`;
}

/** Bounds of the memory store: past either, the oldest records are forgotten first. */
export interface MemoryWebhookRequestStoreOptions {
  clock?: Clock;
  /** Most requests remembered. Default 1,000. */
  maxEntries?: number;
  /** Most bytes of kept answers, all records together. Default 32 MiB. */
  maxAnswerBytes?: number;
}

/**
 * A WebhookRequestStore in this process's memory, with the same rules as the shared store: what
 * the review function uses without a lease table (one container, or `serverless offline`), so
 * copies get 409 or the first answer there too, but only from the container that saw the first.
 * Memory stays bounded (see MemoryWebhookRequestStoreOptions); a record forgotten early lets a
 * late copy be reviewed again, which changes nothing the first review did not already decide.
 */
export function createMemoryWebhookRequestStore(options: MemoryWebhookRequestStoreOptions = {}): WebhookRequestStore {
  const clock = options.clock ?? systemClock;
  const maxEntries = positiveInteger(options.maxEntries ?? 1_000, 'maxEntries');
  const maxAnswerBytes = positiveInteger(options.maxAnswerBytes ?? 32 * 1024 * 1024, 'maxAnswerBytes');
  type Entry = { holder: string; expiresAt: number; completed: boolean; answer?: WebhookAnswer; bytes: number };
  // Insertion order = arrival order, so the first keys are the oldest.
  const records = new Map<string, Entry>();
  let answerBytes = 0;
  const drop = (key: string) => {
    answerBytes -= records.get(key)?.bytes ?? 0;
    records.delete(key);
  };
  const prune = (now: number) => {
    for (const [key, entry] of records) if (entry.expiresAt < now) drop(key);
    for (const key of records.keys()) {
      if (records.size <= maxEntries && answerBytes <= maxAnswerBytes) break;
      drop(key);
    }
  };
  return {
    async claim(signature, holder, until) {
      const key = webhookRecordKey(signature);
      prune(clock().getTime());
      const found = records.get(key);
      if (found) {
        return found.completed
          ? { state: 'completed', holder: found.holder, ...(found.answer && { answer: found.answer }) }
          : { state: 'in_progress', holder: found.holder, until: new Date(found.expiresAt) };
      }
      records.set(key, { holder, expiresAt: until.getTime(), completed: false, bytes: 0 });
      prune(clock().getTime());
      return { state: 'claimed' };
    },
    async complete(signature, holder, answer, keepUntil) {
      const found = records.get(webhookRecordKey(signature));
      if (found?.holder !== holder) return false;
      const bytes = answer ? Buffer.byteLength(answer.body, 'utf8') : 0;
      answerBytes += bytes;
      Object.assign(found, { completed: true, expiresAt: keepUntil.getTime(), bytes, ...(answer && { answer }) });
      prune(clock().getTime());
      return true;
    },
    async abandon(signature, holder) {
      const key = webhookRecordKey(signature);
      const found = records.get(key);
      if (found?.holder === holder && !found.completed) drop(key);
    },
  };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`memory webhook request store: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}
