import { z } from 'zod';
import { UsageError } from '../errors';
import { SimulatorHttpError, gatewayError, vpcepError } from './errors';
import { mulberry32 } from './random';

/** Fault injection settings; every rate is a probability in [0, 1]. */
export interface FaultOptions {
  /** Seed of the pseudo-random sequence: the same seed and requests give the same faults. */
  seed?: number;
  /** Share of API requests answered 500 EndPoint.0001. */
  errorRate?: number;
  /** Share of API requests answered 400 EndPoint.0022 (throttled). */
  throttleRate?: number;
  /** Requests per second allowed per project; more get 429 APIGW.0308. */
  rateLimitPerSecond?: number;
  /** Added to every API response, in milliseconds. */
  latencyMs?: number;
}

const faultSchema = z.strictObject({
  seed: z.number().int().optional(),
  errorRate: z.number().min(0).max(1).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  rateLimitPerSecond: z.number().int().positive().optional(),
  latencyMs: z.number().nonnegative().optional(),
});

/** What injection decided for one request. */
export interface FaultDecision {
  kind: 'error' | 'throttle' | 'rate-limit';
  error: SimulatorHttpError;
}

/**
 * Decides, request by request, whether to fail it. Each API request that reaches injection
 * draws exactly two numbers from the seeded sequence (one for errors, one for throttling), so
 * the n-th request fails the same way on every run with the same seed. The rate limit counts
 * requests per project in one-second windows of the injected clock.
 */
export class FaultInjector {
  private options: FaultOptions = {};
  private random: () => number = mulberry32(0);
  private window = { second: -1, counts: new Map<string, number>() };

  constructor(
    options: FaultOptions | undefined,
    private readonly clock: () => Date,
  ) {
    this.set(options ?? {});
  }

  /** Replaces the settings and restarts the seeded sequence. */
  set(options: FaultOptions): void {
    const parsed = faultSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`invalid simulator faults: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'SIMULATOR_FAULTS');
    }
    this.options = parsed.data;
    this.random = mulberry32(parsed.data.seed ?? 0);
  }

  get current(): FaultOptions {
    return { ...this.options };
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** The fault for the next API request of `projectId`, or undefined to serve it. */
  decide(projectId: string): FaultDecision | undefined {
    const limit = this.options.rateLimitPerSecond;
    if (limit !== undefined) {
      const second = Math.floor(this.clock().getTime() / 1000);
      if (second !== this.window.second) this.window = { second, counts: new Map() };
      const used = (this.window.counts.get(projectId) ?? 0) + 1;
      this.window.counts.set(projectId, used);
      if (used > limit) {
        // The API gateway's own throttling answer, in its format.
        return {
          kind: 'rate-limit',
          error: gatewayError(429, 'APIGW.0308', `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`, {
            'retry-after': '1',
          }),
        };
      }
    }
    const errorDraw = this.random();
    const throttleDraw = this.random();
    if (errorDraw < (this.options.errorRate ?? 0)) return { kind: 'error', error: vpcepError('EndPoint.0001', 'injected fault') };
    if (throttleDraw < (this.options.throttleRate ?? 0)) return { kind: 'throttle', error: vpcepError('EndPoint.0022', 'injected throttling') };
    return undefined;
  }
}
