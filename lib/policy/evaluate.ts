/**
 * The planner (CONTRACT.md section 2): (policy, one endpoint service's observed state, now, scope)
 * -> the actions the policy calls for, the pending connections it leaves, and the drift it sees.
 *
 * PURE: no I/O, no clock (the instant is an argument), no imports of the API client or the audit
 * sink. The engine matches a service's rule once (matchService: its prepared view says what to
 * read), reads that, asks the rule for its plan, and carries the actions out; planService does
 * the same in one call for callers that already hold the whole state (the tests, the benchmarks).
 */
import { type Connection, type EndpointService, type WhitelistRecord } from '../model';
import { compareStrings } from '../strings';
import { driftFor } from './drift';
import { globMatches } from './glob';
import type { Drift, Scope, ServicePlan } from './plan';
import {
  acceptedCountByDomain,
  compareWhitelist,
  domainText,
  ruleLabel,
  serviceText,
  standing,
  unlistedText,
  viewRule,
  whitelistDomainText,
  type RuleView,
} from './rule-view';
import type { Policy, PolicyRule } from './schema';

/**
 * CONTRACT 2, step 1: the first rule whose match fits the service (`match.id` equal to the
 * service id, case-insensitively, or `match.name` a glob matching its service_name).
 * Undefined when no rule matches: the service is unmanaged.
 */
export function findRule(
  policy: Policy,
  service: EndpointService,
): { rule: PolicyRule; label: string; index: number } | undefined {
  const index = policy.services.findIndex((rule) => ruleMatches(rule, service));
  if (index < 0) return undefined;
  const rule = policy.services[index]!;
  return { rule, label: ruleLabel(rule, index), index };
}

function ruleMatches(rule: PolicyRule, service: EndpointService): boolean {
  if (rule.match.id !== undefined) return rule.match.id.toLowerCase() === service.id.toLowerCase();
  if (rule.match.name !== undefined)
    return service.service_name !== undefined && globMatches(rule.match.name, service.service_name);
  return false;
}

/**
 * The rule that governs one service, matched once and prepared once at `now`: it says both what
 * the engine must read (the whitelist? the accepted connections?) and what to do with what was
 * read, so the two decisions cannot drift apart.
 */
export interface ServiceRule {
  /** The rule's label (its `rule`, or `services[i]`). */
  label: string;
  view: RuleView;
  /** With `whitelist: off` the plan neither changes nor reports the whitelist: no need to read it. */
  readsWhitelist: boolean;
  /**
   * Does a sweep need the ACCEPTED connections read (CONTRACT 2, "Scopes")? Only when a pending
   * connection comes from an allowed domain with `max_connections`, whose accepted connections
   * count against the limit.
   */
  needsAccepted(pending: readonly Connection[]): boolean;
  /** Plans the service from what was read (see planService). */
  plan(connections: readonly Connection[], whitelist: readonly WhitelistRecord[], scope: Scope): ServicePlan;
  /**
   * The same rule prepared again at a later instant, without matching again: for a second read
   * of the service (under its lease), where an entry may have expired since.
   */
  at(now: Date): ServiceRule;
}

/** CONTRACT 2, step 1: the rule that governs `service`, prepared at `now`; undefined when the service is unmanaged. */
export function matchService(policy: Policy, service: EndpointService, now: Date): ServiceRule | undefined {
  const found = findRule(policy, service);
  return found && prepareRule(policy, found.index, service, now);
}

function prepareRule(policy: Policy, index: number, service: EndpointService, now: Date): ServiceRule {
  const view = viewRule(policy, index, now);
  return {
    label: view.label,
    view,
    readsWhitelist: view.settings.whitelist !== 'off',
    needsAccepted: (pending) =>
      pending.some((c) => {
        if (c.status !== 'pendingAcceptance') return false;
        const s = standing(view, c.domain_id);
        return s.kind === 'allowed' && s.max_connections !== undefined;
      }),
    plan: (connections, whitelist, scope) => planWithView(view, service, connections, whitelist, scope),
    at: (later) => prepareRule(policy, index, service, later),
  };
}

/** The drift of a service no rule matches (compliance lists it; a sweep says nothing). */
export function unmanagedDrift(service: EndpointService, scope: Scope): Drift[] {
  return scope === 'compliance'
    ? [
        {
          kind: 'unmanaged',
          service_id: service.id,
          detail: `no rule of the policy matches service ${serviceText(service)}; nothing is done to it`,
        },
      ]
    : [];
}

/** ServiceRule.needsAccepted for the rule that governs `service` (false when unmanaged). */
export function needsAcceptedConnections(
  policy: Policy,
  service: EndpointService,
  pending: Connection[],
  now: Date,
): boolean {
  return matchService(policy, service, now)?.needsAccepted(pending) ?? false;
}

/**
 * Plans one endpoint service (CONTRACT 2, steps 1-8).
 *
 * `connections` may be a partial view: in scope sweep the engine passes the pending connections,
 * plus the accepted ones when needsAccepted says so. Drift is reported only in scope
 * compliance, where the view must be complete. The listings may overlap (a connection accepted
 * between two reads appears in both): see latestConnections.
 *
 * Order is deterministic: connection actions oldest first (created_at, then id), then whitelist
 * adds (policy order), removes (by permission), then service.enable-approval.
 *
 * @example planService(policy, service, connections, whitelist, new Date(), 'sweep').actions
 */
export function planService(
  policy: Policy,
  service: EndpointService,
  connections: Connection[],
  whitelist: WhitelistRecord[],
  now: Date,
  scope: Scope,
): ServicePlan {
  const rule = matchService(policy, service, now);
  return rule
    ? rule.plan(connections, whitelist, scope)
    : { actions: [], left_pending: [], drift: unmanagedDrift(service, scope) };
}

function planWithView(
  view: RuleView,
  service: EndpointService,
  connections: readonly Connection[],
  whitelist: readonly WhitelistRecord[],
  scope: Scope,
): ServicePlan {
  const ordered = oldestFirst(latestConnections(connections));
  const plan: ServicePlan = { actions: [], left_pending: [], drift: [] };
  planConnections(view, service, ordered, scope, plan);
  if (view.settings.whitelist !== 'off') planWhitelist(view, service, whitelist, plan);
  // 8 / 4.2.3: only compliance turns approval on.
  if (scope === 'compliance' && view.settings.require_approval && !service.approval_enabled) {
    plan.actions.push({
      type: 'service.enable-approval',
      service_id: service.id,
      rule: view.label,
      reason: `require_approval is true but approval is disabled on service ${serviceText(service)}`,
    });
  }
  if (scope === 'compliance') plan.drift = driftFor(view, service, ordered, whitelist);
  return plan;
}

/**
 * One record per connection id, given the listings in the order they were read: a later
 * copy replaces an earlier one, except that a `pendingAcceptance` copy never replaces a copy in
 * another status. 4.2.7: a connection leaves pendingAcceptance for good, so a copy that says
 * pending is the older news. Without this, a connection listed as pending and again as accepted
 * would count twice against max_connections, and a sweep could reject accepted connections.
 */
export function latestConnections(connections: readonly Connection[]): Connection[] {
  const byId = new Map<string, Connection>();
  for (const c of connections) {
    const seen = byId.get(c.id);
    if (seen !== undefined && c.status === 'pendingAcceptance' && seen.status !== 'pendingAcceptance') continue;
    byId.set(c.id, c);
  }
  return [...byId.values()];
}

/** CONTRACT 2, step 3: oldest first by created_at, then id (missing times sort last). */
export function oldestFirst(connections: readonly Connection[]): Connection[] {
  const time = (c: Connection) => {
    const t = c.created_at === undefined ? NaN : Date.parse(c.created_at);
    return Number.isNaN(t) ? Infinity : t;
  };
  return [...connections].sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    return compareStrings(a.id, b.id);
  });
}

function planConnections(
  view: RuleView,
  service: EndpointService,
  ordered: Connection[],
  scope: Scope,
  plan: ServicePlan,
): void {
  const { settings, label } = view;
  // 3: accepted connections of a domain, including those this plan accepts, count against its limit.
  const acceptedCount = acceptedCountByDomain(ordered);
  // The connection as actions and left_pending name it: its id, account and (when listed) creation time.
  const target = (c: Connection) => ({
    service_id: service.id,
    endpoint_id: c.id,
    domain_id: c.domain_id,
    ...(c.created_at !== undefined && { created_at: c.created_at }),
  });
  const connectionAction = (type: 'connection.accept' | 'connection.reject', c: Connection, reason: string) =>
    plan.actions.push({ type, ...target(c), rule: label, reason });
  const leave = (c: Connection, reason: string) => plan.left_pending.push({ ...target(c), rule: label, reason });

  for (const received of ordered) {
    // CONTRACT 2: one casing for domain ids in actions, left_pending and reasons.
    const c = { ...received, domain_id: received.domain_id.toLowerCase() };
    const s = standing(view, c.domain_id);
    const key = c.domain_id;
    if (c.status === 'pendingAcceptance') {
      // 4: denied -> reject; allowed -> accept unless at max_connections; unlisted -> unlisted_pending.
      if (s.kind === 'denied') {
        connectionAction('connection.reject', c, `${domainText(view, c.domain_id)} denied by ${s.by}`);
      } else if (s.kind === 'allowed') {
        const count = acceptedCount.get(key) ?? 0;
        if (s.max_connections !== undefined && count >= s.max_connections) {
          const reason = `${domainText(view, c.domain_id)} allowed by ${s.by} already has ${count} accepted connection${count === 1 ? '' : 's'} (max_connections ${s.max_connections}); over_limit: ${settings.over_limit}`;
          if (settings.over_limit === 'reject') connectionAction('connection.reject', c, reason);
          else leave(c, reason);
        } else {
          acceptedCount.set(key, count + 1);
          const limit =
            s.max_connections === undefined ? '' : `; connection ${count + 1} of max_connections ${s.max_connections}`;
          connectionAction('connection.accept', c, `${domainText(view, c.domain_id)} allowed by ${s.by}${limit}`);
        }
      } else {
        const reason = `${unlistedText(view, c.domain_id, s.expired)}; unlisted_pending: ${settings.unlisted_pending}`;
        if (settings.unlisted_pending === 'reject') connectionAction('connection.reject', c, reason);
        else leave(c, reason);
      }
    } else if (c.status === 'accepted' && scope === 'compliance') {
      // 5: revoke accepted connections, compliance only.
      if (settings.revoke === 'denied' && s.kind === 'denied') {
        connectionAction(
          'connection.reject',
          c,
          `accepted connection from ${domainText(view, c.domain_id)} denied by ${s.by}; revoke: denied`,
        );
      } else if (settings.revoke === 'unlisted' && s.kind !== 'allowed') {
        const why =
          s.kind === 'denied'
            ? `${domainText(view, c.domain_id)} denied by ${s.by}`
            : unlistedText(view, c.domain_id, s.expired);
        connectionAction('connection.reject', c, `accepted connection from ${why}; revoke: unlisted`);
      }
    }
    // 6: other statuses: nothing.
  }
}

function planWhitelist(
  view: RuleView,
  service: EndpointService,
  whitelist: readonly WhitelistRecord[],
  plan: ServicePlan,
): void {
  const { missing, extra, wildcard } = compareWhitelist(view, whitelist);
  // 7 / 4.2.9: one action per record; the engine batches them into one call per service.
  for (const m of missing) {
    plan.actions.push({
      type: 'whitelist.add',
      service_id: service.id,
      domain_id: m.domain,
      permission: m.permission,
      rule: view.label,
      reason: `${domainText(view, m.domain)} allowed by ${m.by}; whitelist record missing`,
    });
  }
  if (view.settings.whitelist !== 'reconcile') return;
  const removals = [
    ...extra.map((e) => ({
      permission: e.permission,
      domain: e.domain,
      reason:
        e.domain === undefined
          ? `record ${e.permission} admits no allowed domain; whitelist: reconcile`
          : `${whitelistDomainText(view, e.domain)}; whitelist: reconcile`,
    })),
    ...(view.settings.allow_wildcard
      ? []
      : wildcard.map((permission) => ({
          permission,
          domain: undefined,
          reason: `record ${permission} admits every account and allow_wildcard is false; whitelist: reconcile`,
        }))),
  ].sort((a, b) => compareStrings(a.permission, b.permission));
  for (const r of removals) {
    plan.actions.push({
      type: 'whitelist.remove',
      service_id: service.id,
      ...(r.domain === undefined ? {} : { domain_id: r.domain }),
      permission: r.permission,
      rule: view.label,
      reason: r.reason,
    });
  }
}
