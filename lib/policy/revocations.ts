/**
 * Which planned actions take access away from a consumer that has it (the blast-radius cap,
 * CONTRACT section 1 "Brake and cap"). PURE: the engine counts them across a run before it
 * carries any of them out.
 */
import { DOMAIN_PERMISSION_PREFIX, type Action, type Connection } from '../model';

/**
 * The revocations among `actions`, given the connections observed: rejecting an accepted
 * connection, and removing the whitelist record of a domain that has accepted connections
 * (its endpoints keep working for now, but it can connect no more).
 */
export function revocationsOf(actions: readonly Action[], connections: readonly Connection[]): Action[] {
  const accepted = new Set(connections.filter((c) => c.status === 'accepted').map((c) => c.id));
  const acceptedDomains = new Set(
    connections.filter((c) => c.status === 'accepted').map((c) => c.domain_id.toLowerCase()),
  );
  return actions.filter((a) => {
    if (a.type === 'connection.reject') return a.endpoint_id !== undefined && accepted.has(a.endpoint_id);
    if (a.type === 'whitelist.remove') {
      const p = a.permission?.toLowerCase() ?? '';
      return p.startsWith(DOMAIN_PERMISSION_PREFIX) && acceptedDomains.has(p.slice(DOMAIN_PERMISSION_PREFIX.length));
    }
    return false;
  });
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
 * the planned revocations and accepted-connection count of each service with any.
 *
 * The share rule ("more than half of one service's accepted connections") counts only services
 * that would lose at least two connections: otherwise a service with one accepted connection
 * from a denied domain could never have it revoked without a person lifting the cap.
 */
export function revocationHold(
  services: readonly { service_id: string; revocations: readonly Action[]; accepted: number }[],
  cap: RevocationCap,
): string | undefined {
  const total = services.reduce((n, s) => n + s.revocations.length, 0);
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
