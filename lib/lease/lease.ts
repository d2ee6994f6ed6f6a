import { Clock, systemClock } from '../time';

/**
 * Leases: one review per endpoint service at a time, across processes (CONTRACT section 1,
 * "Leases"). A review takes the lease on `<project_id>/<service_id>` before acting on the
 * service, reads and plans again under it, and releases it at the end. A lease that its holder
 * never released (a crash, a killed process) expires by itself at `expiresAt`.
 *
 * The store is the only shared part; lib/lease/dynamodb-lease-store.ts keeps leases in a
 * DynamoDB table (conditional writes), createMemoryLeaseStore keeps them in this process (tests,
 * and runs that share one process).
 */

/** The answer to acquire(): taken, or held by another holder until `expiresAt`. */
export type LeaseResult = { acquired: true } | { acquired: false; holder: string; expiresAt: Date };

export interface LeaseStore {
  /**
   * Takes the lease on `key` for `holder` until `expiresAt` if nobody holds it, its lease has
   * expired (at the store's own clock), or `holder` already holds it (then it is extended).
   */
  acquire(key: string, holder: string, expiresAt: Date): Promise<LeaseResult>;
  /** Extends `holder`'s lease; false when it is no longer `holder`'s (expired and taken). */
  renew(key: string, holder: string, expiresAt: Date): Promise<boolean>;
  /** Gives the lease up if `holder` still holds it; otherwise does nothing. */
  release(key: string, holder: string): Promise<void>;
}

/** The lease key of one service (CONTRACT section 1). */
export function leaseKey(projectId: string, serviceId: string): string {
  return `${projectId}/${serviceId}`;
}

/** How long a lease outlives its holder's deadline (CONTRACT section 1: deadline plus 30 s). */
export const LEASE_GRACE_MS = 30_000;

/** A LeaseStore in this process's memory: the same rules as the shared store. */
export function createMemoryLeaseStore(clock: Clock = systemClock): LeaseStore {
  const leases = new Map<string, { holder: string; expiresAt: Date }>();
  return {
    async acquire(key, holder, expiresAt) {
      const held = leases.get(key);
      if (held && held.holder !== holder && held.expiresAt.getTime() > clock().getTime()) {
        return { acquired: false, holder: held.holder, expiresAt: held.expiresAt };
      }
      leases.set(key, { holder, expiresAt });
      return { acquired: true };
    },
    async renew(key, holder, expiresAt) {
      const held = leases.get(key);
      if (!held || held.holder !== holder) return false;
      held.expiresAt = expiresAt;
      return true;
    },
    async release(key, holder) {
      if (leases.get(key)?.holder === holder) leases.delete(key);
    },
  };
}
