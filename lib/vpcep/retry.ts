/**
 * Retries of VPCEP calls: the classes of failure (throttling, transient, fatal) as tables, the
 * retry quota that refills on success, and the retry loop that uses both together with the
 * process's rate limiter and the run's deadline.
 *
 * The shape is the AWS SDK's standard retry strategy (its constants are imported from
 * @smithy/util-retry: a quota of 500, a retry costs 5, a timeout 10, a success refunds), but the
 * loop is written here rather than driven through smithy's StandardRetryStrategy, because this
 * API needs what that strategy does not do: throttled retries spend no quota and have no attempt
 * cap (a throttled request was not carried out, so it is always safe to repeat, and giving up on
 * one is the failure the issue is about); every wait is bounded by the run's deadline and cut
 * short by an interruption; the clock, the sleep and the randomness are injected so tests run
 * without real sleeps (smithy's strategy and rate limiter read Date.now and setTimeout).
 */
import {
  DEFAULT_RETRY_DELAY_BASE,
  INITIAL_RETRY_TOKENS,
  MAXIMUM_RETRY_DELAY,
  NO_RETRY_INCREMENT,
  RETRY_COST,
  THROTTLING_RETRY_DELAY_BASE,
  TIMEOUT_RETRY_COST,
} from '@smithy/util-retry';

import { backoffDelay, sleepUnlessAborted } from '../backoff';
import { VpcepFailure } from './errors';
import { GatewayLimit, parseGatewayLimit, RateLimiter } from './rate-limiter';

// ---------------------------------------------------------------------------------------------
// Classes of failure
// ---------------------------------------------------------------------------------------------

/**
 * Throttling answers (the request was refused before it was carried out): VPCEP's own limit
 * (7.2 EndPoint.0022, sent as HTTP 400) and the API gateway's (APIGW.0308, also spelled
 * APIG.0308, HTTP 429). Any HTTP 429 counts too.
 */
export const THROTTLING_ERROR_CODES: ReadonlySet<string> = new Set(['EndPoint.0022', 'APIGW.0308', 'APIG.0308']);
/** 7.2: system error, request timed out. With any 5xx, a retry of the same request may succeed. */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set(['EndPoint.0001', 'EndPoint.0013']);
/**
 * Network failures after which a retry can help. Not ENOTFOUND: a host name that does not exist
 * will not exist a second later (a typo in --endpoint or --region); EAI_AGAIN (the resolver
 * could not answer now) is transient.
 */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'TIMEOUT',
]);
/** Network failures that happen before any byte of the request reached the server. */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The client's own refusals of an answer, final whatever the status: a body over the byte bound. */
export const FINAL_ERROR_CODES: ReadonlySet<string> = new Set(['VPCEP_RESPONSE_TOO_LARGE']);

export type FailureClass = 'throttling' | 'transient' | 'fatal';

/** The class of a failure: throttling (wait and go again), transient (retry within the cap and the quota) or fatal. */
export function classifyFailure(failure: VpcepFailure): FailureClass {
  if (failure.errorCode !== undefined && FINAL_ERROR_CODES.has(failure.errorCode)) return 'fatal';
  if (failure.errorCode !== undefined && THROTTLING_ERROR_CODES.has(failure.errorCode)) return 'throttling';
  if (failure.status === 429) return 'throttling';
  if (failure.errorCode !== undefined && TRANSIENT_ERROR_CODES.has(failure.errorCode)) return 'transient';
  if (failure.network)
    return failure.errorCode === undefined || TRANSIENT_NETWORK_CODES.has(failure.errorCode) ? 'transient' : 'fatal';
  if (failure.status !== undefined && failure.status >= 500) return 'transient';
  return 'fatal';
}

/** True when a retry of the same request could succeed (throttled or transient). */
export function isTransient(failure: VpcepFailure): boolean {
  return classifyFailure(failure) !== 'fatal';
}

/** True when the failure proves the server did not carry the request out (throttled, or never connected). */
export function provesNotApplied(failure: VpcepFailure): boolean {
  if (classifyFailure(failure) === 'throttling') return true;
  return failure.network === true && failure.errorCode !== undefined && NOT_SENT_NETWORK_CODES.has(failure.errorCode);
}

/**
 * Whether a call may be repeated after `failure`. Reads (and mutations whose repetition has the
 * same effect as one call) may be retried on any throttled or transient failure; other
 * mutations (creates) only when the failure proves the first attempt was not applied, since a
 * retry after a reset or a 500 could create a second resource.
 */
export function shouldRetry(failure: VpcepFailure, operation: { idempotent: boolean }): boolean {
  if (!isTransient(failure)) return false;
  return operation.idempotent || provesNotApplied(failure);
}

// ---------------------------------------------------------------------------------------------
// The retry quota
// ---------------------------------------------------------------------------------------------

export interface RetryQuotaOptions {
  /** Capacity, full at the start (AWS SDK: 500). */
  capacity?: number;
  /** What a retry after a 5xx costs (5). */
  retryCost?: number;
  /** What a retry after a timeout or a reset costs (10). */
  timeoutCost?: number;
  /** What a call that succeeded without a retry gives back (1). */
  refund?: number;
}

/**
 * The AWS SDK's standard retry quota, shared by every call of a client: a retry of a transient
 * failure takes 5 (10 after a timeout or a reset); a call that succeeds gives back what its last
 * retry took, or 1 when it needed none; the quota never exceeds its capacity. In a healthy run
 * with scattered errors it stays near full; in an outage it empties after about 100 retries and
 * every further failure is final at once, so the client does not multiply the load. Throttled
 * retries take nothing (they are paced by the rate limiter instead).
 */
export class RetryQuota {
  readonly capacity: number;
  private readonly retryCost: number;
  private readonly timeoutCost: number;
  private readonly refund: number;
  private left: number;

  constructor(options: RetryQuotaOptions = {}) {
    this.capacity = options.capacity ?? INITIAL_RETRY_TOKENS;
    this.retryCost = options.retryCost ?? RETRY_COST;
    this.timeoutCost = options.timeoutCost ?? TIMEOUT_RETRY_COST;
    this.refund = options.refund ?? NO_RETRY_INCREMENT;
    this.left = this.capacity;
  }

  /** What is left. */
  get available(): number {
    return this.left;
  }

  /** Takes the cost of one retry after `failure`; returns it, or undefined (nothing taken) when too little is left. */
  take(failure: VpcepFailure): number | undefined {
    const cost = failure.network ? this.timeoutCost : this.retryCost;
    if (this.left < cost) return undefined;
    this.left -= cost;
    return cost;
  }

  /** Gives back a cost taken for a retry that was not made (the deadline came first). */
  giveBack(cost: number): void {
    this.left = Math.min(this.capacity, this.left + cost);
  }

  /** A call succeeded: gives back what its last retry took, or the refund when it needed none. */
  succeeded(lastRetryCost: number | undefined): void {
    this.left = Math.min(this.capacity, this.left + (lastRetryCost ?? this.refund));
  }
}

// ---------------------------------------------------------------------------------------------
// The retry loop
// ---------------------------------------------------------------------------------------------

export interface RetryOptions {
  /** Attempts per call that may fail transiently (5xx, resets, timeouts), the first included. Throttled attempts do not count. */
  maxAttempts: number;
  /** First backoff ceiling after a transient failure; doubles each retry. */
  baseDelayMs: number;
  /** First backoff ceiling after throttling (longer: the API asked us to slow down). */
  throttleBaseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** Longest Retry-After honoured; a longer one is cut to this. It never shortens the backoff (retryDelay). */
  maxRetryAfterMs: number;
  /** A call (or retry) starts only when at least this much is left before the deadline. */
  minCallMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  // Scattered errors (2% of calls) end a call after 8 attempts with odds of 2.6e-14; the quota
  // is what bounds the load in an outage.
  maxAttempts: 8,
  baseDelayMs: DEFAULT_RETRY_DELAY_BASE,
  throttleBaseDelayMs: THROTTLING_RETRY_DELAY_BASE,
  maxDelayMs: MAXIMUM_RETRY_DELAY,
  maxRetryAfterMs: MAXIMUM_RETRY_DELAY,
  minCallMs: 1000,
};

/**
 * One attempt's result: a value, or a failure with the server's Retry-After (ms) when it sent
 * one; `interrupted` when the run's interruption cut the attempt off in flight.
 */
export type AttemptOutcome<T> =
  { ok: true; value: T } | { ok: false; failure: VpcepFailure; retryAfterMs?: number; interrupted?: boolean };

/** Why a call ended without a value. */
export type RetryEnd =
  /** The failure cannot be helped by a retry. */
  | 'fatal'
  /** A create after an ambiguous failure: a retry could create a second resource. */
  | 'not-idempotent'
  /** maxAttempts transient failures. */
  | 'attempts'
  /** The retry quota is empty. */
  | 'quota'
  /** The next attempt could not finish before the run's deadline. */
  | 'deadline'
  /** The run was interrupted (the client's signal). */
  | 'interrupted';

export type RetryResult<T> =
  { ok: true; value: T; attempts: number } | { ok: false; end: RetryEnd; attempts: number; failure?: VpcepFailure };

export interface RetryContext {
  /** Whether repeating the call has the effect of one call (lib/vpcep/operations.ts). */
  idempotent: boolean;
  options: RetryOptions;
  quota: RetryQuota;
  limiter: RateLimiter;
  /** Milliseconds since the epoch. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Milliseconds since the epoch; no attempt starts that could not finish before it. */
  deadline?: number;
  /**
   * Once aborted, no attempt and no retry starts; attempts in flight run on, unless `attempt`
   * cuts one off (a read) and says so with `interrupted`.
   */
  signal?: AbortSignal;
  /** Called before each wait for a retry. */
  onRetry?: (retry: {
    attempt: number;
    delayMs: number;
    failure: VpcepFailure;
    kind: 'throttling' | 'transient';
  }) => void;
  /** Called for each throttled answer. */
  onThrottled?: () => void;
}

/**
 * Runs `attempt` until it succeeds or the call must end: throttled answers wait (a longer
 * backoff, lengthened by Retry-After up to its cap) and go again for as long as the run has
 * time; transient ones are retried up to maxAttempts while the quota lasts; fatal ones end the
 * call. Each attempt goes
 * through the rate limiter, and gets as its timeout what is left before the deadline when that
 * is shorter than `timeoutMs`. `attempt` must not throw.
 */
export async function callWithRetries<T>(
  attempt: (timeoutMs: number) => Promise<AttemptOutcome<T>>,
  timeoutMs: number,
  ctx: RetryContext,
): Promise<RetryResult<T>> {
  const { options, quota, limiter } = ctx;
  let attempts = 0;
  let transientFailures = 0;
  let throttledFailures = 0;
  let lastRetryCost: number | undefined;
  let last: VpcepFailure | undefined;
  const end = (why: RetryEnd): RetryResult<T> => ({ ok: false, end: why, attempts, ...(last && { failure: last }) });
  for (;;) {
    if (ctx.signal?.aborted) return end('interrupted');
    const permit = await limiter.acquire({ signal: ctx.signal, deadline: ctx.deadline, minTimeMs: options.minCallMs });
    if (!permit.ok) return end(permit.reason);
    const left = ctx.deadline === undefined ? Infinity : ctx.deadline - ctx.now();
    attempts++;
    const outcome = await attempt(Math.max(1, Math.min(timeoutMs, left)));
    if (outcome.ok) {
      permit.release('ok');
      quota.succeeded(lastRetryCost);
      return { ok: true, value: outcome.value, attempts };
    }
    last = outcome.failure;
    if (outcome.interrupted) {
      permit.release('failed');
      return end('interrupted');
    }
    const kind = classifyFailure(outcome.failure);
    if (kind === 'throttling') {
      ctx.onThrottled?.();
      permit.release('throttled', gatewayLimitOf(outcome.failure));
    } else {
      permit.release('failed');
    }
    if (kind === 'fatal') return end('fatal');
    if (!shouldRetry(outcome.failure, ctx)) return end('not-idempotent');

    let backoff: number;
    let cost: number | undefined;
    if (kind === 'throttling') {
      backoff = backoffDelay(
        throttledFailures,
        { baseDelayMs: options.throttleBaseDelayMs, maxDelayMs: options.maxDelayMs },
        ctx.random,
      );
      throttledFailures++;
    } else {
      transientFailures++;
      if (transientFailures >= options.maxAttempts) return end('attempts');
      cost = quota.take(outcome.failure);
      if (cost === undefined) return end('quota');
      backoff = backoffDelay(transientFailures - 1, options, ctx.random);
    }
    const delay = honoursRetryAfter(outcome.failure, kind)
      ? retryDelay(backoff, outcome.retryAfterMs, options.maxRetryAfterMs)
      : backoff;
    if (ctx.deadline !== undefined && ctx.now() + delay + options.minCallMs > ctx.deadline) {
      if (cost !== undefined) quota.giveBack(cost);
      return end('deadline');
    }
    if (cost !== undefined) lastRetryCost = cost;
    ctx.onRetry?.({ attempt: attempts, delayMs: delay, failure: outcome.failure, kind });
    if (await sleepUnlessAborted(ctx.sleep, delay, ctx.signal)) return end('interrupted');
  }
}

/** Retry-After is honoured on a throttling answer (429, EndPoint.0022) and on a 503 (RFC 9110 10.2.3). */
function honoursRetryAfter(failure: VpcepFailure, kind: FailureClass): boolean {
  return kind === 'throttling' || failure.status === 503;
}

/**
 * The wait before a retry: `max(backoff, min(Retry-After, cap))`, the rule of smithy's
 * StandardRetryStrategy (@smithy/core retry: `Math.max(delayFromErrorType,
 * Math.min(retryAfterHint - now, ...))`), with this client's cap (maxRetryAfterMs). Retry-After
 * only ever lengthens the wait: a zero, negative, past or unreadable value (undefined here) leaves
 * the backoff as it is, so a server that answers `Retry-After: 0` cannot make the client hammer it.
 */
export function retryDelay(backoffMs: number, retryAfterMs: number | undefined, maxRetryAfterMs: number): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return backoffMs;
  return Math.max(backoffMs, Math.min(retryAfterMs, maxRetryAfterMs));
}

/** The limit a throttling answer names (`limit:N,time:1 second|minute`), if any. */
function gatewayLimitOf(failure: VpcepFailure): GatewayLimit | undefined {
  return parseGatewayLimit(failure.errorMsg);
}
