/**
 * The engine's types and ports: what it needs of the world (the VPCEP API, the audit trail, the
 * clock, the logs, the lease store) and the shapes a review passes between its survey and its
 * acting. Types only: the real client, the simulator or a fake plug in here.
 */
import { LimitFunction } from 'p-limit';

import { Auditor } from '../audit/auditor';
import { LeaseStore } from '../lease/lease';
import { Logger } from '../logger';
import {
  Action,
  ActionError,
  ActionResult,
  Connection,
  EndpointService,
  RunContext,
  UnfinishedReason,
  WhitelistRecord,
} from '../model';
import { ServiceRule } from '../policy/evaluate';
import { Drift, LeftPending, Scope } from '../policy/plan';
import { Clock } from '../time';

/**
 * What the engine needs of the VPCEP API: a narrow view of the client (lib/vpcep), so the engine
 * can be driven by the real client, the simulator or a fake. The API's quirks stay behind it:
 * how a whitelist batch is split when the API refuses it, and what its errors say as an
 * action's error (the engine looks into no error).
 */
export interface EngineClient {
  /** 4.2.5; `{ id }` reads one service (needs only vpcep:epservices:list, unlike 4.2.2). */
  listServices(query?: { id?: string }): AsyncIterable<EndpointService>;
  listConnections(serviceId: string, query?: { status?: string; id?: string }): AsyncIterable<Connection>;
  listWhitelist(serviceId: string): AsyncIterable<WhitelistRecord>;
  /** 4.2.7: the connections the answer lists (honestly, that endpoint in its new status). */
  acceptOrReject(
    serviceId: string,
    endpointId: string,
    action: 'receive' | 'reject',
  ): Promise<readonly Pick<Connection, 'id' | 'status'>[]>;
  /**
   * 4.2.9 for records the API may refuse in part, split as it requires: never rejects for a
   * refusal, it resolves with the error of each permission not carried out (none: all were). No
   * new call starts once `signal` is aborted.
   */
  updateWhitelistRecords(
    serviceId: string,
    action: 'add' | 'remove',
    permissions: readonly string[],
    options?: { signal?: AbortSignal },
  ): Promise<ReadonlyMap<string, ActionError>>;
  updateService(serviceId: string, body: { approval_enabled: boolean }): Promise<unknown>;
  /** The newer connection-description API (not in every region): one call for a service's connections. */
  updateConnectionDescriptions(
    serviceId: string,
    connections: readonly { id: string; description: string }[],
  ): Promise<unknown>;
  /** What an error this client threw (or any other the engine caught) says, as an action's error. */
  describeError(err: unknown): ActionError;
}

/** What a run needs: the API, the audit trail, the clock and the logs; the lease store when reviews may overlap. */
export interface EngineDeps {
  client: EngineClient;
  auditor: Auditor;
  clock: Clock;
  logger: Logger;
  /** One review per service at a time across processes (CONTRACT section 1, "Leases"); unset: unleased. */
  lease?: LeaseStore;
  /** VPCEP_ANNOTATE: a run that acts also writes its accepts and rejects as the connections' descriptions (annotate.ts). */
  annotate?: boolean;
}

export interface ReviewDeps extends EngineDeps {
  /** Bounds the API calls in flight across every service of a run. */
  limit: LimitFunction;
  /** The run's annotation (annotate.ts), when it writes descriptions: never in dry run. */
  annotator?: Annotator;
}

/** A run's annotation (annotate.ts, VPCEP_ANNOTATE): whether the region offers the API, learnt from its first call. */
export interface Annotator {
  /** Writes the service's accepts and rejects in `results` as descriptions (`read`: the connections as last read); never rejects. */
  annotate(
    deps: ReviewDeps,
    serviceId: string,
    results: readonly ActionResult[],
    read: readonly Connection[],
  ): Promise<void>;
}

export interface ReviewOptions {
  /** The run: its id, project, trigger, dry run and policy hash, as every audit event carries them. */
  run: RunContext;
  scope: Scope;
  /** Webhook reviews: act on this connection only (no whitelist or service action). */
  endpointId?: string;
  /** No service or action starts at or after this time (Lambda: now + remaining time - a margin). */
  deadline?: Date;
  /** Aborted on SIGINT/SIGTERM: no new service or action starts; the calls in flight are recorded. */
  signal?: AbortSignal;
  /**
   * Renew held leases every 20 s, each time for 60 s (capped at the deadline plus 30 s), so a
   * holder that dies blocks its services for a minute at most (the CLI). Without it (Lambda,
   * whose deadline is near) a lease is taken once, until the deadline plus 30 s.
   */
  renewLeases?: boolean;
  /** Actions being carried out now (added before the call, removed once it returns): what a second signal reports as unrecorded. */
  inFlight?: Set<Action>;
}

export interface ServiceReview {
  service_id: string;
  managed: boolean;
  rule?: string;
  actions: ActionResult[];
  left_pending: LeftPending[];
  drift: Drift[];
  /** Set when the service could not be reviewed to the end (reads failed, lease store failed, audit failed). */
  error?: ActionError;
  /** Set when another run held the service's lease: nothing was done to it. */
  skipped?: { holder: string; note: string };
  /** Set when some of its actions never started: the run was interrupted, its deadline came or the audit trail failed. */
  unfinished?: UnfinishedReason;
}

/**
 * A service read and planned without a lease: what a run decides from (which services need
 * acting on, how many revocations it would make) before it acts on any.
 */
export interface ServiceSurvey {
  service: EndpointService;
  /** The rule that governs the service, as matched for the survey; undefined when unmanaged. */
  rule?: ServiceRule;
  /** The review as far as the survey goes: rule, left_pending, drift, or the read error; no actions yet. */
  review: ServiceReview;
  /** The actions to carry out (after the webhook's endpoint filter); empty when nothing is to be done. */
  actions: Action[];
  /** The view the actions were planned from (the latest read of each connection). */
  connections: Connection[];
  /** The revocations among `actions` (lib/policy/revocations.ts). */
  revocations: Action[];
  /** How many revocations they count for against the cap (a wildcard removal: one per domain it shuts out). */
  revocationCount: number;
}
