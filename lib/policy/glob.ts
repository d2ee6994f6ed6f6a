/**
 * The glob of `match.name` (CONTRACT 2: `{ name: "pay-*" }`, a glob on service_name): `*` matches
 * any run of characters (including none), `?` exactly one, everything else itself. Service names
 * are flat strings, not paths, so `*` also crosses `.` and `/`. Case-insensitive, like the ids
 * of `match.id` and the domain ids (CONTRACT 2): `Pay-*` matches `payments-eu`.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'si');
}

/** True when `name` matches `glob` as a whole. */
export function globMatches(glob: string, name: string): boolean {
  return globToRegExp(glob).test(name);
}
