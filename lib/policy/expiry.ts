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
