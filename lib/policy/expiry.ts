/**
 * When an allow entry stops allowing its domain (CONTRACT 2: `expires` is a date, valid through
 * the end of that day UTC, or an RFC 3339 time). Pure: `now` is always an argument.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * The first instant (ms since epoch) at which an entry with this `expires` no longer counts:
 * midnight UTC after the given day, or the given time itself. NaN when the text is not a date.
 *
 * @example expiryInstant('2027-06-30') === Date.UTC(2027, 6, 1)
 */
export function expiryInstant(expires: string): number {
  const day = DATE_ONLY.exec(expires);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const start = new Date(Date.UTC(y, m, d));
    // Date.UTC rolls 2026-02-30 over to March 2: a day that does not exist is not a date.
    if (start.getUTCFullYear() !== y || start.getUTCMonth() !== m || start.getUTCDate() !== d) return NaN;
    return start.getTime() + DAY_MS;
  }
  return Date.parse(expires);
}

/** True when an entry with this optional `expires` has expired at `now`. */
export function isExpired(expires: string | undefined, now: Date): boolean {
  if (expires === undefined) return false;
  return now.getTime() >= expiryInstant(expires);
}

/** A live allow entry that expires soon, and whole days left until it does. */
export interface Expiring<T> {
  entry: T;
  days_left: number;
}

/**
 * CONTRACT 2, `expiring`: of the live allow entries given (in policy order), for each domain
 * (compared without case) whose latest-expiring live entry expires within `days` days of `now`,
 * that entry. An entry without `expires` never expires, so it suppresses the warning for its
 * domain; `days` 0 reports nothing. Domains come in the order of their first entry.
 */
export function expiringEntries<T extends { domain: string; expires?: string }>(
  entries: readonly T[],
  days: number,
  now: Date,
): Expiring<T>[] {
  const latest = new Map<string, { entry: T; at: number }>();
  for (const entry of entries) {
    const at = entry.expires === undefined ? Infinity : expiryInstant(entry.expires);
    // Expired entries, and text that is no date (the schema reports it), do not count.
    if (Number.isNaN(at) || at <= now.getTime()) continue;
    const key = entry.domain.toLowerCase();
    const seen = latest.get(key);
    if (seen === undefined || at > seen.at) latest.set(key, { entry, at });
  }
  const out: Expiring<T>[] = [];
  for (const { entry, at } of latest.values()) {
    const left = at - now.getTime();
    if (left <= days * DAY_MS) out.push({ entry, days_left: Math.floor(left / DAY_MS) });
  }
  return out;
}

/** `3 days left`, `1 day left`, `less than a day left`. */
export function daysLeftText(days: number): string {
  return days === 0 ? 'less than a day left' : `${days} day${days === 1 ? '' : 's'} left`;
}
