/**
 * Which planned actions take access away from a consumer that has it (the blast-radius cap,
 * CONTRACT section 1 "Brake and cap"). PURE: the engine counts them across a run before it
 * carries any of them out.
 */
import { isWildcardPermission, permissionDomain, type Action, type Connection, type WhitelistRecord } from '../model';
import { globMatches } from './glob';

/** The revocations a service's plan makes. */
export interface PlannedRevocations {
  /** The actions that take access away (the cap holds or lets through all of them together). */
  actions: Action[];
  /** How many revocations they count for: one per accepted connection rejected, one per domain shut out. */
  count: number;
}

/**
 * The revocations among `actions`, given what was observed: rejecting an accepted connection
 * counts one; removing whitelist records counts one for each domain with accepted connections
 * that a removed record admitted and no remaining record admits (the records read, less those
 * removed, plus those added): its endpoints keep working for now, but it can connect no more.
 * So removing `*` from a service whose accepted connections come from 20 domains no other record
 * lists counts 20. The owner's domain is never shut out (4.2.8: always in its own whitelist).
 *
 * @param whitelist the service's whitelist as read (none: only the removed records admitted anyone)
 * @param owner the policy's owner_domain, if it names one
 */
export function revocationsOf(
  actions: readonly Action[],
  connections: readonly Connection[],
  whitelist: readonly WhitelistRecord[] = [],
  owner?: string,
): PlannedRevocations {
  const accepted = connections.filter((c) => c.status === 'accepted');
  const acceptedIds = new Set(accepted.map((c) => c.id));
  const rejects = new Set(
    actions.filter(
      (a) => a.type === 'connection.reject' && a.endpoint_id !== undefined && acceptedIds.has(a.endpoint_id),
    ),
  );
  const removals = actions.filter((a) => a.type === 'whitelist.remove' && a.permission !== undefined);
  const removed = new Set(removals.map((a) => a.permission!));
  const before = admittedBy(removed);
  const after = admittedBy([
    ...whitelist.map((r) => r.permission).filter((p) => !removed.has(p)),
    ...actions.flatMap((a) => (a.type === 'whitelist.add' && a.permission !== undefined ? [a.permission] : [])),
  ]);
  const lost = new Set(
    accepted
      .map((c) => c.domain_id.toLowerCase())
      .filter((d) => d !== owner?.toLowerCase() && before.admits(d) && !after.admits(d)),
  );
  const revoking = new Set(
    removals.filter((a) => {
      const one = admittedBy([a.permission!]);
      return [...lost].some((d) => one.admits(d));
    }),
  );
  return {
    actions: actions.filter((a) => rejects.has(a) || revoking.has(a)),
    count: rejects.size + lost.size,
  };
}

/**
 * Whether counting the revocations of `actions` needs the service's accepted connections: a
 * whitelist removal (a domain's record, or a wildcard) revokes every domain with accepted
 * connections that no remaining record admits, whatever the plan needed read.
 */
export function revocationsNeedAccepted(actions: readonly Action[]): boolean {
  return actions.some((a) => a.type === 'whitelist.remove');
}

/**
 * Which domains some of `permissions` admit: every one (a wildcard), those a record names, and
 * those a record with an asterisk inside its id matches (4.2.9 allows `iam:domain::5f*`; it is
 * taken to admit every domain it matches, so that removing it is counted, never let through).
 */
function admittedBy(permissions: Iterable<string>): { admits: (domain: string) => boolean } {
  let everyone = false;
  const domains = new Set<string>();
  const patterns: string[] = [];
  for (const p of permissions) {
    if (isWildcardPermission(p)) everyone = true;
    const d = permissionDomain(p);
    if (d === undefined) continue;
    if (d.includes('*')) patterns.push(d);
    else domains.add(d);
  }
  return { admits: (domain) => everyone || domains.has(domain) || patterns.some((g) => globMatches(g, domain)) };
}

/** The accepted connections a service has (the base of the per-service share). */
export function acceptedCount(connections: readonly Connection[]): number {
  return connections.filter((c) => c.status === 'accepted').length;
}

export interface RevocationCap {
  /** Most revocations one run may carry out (VPCEP_MAX_REVOCATIONS, or --allow-revocations). */
  max: number;
  /** True when a person lifted the cap for this run (--allow-revocations): the share rule is off too. */
  lifted: boolean;
}

/**
 * Why the run's revocations must be held, or undefined when they may go ahead. `services` are
 * the planned revocations of each service with any, how many they count for (PlannedRevocations;
 * default: one each) and its accepted-connection count.
 *
 * The share rule ("more than half of one service's accepted connections") counts only services
 * that would lose at least two connections: otherwise a service with one accepted connection
 * from a denied domain could never have it revoked without a person lifting the cap.
 */
export function revocationHold(
  services: readonly { service_id: string; revocations: readonly Action[]; count?: number; accepted: number }[],
  cap: RevocationCap,
): string | undefined {
  const total = services.reduce((n, s) => n + (s.count ?? s.revocations.length), 0);
  if (total > cap.max) {
    const how = cap.lifted ? `--allow-revocations ${cap.max}` : `VPCEP_MAX_REVOCATIONS ${cap.max}`;
    return `the run would revoke ${total} connections or whitelist records, more than ${how}; the cap holds all of them (--allow-revocations ${total} lifts it for one run)`;
  }
  if (cap.lifted) return undefined;
  for (const s of services) {
    const connections = s.revocations.filter((a) => a.type === 'connection.reject').length;
    if (connections >= 2 && connections * 2 > s.accepted) {
      return `the run would revoke ${connections} of the ${s.accepted} accepted connections of service ${s.service_id}, more than half; the cap holds all of them (--allow-revocations ${total} lifts it for one run)`;
    }
  }
  return undefined;
}
