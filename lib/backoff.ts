/**
 * The one backoff of the program: exponential with full jitter (a random wait below a ceiling
 * that doubles each retry, capped), as the AWS SDK's standard retry strategy waits. The VPCEP
 * client and the SQS audit sink both wait with it, so a change of shape happens in one place.
 * It knows nothing of who retries what.
 */

export interface BackoffOptions {
  /** Ceiling of the first retry's wait; doubles each retry. */
  baseDelayMs: number;
  /** Largest ceiling. */
  maxDelayMs: number;
}

/**
 * Full-jitter backoff: a random whole number of milliseconds in [0, min(maxDelay, base * 2^retry)).
 * `retry` counts from 0 (the wait before the first retry); `random` returns [0, 1).
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/**
 * Waits `ms` with the injected `sleep`, cut short when `signal` aborts. Returns true when the
 * signal aborted (before or during the wait), so the caller starts nothing new.
 */
export async function sleepUnlessAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (signal?.aborted) return true;
  if (signal === undefined) {
    await sleep(ms);
    return false;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
  return signal.aborted;
}
