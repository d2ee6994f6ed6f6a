/**
 * Retry policy for VPCEP calls, as pure functions over data (after smithy's
 * service-error-classification): which failures are transient, whether a given operation may be
 * repeated after one, and how long to wait (exponential backoff with full jitter).
 */
import { VpcepFailure } from './errors';

export interface RetryOptions {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** First backoff ceiling; doubles each retry. */
  baseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** Retries allowed over the client's whole life (all calls together), so an outage cannot multiply load. */
  budget: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, budget: 100 };

/** 7.2: transient error codes: system error, rate limit (sent as HTTP 400), the gateway's throttling, request timed out. */
const TRANSIENT_ERROR_CODES = new Set(['EndPoint.0001', 'EndPoint.0022', 'EndPoint.0013', 'APIGW.0308']);
/** Codes that prove the request was refused before it was carried out (throttling). */
const NOT_APPLIED_ERROR_CODES = new Set(['EndPoint.0022', 'APIGW.0308']);
/**
 * Network failures after which a retry can help. Not ENOTFOUND: a host name that does not exist
 * will not exist a second later (a typo in --endpoint or --region); EAI_AGAIN (the resolver
 * could not answer now) is transient.
 */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'TIMEOUT']);
/** Network failures that happen before any byte of the request reached the server. */
const NOT_SENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True when a retry of the same request could succeed: 5xx, 429, transient 7.2 codes, resets and timeouts. */
export function isTransient(failure: VpcepFailure): boolean {
  if (failure.errorCode !== undefined && TRANSIENT_ERROR_CODES.has(failure.errorCode)) return true;
  if (failure.network) return failure.errorCode === undefined || TRANSIENT_NETWORK_CODES.has(failure.errorCode);
  if (failure.status !== undefined) return failure.status >= 500 || failure.status === 429;
  return false;
}

/** True when the failure proves the server did not carry the request out (throttled, or never connected). */
export function provesNotApplied(failure: VpcepFailure): boolean {
  if (failure.errorCode !== undefined && NOT_APPLIED_ERROR_CODES.has(failure.errorCode)) return true;
  if (failure.status === 429) return true;
  return failure.network === true && failure.errorCode !== undefined && NOT_SENT_NETWORK_CODES.has(failure.errorCode);
}

/**
 * Whether a call may be repeated after `failure`. Reads (and mutations whose repetition has the
 * same effect as one call) may be retried on any transient failure; other mutations (creates)
 * only when the failure proves the first attempt was not applied, since a retry after a reset or
 * a 500 could create a second resource.
 */
export function shouldRetry(failure: VpcepFailure, operation: { idempotent: boolean }): boolean {
  if (!isTransient(failure)) return false;
  return operation.idempotent || provesNotApplied(failure);
}

/** Full-jitter backoff: a random delay in [0, min(maxDelay, base * 2^retry)). `retry` counts from 0. */
export function backoffDelay(retry: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}
