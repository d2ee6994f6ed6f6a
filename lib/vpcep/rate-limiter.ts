/**
 * The client side of the API's rate limits, shared by every call in the process (all services of
 * a run, reads and writes alike). It stays out of the way until the API first throttles, then:
 *
 * - When the throttling answer names its limit (the API gateway's APIGW.0308 "policy user over
 *   ratelimit,limit:N,time:1 second|minute"), it paces requests just under that limit: at most
 *   95% of N starts in any sliding window of that length, evenly spaced. A probing limiter alone
 *   cannot do this: at 8 calls in flight and 10 ms a call the client offers ~700 requests a
 *   second, and the first 50 fill the gateway's second in ~70 ms.
 * - When it names none (VPCEP's EndPoint.0022, a bare 429), it adapts with AIMD on the number
 *   of calls in flight: a throttle halves the window (once per round: only answers to requests
 *   sent after the last cut count), each success grows it by 1/window (one call per window of
 *   successes), and once it is wide again it steps out of the way. AIMD on calls in flight rather
 *   than CUBIC on a rate (the AWS SDK's adaptive mode) because VPCEP's own limit is unknown and
 *   fixed, not a bandwidth that moves: a window of calls self-clocks on the API's latency, and
 *   its floor of one call in flight still makes progress under throttling that is random (as in
 *   the fault drills), where a rate floor would have to be guessed and CUBIC's recovery would
 *   probe the same wall again and again.
 * - `maxRate` (--max-rate, VPCEP_MAX_RATE) caps requests per second for users who know their
 *   limit, from the first request.
 *
 * Time comes from the injected clock and waits from the injected sleep, so tests are exact.
 */
import { sleepUnlessAborted } from '../backoff';

/** A limit of `requests` per `windowMs`, as the gateway names it. */
export interface GatewayLimit {
  requests: number;
  windowMs: number;
}

const UNITS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

/** The limit in a gateway throttling message (`limit:50,time:1 second`), or undefined. */
export function parseGatewayLimit(message: string | undefined): GatewayLimit | undefined {
  const m = /limit\s*:\s*(\d+)\s*,\s*time\s*:\s*(\d+)?\s*(second|minute|hour)s?/i.exec(message ?? '');
  if (!m) return undefined;
  const requests = Number(m[1]);
  const windowMs = Number(m[2] ?? 1) * UNITS[m[3]!.toLowerCase()]!;
  return requests > 0 && windowMs > 0 ? { requests, windowMs } : undefined;
}

export interface RateLimiterOptions {
  /** Milliseconds since the epoch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Requests per second never to exceed (--max-rate). */
  maxRate?: number;
  /** Share of a named limit to pace at (default 0.95). */
  margin?: number;
}

/** Leave to send one request, or why not. */
export type Acquired =
  | { ok: true; sentAt: number; release(result: 'ok' | 'throttled' | 'failed', limit?: GatewayLimit): void }
  | { ok: false; reason: 'deadline' | 'interrupted' };

export interface RateLimiterState {
  /** The limit learnt from the gateway, if any. */
  learnt?: GatewayLimit;
  /** Calls in flight allowed by AIMD (Infinity: out of the way). */
  window: number;
  inFlight: number;
  maxRate?: number;
}

/** Above this many calls in flight the AIMD window steps out of the way again. */
const OPEN_WINDOW = 64;

/** Paces requests under what the API admits; see the file comment. One instance per process. */
export class RateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly margin: number;
  private maxRate: number | undefined;
  private learnt: GatewayLimit | undefined;
  /** Start times of recent requests (including reserved future slots), ascending. */
  private starts: number[] = [];
  private lastStart = -Infinity;
  private window = Infinity;
  private inFlight = 0;
  private lastCut = -Infinity;
  private waiters: (() => void)[] = [];

  constructor(options: RateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.margin = options.margin ?? 0.95;
    this.setMaxRate(options.maxRate);
  }

  /** Sets (or with undefined, lifts) the cap of requests per second. */
  setMaxRate(maxRate: number | undefined): void {
    if (maxRate !== undefined && !(maxRate > 0)) throw new RangeError(`max rate must be above 0 (got ${maxRate})`);
    this.maxRate = maxRate;
  }

  state(): RateLimiterState {
    return {
      ...(this.learnt && { learnt: { ...this.learnt } }),
      window: this.window,
      inFlight: this.inFlight,
      ...(this.maxRate !== undefined && { maxRate: this.maxRate }),
    };
  }

  /**
   * Waits for leave to send one request: a free place in the AIMD window, then the next start
   * the limits allow. Refuses (without waiting) when that start is later than the deadline less
   * `minTimeMs`, and gives up when `signal` aborts. The caller must release what it acquired.
   */
  async acquire(options: { signal?: AbortSignal; deadline?: number; minTimeMs?: number } = {}): Promise<Acquired> {
    const { signal } = options;
    while (this.inFlight >= this.window) {
      if (signal?.aborted) return { ok: false, reason: 'interrupted' };
      await this.nextRelease(signal);
    }
    if (signal?.aborted) return { ok: false, reason: 'interrupted' };
    const now = this.now();
    const start = this.nextStart(now);
    if (options.deadline !== undefined && start + (options.minTimeMs ?? 0) > options.deadline)
      return { ok: false, reason: 'deadline' };
    this.starts.push(start);
    this.lastStart = start;
    this.inFlight++;
    let released = false;
    const release = (result: 'ok' | 'throttled' | 'failed', limit?: GatewayLimit) => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.record(result, start, limit);
      this.wake();
    };
    if (start > now && (await sleepUnlessAborted(this.sleep, start - now, signal))) {
      release('failed');
      return { ok: false, reason: 'interrupted' };
    }
    return { ok: true, sentAt: start, release };
  }

  /** The limits in force: each allows `requests` starts in any `windowMs`. */
  private limits(): GatewayLimit[] {
    const out: GatewayLimit[] = [];
    if (this.maxRate !== undefined) out.push({ requests: this.maxRate, windowMs: 1000 });
    if (this.learnt) out.push({ requests: this.learnt.requests * this.margin, windowMs: this.learnt.windowMs });
    return out;
  }

  /** The earliest start at or after `now` that keeps every limit, with starts evenly spaced. */
  private nextStart(now: number): number {
    const limits = this.limits();
    if (limits.length === 0) return now;
    const horizon = Math.max(...limits.map((l) => l.windowMs));
    let drop = 0;
    while (drop < this.starts.length && this.starts[drop]! <= now - horizon) drop++;
    if (drop > 0) this.starts.splice(0, drop);
    let start = now;
    for (const limit of limits) {
      const cap = Math.max(1, Math.floor(limit.requests));
      // Less than one request a window (--max-rate 0.5) is one request a longer window.
      const windowMs = limit.requests < 1 ? limit.windowMs / limit.requests : limit.windowMs;
      // Evenly spaced, so that no part of a window takes the whole of it.
      start = Math.max(start, this.lastStart + windowMs / cap);
      // And at most `cap` starts in any window: the cap-th start back must have left it.
      const n = this.starts.length;
      if (n >= cap) start = Math.max(start, this.starts[n - cap]! + windowMs);
    }
    return start;
  }

  private record(result: 'ok' | 'throttled' | 'failed', sentAt: number, limit: GatewayLimit | undefined): void {
    if (result === 'ok') {
      if (Number.isFinite(this.window)) {
        this.window += 1 / this.window;
        if (this.window > OPEN_WINDOW) this.window = Infinity;
      }
      return;
    }
    if (result !== 'throttled') return;
    const now = this.now();
    if (limit && (this.learnt?.requests !== limit.requests || this.learnt.windowMs !== limit.windowMs)) {
      // The gateway named its limit: pace under it from now on. Answers to requests sent
      // before this point say nothing new.
      this.learnt = limit;
      this.lastCut = now;
      return;
    }
    // One cut per round: throttles of requests sent before the last cut are its echo.
    if (sentAt <= this.lastCut) return;
    const current = Number.isFinite(this.window) ? this.window : this.inFlight + 1;
    this.window = Math.max(1, Math.floor(current / 2));
    this.lastCut = now;
  }

  private nextRelease(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
