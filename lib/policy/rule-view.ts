/**
 * One rule of a policy, prepared for planning: its label, its settings (defaults with the rule's
 * overrides) and where each domain stands (CONTRACT 2, step 2). Pure: `now` is an argument.
 */
import {
  domainPermission,
  isGovernedPermission,
  isWildcardPermission,
  permissionDomain,
  permissionKey,
  type Connection,
  type EndpointService,
  type WhitelistRecord,
} from '../model';
import { expiringEntries, isExpired } from './expiry';
import { SETTING_KEYS, type Policy, type PolicyRule, type RuleSettings } from './schema';

/** Where a domain stands under a rule. `by` names the policy entry that decided it. */
export type Standing =
  | { kind: 'denied'; by: string }
  | { kind: 'allowed'; by: string; domain: string; max_connections?: number }
  | { kind: 'unlisted'; expired?: { by: string; expires: string } };

interface AllowedEntry {
  domain: string;
  by: string;
  max_connections?: number;
}

/** An expired allow entry of a domain with no live one. */
interface ExpiredEntry {
  domain: string;
  by: string;
  expires: string;
}

/** A live allow entry that expires soon (CONTRACT 2, `expiring`). */
export interface ExpiringEntry {
  domain: string;
  by: string;
  expires: string;
  /** Whole days from the run's instant until the entry expires. */
  days_left: number;
}

/** A rule prepared for planning. */
export interface RuleView {
  rule: PolicyRule;
  index: number;
  label: string;
  settings: RuleSettings;
  /** Lower-cased domain -> the deny entry that names it. */
  denied: Map<string, string>;
  /** Lower-cased domain -> its first live allow entry, in policy order (denied domains included). */
  live: Map<string, AllowedEntry>;
  /** Lower-cased domain -> its first expired allow entry, for domains with no live entry. */
  expired: Map<string, ExpiredEntry>;
  /**
   * Allow entries that expire within `expiry_warning_days`, one per domain that is not denied and
   * has no later-expiring live entry, in policy order.
   */
  expiring: ExpiringEntry[];
  /**
   * Lower-cased domain -> the name the rule gives it (CONTRACT 2, `name`): that of the entry that
   * decides its standing (deny, then the live allow entry, then the expired one), else the first
   * name any of its entries carries.
   */
  names: Map<string, string>;
  /** Lower-cased owner domain, if the policy names one. */
  owner?: string;
}

/**
 * The label a rule goes by: its `rule`, or `services[i]`. Takes a rule not yet validated too
 * (the policy's cross-field checks label rules before the schema has passed).
 */
export function ruleLabel(rule: Pick<PolicyRule, 'rule'> | Record<string, unknown>, index: number): string {
  return typeof rule.rule === 'string' && rule.rule !== '' ? rule.rule : `services[${index}]`;
}

/** The rule's settings: the policy's defaults with the rule's own overrides. */
export function ruleSettings(policy: Policy, rule: PolicyRule): RuleSettings {
  const settings: Record<string, unknown> = { ...policy.defaults };
  for (const key of SETTING_KEYS) if (rule[key] !== undefined) settings[key] = rule[key];
  return settings as RuleSettings;
}

/** Prepares rule `index` of `policy` for planning at `now`. */
export function viewRule(policy: Policy, index: number, now: Date): RuleView {
  const rule = policy.services[index]!;
  const base = `services[${index}]`;
  const denied = new Map<string, string>();
  // Names in order of precedence: the deciding deny entry, live allow entry, expired one; then any other.
  const deniedNames = new Map<string, string | undefined>();
  const liveNames = new Map<string, string | undefined>();
  const expiredNames = new Map<string, string | undefined>();
  const otherNames = new Map<string, string>();
  const noteName = (key: string, name: string | undefined) => {
    if (name !== undefined && !otherNames.has(key)) otherNames.set(key, name);
  };
  rule.deny.forEach((d, k) => {
    const key = d.domain.toLowerCase();
    noteName(key, d.name);
    if (!denied.has(key)) {
      denied.set(key, `${base}.deny[${k}]`);
      deniedNames.set(key, d.name);
    }
  });
  const live = new Map<string, AllowedEntry>();
  const expired = new Map<string, ExpiredEntry>();
  const written: { domain: string; by: string; expires?: string }[] = [];
  const consider = (
    entry: { domain: string; name?: string; expires?: string; max_connections?: number },
    by: string,
  ) => {
    const key = entry.domain.toLowerCase();
    noteName(key, entry.name);
    written.push({ domain: key, by, ...(entry.expires === undefined ? {} : { expires: entry.expires }) });
    if (isExpired(entry.expires, now)) {
      if (!expired.has(key)) {
        expired.set(key, { domain: key, by, expires: entry.expires! });
        expiredNames.set(key, entry.name);
      }
    } else if (!live.has(key)) {
      // CONTRACT 2: ids compare case-insensitively; the plan speaks of them in lower case (the API's own ids are lower-case hex).
      live.set(key, {
        domain: key,
        by,
        ...(entry.max_connections === undefined ? {} : { max_connections: entry.max_connections }),
      });
      liveNames.set(key, entry.name);
    }
  };
  rule.allow.forEach((entry, j) => {
    const at = `${base}.allow[${j}]`;
    if ('group' in entry) {
      for (const member of policy.groups[entry.group] ?? []) consider(member, `${at} (group ${entry.group})`);
    } else {
      consider(entry, at);
    }
  });
  for (const key of live.keys()) expired.delete(key);
  const names = new Map<string, string>();
  for (const key of otherNames.keys()) {
    const decided = denied.has(key) ? deniedNames.get(key) : live.has(key) ? liveNames.get(key) : expiredNames.get(key);
    names.set(key, decided ?? otherNames.get(key)!);
  }
  const settings = ruleSettings(policy, rule);
  const expiring = expiringEntries(written, settings.expiry_warning_days, now)
    .filter(({ entry }) => !denied.has(entry.domain))
    .map(({ entry, days_left }) => ({ domain: entry.domain, by: entry.by, expires: entry.expires!, days_left }));
  return {
    rule,
    index,
    label: ruleLabel(rule, index),
    settings,
    denied,
    live,
    expired,
    expiring,
    names,
    ...(policy.owner_domain === undefined ? {} : { owner: policy.owner_domain.toLowerCase() }),
  };
}

/** CONTRACT 2, step 2: denied if deny names it; allowed by a live entry; otherwise unlisted. */
export function standing(view: RuleView, domainId: string): Standing {
  const key = domainId.toLowerCase();
  const deniedBy = view.denied.get(key);
  if (deniedBy !== undefined) return { kind: 'denied', by: deniedBy };
  const allowed = view.live.get(key);
  if (allowed) return { kind: 'allowed', ...allowed };
  const expired = view.expired.get(key);
  return expired ? { kind: 'unlisted', expired: { by: expired.by, expires: expired.expires } } : { kind: 'unlisted' };
}

/** The allowed domains of the rule (live and not denied), in policy order. */
export function allowedDomains(view: RuleView): AllowedEntry[] {
  return [...view.live.entries()].filter(([key]) => !view.denied.has(key)).map(([, entry]) => entry);
}

/** The name the rule gives a domain (CONTRACT 2, `name`), if any. */
export function domainName(view: RuleView, domainId: string | undefined): string | undefined {
  return domainId === undefined ? undefined : view.names.get(domainId.toLowerCase());
}

/**
 * How reasons and drift speak of a domain: `domain <id>`, followed by the name the rule gives it
 * in parentheses (`domain 5fc9... (Acme payments)`). The name is written as the policy has it:
 * every renderer escapes what it prints.
 */
export function domainText(view: RuleView, domainId: string): string {
  const name = domainName(view, domainId);
  return name === undefined ? `domain ${domainId}` : `domain ${domainId} (${name})`;
}

/** "domain X is not allowed by rule L" (with the expired entry, if that is why). */
export function unlistedText(view: RuleView, domainId: string, expired?: { by: string; expires: string }): string {
  const base = `${domainText(view, domainId)} is not allowed by rule ${view.label}`;
  return expired ? `${base} (its entry ${expired.by} expired ${expired.expires})` : base;
}

/**
 * The whitelist as the policy wants it (CONTRACT 2, step 7): shared by planner and drift.
 * Records are compared trimmed and without case; those the policy language does not govern
 * (isGovernedPermission) are only reported. Every permission is given exactly as the API listed
 * it, so a removal sends the record the API holds.
 */
export interface WhitelistComparison {
  /** Desired records that are absent, in policy order. */
  missing: { domain: string; permission: string; by: string }[];
  /** Governed records present that are not desired and neither the owner's nor a wildcard, by permission. */
  extra: { permission: string; domain?: string }[];
  /** Present wildcard records (`*`, `iam:domain::*`), by permission. */
  wildcard: string[];
  /** Present records the policy language does not govern (never removed), by permission. */
  unmanaged: string[];
}

/** Compares the observed whitelist with the desired one. */
export function compareWhitelist(view: RuleView, whitelist: readonly WhitelistRecord[]): WhitelistComparison {
  const unique = [...new Set(whitelist.map((r) => r.permission))].sort();
  const governed = unique.filter(isGovernedPermission);
  const present = new Set(governed.map(permissionKey));
  const desired = allowedDomains(view).map((e) => ({
    domain: e.domain,
    permission: domainPermission(e.domain),
    by: e.by,
  }));
  const desiredKeys = new Set(desired.map((d) => permissionKey(d.permission)));
  const owner = view.owner === undefined ? undefined : permissionKey(domainPermission(view.owner));
  const missing = desired.filter((d) => !present.has(permissionKey(d.permission)));
  const wildcard = governed.filter(isWildcardPermission);
  const extra = governed
    .filter((p) => !isWildcardPermission(p) && !desiredKeys.has(permissionKey(p)) && permissionKey(p) !== owner)
    .map((permission) => {
      const domain = permissionDomain(permission);
      return domain === undefined ? { permission } : { permission, domain };
    });
  return { missing, extra, wildcard, unmanaged: unique.filter((p) => !isGovernedPermission(p)) };
}

/** Why a domain's whitelist record is not desired. */
export function whitelistDomainText(view: RuleView, domainId: string): string {
  const s = standing(view, domainId);
  if (s.kind === 'denied') return `${domainText(view, domainId)} denied by ${s.by}`;
  return unlistedText(view, domainId, s.kind === 'unlisted' ? s.expired : undefined);
}

/** `name (id)` or just the id. */
export function serviceText(service: EndpointService): string {
  return service.service_name ? `${service.service_name} (${service.id})` : service.id;
}

/** CONTRACT 2, step 3: accepted connections per domain (lower-cased), the count limits apply to. */
export function acceptedCountByDomain(connections: readonly Connection[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of connections) {
    if (c.status !== 'accepted') continue;
    const domain = c.domain_id.toLowerCase();
    counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return counts;
}
