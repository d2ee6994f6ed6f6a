import { SimulatorStore } from '../store';

/** What a route handler sees of a request. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
  now: Date;
  /** The account making the request: `X-Domain-Id`, else the project owner's domain. */
  callerDomain: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** True when the state changed. */
  mutated: boolean;
}

export interface ApiSettings {
  /** Milliseconds a new service stays `creating` (4.2.1 is asynchronous). */
  creatingDelayMs: number;
  /** The most whitelist records one service may hold (EndPoint.3049). */
  maxWhitelistRecords: number;
}

/**
 * A route's handler: the request in, the answer out, the store changed in place. Each is named
 * after the operation it serves in lib/vpcep/operations.ts (`acceptOrReject` answers 4.2.7).
 */
export type Handler = (store: SimulatorStore, req: ApiRequest, settings: ApiSettings) => ApiResponse;

/** A 200 answer; `mutated` says whether the state changed. */
export const ok = (body: unknown, mutated = false): ApiResponse => ({ status: 200, body, mutated });
