import * as z from 'zod';

import { UsageError } from '../errors';
import { Clock } from '../time';
import { describeIssue } from '../zod-issues';
import { gatewayError, SimulatorHttpError, vpcepError } from './errors';
import { mulberry32 } from './random';

/** Fault injection settings; every rate is a probability in [0, 1]. */
export interface FaultOptions {
  /** Seed of the pseudo-random sequence: the same seed and requests give the same faults. */
  seed?: number;
  /** Share of API requests answered 500 EndPoint.0001. */
  errorRate?: number;
  /** Share of API requests answered 400 EndPoint.0022 (throttled). */
  throttleRate?: number;
  /**
   * Requests admitted per project in any sliding second (refused ones do not count), as the API
   * gateway's message describes its limit; more get 429 APIGW.0308.
   */
  rateLimitPerSecond?: number;
  /** Seconds sent as Retry-After with the rate limit's 429; none by default (the gateway documents none). */
  retryAfterSeconds?: number;
  /** Which requests injected errors and throttling hit: all (default) or only writes (POST, PUT, DELETE). */
  injectOn?: 'all' | 'write';
  /** Added to every API response, in milliseconds. */
  latencyMs?: number;
}

const faultSchema = z.strictObject({
  seed: z.number().int().optional(),
  errorRate: z.number().min(0).max(1).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  rateLimitPerSecond: z.number().int().positive().optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  injectOn: z.enum(['all', 'write']).optional(),
  latencyMs: z.number().nonnegative().optional(),
});

/** What injection decided for one request. */
export interface FaultDecision {
  kind: 'error' | 'throttle' | 'rate-limit';
  error: SimulatorHttpError;
}

/** Methods that change something: with `injectOn: 'write'` only these get injected faults. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE']);

/**
 * Decides, request by request, whether to fail it. Each API request that reaches injection
 * draws exactly two numbers from the seeded sequence (one for errors, one for throttling), so
 * the n-th request fails the same way on every run with the same seed; with `injectOn: 'write'`
 * reads draw nothing and are never failed. The rate limit admits at most N requests per project
 * in any sliding second of the injected clock; a refused request is not counted.
 */
export class FaultInjector {
  private options: FaultOptions = {};
  private random: () => number = mulberry32(0);
  /** Arrival times (ms) of the requests admitted in the last second, per project, oldest first. */
  private admitted = new Map<string, number[]>();

  constructor(
    options: FaultOptions | undefined,
    private readonly clock: Clock,
  ) {
    this.set(options ?? {});
  }

  /** Replaces the settings and restarts the seeded sequence. */
  set(options: FaultOptions): void {
    const parsed = faultSchema.safeParse(options);
    if (!parsed.success) {
      throw new UsageError(`invalid simulator faults: ${describeIssue(parsed.error.issues[0]!)}`, 'SIMULATOR_FAULTS');
    }
    this.options = parsed.data;
    this.random = mulberry32(parsed.data.seed ?? 0);
    this.admitted = new Map();
  }

  get current(): FaultOptions {
    return { ...this.options };
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** The fault for the next API request (`method`) of `projectId`, or undefined to serve it. */
  decide(projectId: string, method = 'GET'): FaultDecision | undefined {
    const limit = this.options.rateLimitPerSecond;
    if (limit !== undefined) {
      const now = this.clock().getTime();
      const times = this.admitted.get(projectId) ?? [];
      let expired = 0;
      while (expired < times.length && times[expired]! <= now - 1000) expired++;
      if (expired > 0) times.splice(0, expired);
      if (times.length >= limit) {
        // The API gateway's own throttling answer, in its format; no Retry-After unless asked.
        const headers: Record<string, string> =
          this.options.retryAfterSeconds === undefined ? {} : { 'retry-after': String(this.options.retryAfterSeconds) };
        return {
          kind: 'rate-limit',
          error: gatewayError(
            429,
            'APIGW.0308',
            `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`,
            headers,
          ),
        };
      }
      times.push(now);
      this.admitted.set(projectId, times);
    }
    if (this.options.injectOn === 'write' && !WRITE_METHODS.has(method)) return undefined;
    const errorDraw = this.random();
    const throttleDraw = this.random();
    if (errorDraw < (this.options.errorRate ?? 0))
      return { kind: 'error', error: vpcepError('EndPoint.0001', 'injected fault') };
    if (throttleDraw < (this.options.throttleRate ?? 0))
      return { kind: 'throttle', error: vpcepError('EndPoint.0022', 'injected throttling') };
    return undefined;
  }
}
