import * as z from 'zod';

import { UsageError } from '../errors';
import { Clock } from '../time';
import type { OperationName } from '../vpcep/operations';
import { describeIssue } from '../zod-issues';
import { ROUTES } from './api';
import { gatewayError, SimulatorHttpError, vpcepError } from './errors';
import { mulberry32 } from './random';

/** The windows a gateway limit is counted over, as its throttling message names them. */
export const LIMIT_UNITS = ['second', 'minute'] as const;
export type LimitUnit = (typeof LIMIT_UNITS)[number];

/** A gateway limit: `requests` admitted in any sliding window of one `per`. */
export interface GatewayRate {
  requests: number;
  per: LimitUnit;
}

/** The operations a route limit may name: those the simulator serves under /v1/{project_id}. */
export const LIMITED_OPERATIONS: readonly OperationName[] = ROUTES.map((r) => r.operation);

const WINDOW_MS: Record<LimitUnit, number> = { second: 1000, minute: 60_000 };

/** Fault injection settings; every rate is a probability in [0, 1]. */
export interface FaultOptions {
  /** Seed of the pseudo-random sequence: the same seed and requests give the same faults. */
  seed?: number;
  /** Share of API requests answered 500 EndPoint.0001. */
  errorRate?: number;
  /** Share of API requests answered 400 EndPoint.0022 (throttled). */
  throttleRate?: number;
  /**
   * A limit all operations of a project share: requests admitted in any sliding window of its
   * unit; more get 429 APIGW.0308 naming the limit and its unit, as the API gateway's does.
   */
  rateLimit?: GatewayRate;
  /** The same as `rateLimit: { requests: N, per: 'second' }`; give one of the two. */
  rateLimitPerSecond?: number;
  /**
   * One API's own limit, by operation name (lib/vpcep/operations.ts), counted per project apart
   * from the other operations; a request must fit both its route's limit and the shared one.
   */
  routeLimits?: Partial<Record<OperationName, GatewayRate>>;
  /**
   * Refused requests count against the windows too (as field measurements saw on Huawei's
   * gateway), so a client that keeps knocking stays refused; off by default.
   */
  countRefused?: boolean;
  /** Seconds sent as Retry-After with a gateway limit's 429; none by default (the gateway documents none). */
  retryAfterSeconds?: number;
  /** Which requests injected errors and throttling hit: all (default) or only writes (POST, PUT, DELETE). */
  injectOn?: 'all' | 'write';
  /** Added to every API response, in milliseconds. */
  latencyMs?: number;
}

const rateSchema = z.strictObject({ requests: z.number().int().positive(), per: z.enum(LIMIT_UNITS) });

const faultSchema = z
  .strictObject({
    seed: z.number().int().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    throttleRate: z.number().min(0).max(1).optional(),
    rateLimit: rateSchema.optional(),
    rateLimitPerSecond: z.number().int().positive().optional(),
    routeLimits: z
      .partialRecord(z.enum(LIMITED_OPERATIONS as [OperationName, ...OperationName[]]), rateSchema)
      .optional(),
    countRefused: z.boolean().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    injectOn: z.enum(['all', 'write']).optional(),
    latencyMs: z.number().nonnegative().optional(),
  })
  .refine((f) => f.rateLimit === undefined || f.rateLimitPerSecond === undefined, {
    message: 'rateLimit and rateLimitPerSecond are the same limit: give one',
    path: ['rateLimitPerSecond'],
  });

/** One limit that applies to a request: where its window is kept, and the limit. */
interface AppliedLimit {
  key: string;
  rate: GatewayRate;
}

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
 * reads draw nothing and are never failed. Each gateway limit (the shared one, and a route's own)
 * keeps per project the arrival times of the requests it admitted in its last window (a second
 * or a minute of the injected clock, sliding); a request is admitted when every limit that
 * applies to it has room, and then counts in each. A refused request counts only with
 * `countRefused`.
 */
export class FaultInjector {
  private options: FaultOptions = {};
  private random: () => number = mulberry32(0);
  /** Arrival times (ms) of the requests counted in each limit's last window, oldest first. */
  private windows = new Map<string, number[]>();

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
    this.windows = new Map();
  }

  get current(): FaultOptions {
    return { ...this.options };
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /**
   * The fault for the next API request (`method`, to the route of `operation`) of `projectId`,
   * or undefined to serve it.
   */
  decide(projectId: string, method = 'GET', operation?: OperationName): FaultDecision | undefined {
    const limited = this.rateLimit(projectId, operation);
    if (limited) return limited;
    if (this.options.injectOn === 'write' && !WRITE_METHODS.has(method)) return undefined;
    const errorDraw = this.random();
    const throttleDraw = this.random();
    if (errorDraw < (this.options.errorRate ?? 0))
      return { kind: 'error', error: vpcepError('EndPoint.0001', 'injected fault') };
    if (throttleDraw < (this.options.throttleRate ?? 0))
      return { kind: 'throttle', error: vpcepError('EndPoint.0022', 'injected throttling') };
    return undefined;
  }

  /** The limits that apply to a request of `projectId` to `operation`: its route's first, then the shared one. */
  private limitsFor(projectId: string, operation: OperationName | undefined): AppliedLimit[] {
    const out: AppliedLimit[] = [];
    const route = operation === undefined ? undefined : this.options.routeLimits?.[operation];
    if (route) out.push({ key: `${projectId}\u0000${operation}`, rate: route });
    const { rateLimit, rateLimitPerSecond } = this.options;
    const shared =
      rateLimit ?? (rateLimitPerSecond === undefined ? undefined : { requests: rateLimitPerSecond, per: 'second' });
    if (shared) out.push({ key: projectId, rate: shared });
    return out;
  }

  /** The gateway's 429 when a limit has no room left in its window, else undefined (the request counted). */
  private rateLimit(projectId: string, operation: OperationName | undefined): FaultDecision | undefined {
    const limits = this.limitsFor(projectId, operation);
    if (limits.length === 0) return undefined;
    const now = this.clock().getTime();
    let full: GatewayRate | undefined;
    const windows = limits.map(({ key, rate }) => {
      const times = this.windows.get(key) ?? [];
      let expired = 0;
      while (expired < times.length && times[expired]! <= now - WINDOW_MS[rate.per]) expired++;
      if (expired > 0) times.splice(0, expired);
      this.windows.set(key, times);
      if (full === undefined && times.length >= rate.requests) full = rate;
      return times;
    });
    if (full === undefined || this.options.countRefused) for (const times of windows) times.push(now);
    if (full === undefined) return undefined;
    // The API gateway's own throttling answer, in its format; no Retry-After unless asked.
    const headers: Record<string, string> =
      this.options.retryAfterSeconds === undefined ? {} : { 'retry-after': String(this.options.retryAfterSeconds) };
    return {
      kind: 'rate-limit',
      error: gatewayError(
        429,
        'APIGW.0308',
        `The throttling threshold has been reached: policy user over ratelimit,limit:${full.requests},time:1 ${full.per}`,
        headers,
      ),
    };
  }
}
