/**
 * The glob of `match.name` (CONTRACT 2: `{ name: "pay-*" }`, a glob on service_name): `*` matches
 * any run of characters (including none), `?` exactly one, everything else itself. Service names
 * are flat strings, not paths, so `*` also crosses `.` and `/`. Case-insensitive, like the ids
 * of `match.id` and the domain ids (CONTRACT 2): `Pay*` matches `payments-eu`.
 */

/**
 * True when `name` matches `glob` as a whole.
 *
 * Matched with the two-pointer wildcard algorithm rather than a regular expression: on a
 * pattern of many `*` a backtracking regex takes time exponential in their number (a policy of
 * `*a*a*a*a*a*a*a*a*a*a*b` stalled every run for seconds), while this resumes only from the
 * last `*`, so the work is at most len(name) x len(glob) steps.
 */
export function globMatches(glob: string, name: string): boolean {
  const g = glob.toLowerCase();
  const n = name.toLowerCase();
  let gi = 0;
  let ni = 0;
  let star = -1; // position in g of the last `*` seen
  let resume = 0; // position in n where that `*` currently ends
  while (ni < n.length) {
    if (gi < g.length && (g[gi] === '?' || (g[gi] !== '*' && g[gi] === n[ni]))) {
      gi++;
      ni++;
    } else if (gi < g.length && g[gi] === '*') {
      star = gi++;
      resume = ni;
    } else if (star >= 0) {
      // Let the last `*` take one more character and try the rest again.
      gi = star + 1;
      ni = ++resume;
    } else {
      return false;
    }
  }
  while (gi < g.length && g[gi] === '*') gi++;
  return gi === g.length;
}
