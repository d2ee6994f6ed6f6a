/**
 * Checks across fields of a policy, which the schema cannot make: groups that do not exist,
 * duplicate rule labels, rules that never apply, a domain both allowed and denied, expired and expiring
 * entries, an empty allow list. They read the raw document defensively, so they also run (and report) when other
 * parts of the file are broken.
 */
import { formatPath } from '../zod-issues';
import { daysLeftText, expiringEntries, expiryInstant, isExpired } from './expiry';
import { isRecord, problem, warning, type Problem, type Segment } from './problems';
import { ruleLabel } from './rule-view';
import { BUILTIN_DEFAULTS } from './schema';

/** The errors and warnings across fields of `raw`, the document as read; expiry is judged at `now`. */
export function crossChecks(raw: unknown, now: Date): Problem[] {
  const out: Problem[] = [];
  if (!isRecord(raw)) return out;
  const groups = isRecord(raw.groups) ? raw.groups : {};
  const groupNames = Object.keys(groups);

  // Expired group members: reported once, where they are written.
  for (const name of groupNames) {
    const members = groups[name];
    if (!Array.isArray(members)) continue;
    const seen = new Map<string, number>();
    members.forEach((m, k) => {
      if (!isRecord(m)) return;
      expiredWarning(m, ['groups', name, k], now, out);
      if (typeof m.domain === 'string') {
        const first = seen.get(m.domain.toLowerCase());
        if (first !== undefined)
          out.push(
            warning(
              ['groups', name, k, 'domain'],
              `domain is listed twice in group "${name}" (first at ${formatPath(['groups', name, first])}); the first live entry applies`,
              m.domain,
            ),
          );
        else seen.set(m.domain.toLowerCase(), k);
      }
    });
  }

  if (!Array.isArray(raw.services)) return out;
  const defaultWarningDays =
    warningDays(isRecord(raw.defaults) ? raw.defaults : {}) ?? BUILTIN_DEFAULTS.expiry_warning_days;
  // Paths of entries already warned about as expiring (a group member may be allowed by several rules).
  const expiringWarned = new Set<string>();
  const labels = new Map<string, number>();
  const matchIds = new Map<string, number>();
  raw.services.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const label = ruleLabel(rule, i);
    const firstLabel = labels.get(label);
    if (firstLabel !== undefined) {
      const segs: Segment[] = typeof rule.rule === 'string' ? ['services', i, 'rule'] : ['services', i];
      out.push(
        problem(
          segs,
          `duplicate rule label "${label}" (already used by services[${firstLabel}]); labels must be unique`,
          typeof rule.rule === 'string' ? rule.rule : undefined,
        ),
      );
    } else labels.set(label, i);

    if (isRecord(rule.match) && typeof rule.match.id === 'string' && rule.match.name === undefined) {
      const id = rule.match.id.toLowerCase();
      const first = matchIds.get(id);
      if (first !== undefined)
        out.push(
          warning(
            ['services', i, 'match', 'id'],
            `this rule never applies: services[${first}] already matches service ${rule.match.id}`,
            rule.match.id,
          ),
        );
      else matchIds.set(id, i);
    }

    if (Array.isArray(rule.allow) && rule.allow.length === 0)
      out.push(
        warning(
          ['services', i, 'allow'],
          'the allow list is empty: this rule allows no domain, so every connection to the services it matches counts as unlisted',
          undefined,
        ),
      );

    // Allowed domains of this rule, directly or through groups, with where they are written.
    const allowed = new Map<string, string>();
    const written: { domain: string; expires?: string; at: Segment[] }[] = [];
    const noteWritten = (entry: Record<string, unknown>, at: Segment[]) => {
      if (typeof entry.domain !== 'string') return;
      if (entry.expires !== undefined && typeof entry.expires !== 'string') return;
      written.push({ domain: entry.domain, ...(entry.expires === undefined ? {} : { expires: entry.expires }), at });
    };
    const noteAllowed = (domain: unknown, where: string, at: Segment[]) => {
      if (typeof domain !== 'string') return;
      const key = domain.toLowerCase();
      const first = allowed.get(key);
      if (first !== undefined && first !== where)
        out.push(
          warning(
            at,
            `domain ${domain} is allowed more than once in this rule (first by ${first}); the first live entry applies`,
            domain,
          ),
        );
      else allowed.set(key, where);
    };
    if (Array.isArray(rule.allow)) {
      rule.allow.forEach((entry, j) => {
        if (!isRecord(entry)) return;
        const at: Segment[] = ['services', i, 'allow', j];
        if (typeof entry.group === 'string' && !('domain' in entry)) {
          if (!Object.hasOwn(groups, entry.group)) {
            // The name itself is the problem's value (printed as `; got "..."`), so the message does not repeat it.
            out.push(
              problem(
                [...at, 'group'],
                `unknown group; ${groupNames.length > 0 ? `defined groups: ${groupNames.join(', ')}` : 'no groups are defined'}`,
                entry.group,
              ),
            );
          } else {
            const group = entry.group;
            const members = groups[group];
            if (Array.isArray(members))
              members.forEach((m, k) => {
                if (!isRecord(m)) return;
                noteAllowed(m.domain, `${formatPath(at)} (group ${group})`, [...at, 'group']);
                noteWritten(m, ['groups', group, k]);
              });
          }
        } else if ('domain' in entry && !('group' in entry)) {
          noteAllowed(entry.domain, formatPath(at), [...at, 'domain']);
          noteWritten(entry, at);
          expiredWarning(entry, at, now, out);
        }
      });
    }
    // Entries that expire soon, for domains with no later-expiring live entry (CONTRACT 2, expiring).
    const days = warningDays(rule) ?? defaultWarningDays;
    const denied = new Set(
      (Array.isArray(rule.deny) ? rule.deny : [])
        .map((d) => (isRecord(d) && typeof d.domain === 'string' ? d.domain.toLowerCase() : undefined))
        .filter((d) => d !== undefined),
    );
    for (const { entry, days_left } of expiringEntries(written, days, now)) {
      const path = formatPath(entry.at);
      if (denied.has(entry.domain.toLowerCase()) || expiringWarned.has(path)) continue;
      expiringWarned.add(path);
      out.push(
        warning(
          [...entry.at, 'expires'],
          `allow entry for domain ${entry.domain} expires ${entry.expires} (${daysLeftText(days_left)}, expiry_warning_days ${days}); the domain will then count as unlisted, and under revoke: unlisted its accepted connections will be revoked`,
          undefined,
        ),
      );
    }
    if (Array.isArray(rule.deny)) {
      rule.deny.forEach((entry, k) => {
        if (!isRecord(entry) || typeof entry.domain !== 'string') return;
        const by = allowed.get(entry.domain.toLowerCase());
        if (by !== undefined)
          out.push(
            warning(
              ['services', i, 'deny', k, 'domain'],
              `domain ${entry.domain} is both allowed (by ${by}) and denied in this rule; deny wins`,
              entry.domain,
            ),
          );
      });
    }
  });
  return out;
}

function expiredWarning(entry: Record<string, unknown>, at: Segment[], now: Date, out: Problem[]): void {
  if (typeof entry.expires !== 'string' || Number.isNaN(expiryInstant(entry.expires))) return;
  if (isExpired(entry.expires, now)) {
    out.push(warning([...at, 'expires'], `entry expired (${entry.expires}); it counts as unlisted`, undefined));
  }
}

/** `expiry_warning_days` of a defaults block or a rule, when it is valid (the schema reports it otherwise). */
function warningDays(settings: Record<string, unknown>): number | undefined {
  const days = settings.expiry_warning_days;
  return typeof days === 'number' && Number.isInteger(days) && days >= 0 ? days : undefined;
}
