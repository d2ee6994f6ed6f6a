/**
 * Remembers the signatures of accepted webhook requests so that a replay inside the
 * freshness window has no second effect.
 *
 * This memory lives in one warm Lambda container; several containers (concurrent
 * invocations) do not share it. It is what runs without a lease table (local development);
 * with VPCEP_LEASE_TABLE the review function uses the shared WebhookRequestStore
 * (request-store.ts) instead, which makes copies idempotent across containers.
 */
export interface ReplayGuard {
  /**
   * Records `signature` (valid until `expiresAt`, when its timestamp turns stale anyway) and
   * returns true the first time; returns false if it was already seen and has not expired.
   */
  firstSight(signature: string, expiresAt: Date, now: Date): boolean;
  /** How many signatures are remembered (bounded by maxEntries). */
  readonly size: number;
}

export interface ReplayGuardOptions {
  /** Upper bound on remembered signatures; the oldest are forgotten first. Default 10,000 (~1 MB). */
  maxEntries?: number;
}

/** Creates a bounded in-memory ReplayGuard (see ReplayGuard for its limits). */
export function createReplayGuard(options: ReplayGuardOptions = {}): ReplayGuard {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`replay guard maxEntries must be a positive integer, got ${String(options.maxEntries)}`);
  }
  // Insertion order = arrival order, so the first keys are the oldest.
  const seen = new Map<string, number>();

  const prune = (nowMs: number) => {
    // Oldest first: drop what has expired, and past the bound drop the oldest even if live
    // (memory stays bounded; such a late replay would only cause a harmless extra review).
    for (const [key, expiresMs] of seen) {
      if (seen.size <= maxEntries && expiresMs > nowMs) break;
      seen.delete(key);
    }
  };

  return {
    firstSight(signature, expiresAt, now) {
      const key = signature.toLowerCase();
      const nowMs = now.getTime();
      const known = seen.get(key);
      if (known !== undefined && known > nowMs) return false;
      seen.delete(key);
      seen.set(key, expiresAt.getTime());
      prune(nowMs);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
