/**
 * Checks across fields of a policy, which the schema cannot make: groups that do not exist,
 * duplicate rule labels, rules that never apply, a domain both allowed and denied, expired
 * entries, an empty allow list. They read the raw document defensively, so they also run (and report) when other
 * parts of the file are broken.
 */
import { formatPath } from '../zod-issues';
import { expiryInstant, isExpired } from './expiry';
import { isRecord, problem, warning, type Problem, type Segment } from './problems';
import { ruleLabel } from './rule-view';

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
            const members = groups[entry.group];
            if (Array.isArray(members))
              for (const m of members)
                if (isRecord(m)) noteAllowed(m.domain, `${formatPath(at)} (group ${entry.group})`, [...at, 'group']);
          }
        } else if ('domain' in entry && !('group' in entry)) {
          noteAllowed(entry.domain, formatPath(at), [...at, 'domain']);
          expiredWarning(entry, at, now, out);
        }
      });
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
