/**
 * The glob of `match.name` (CONTRACT 2: `{ name: "pay-*" }`, a glob on service_name): `*` matches
 * any run of characters (including none), `?` exactly one, everything else itself. Service names
 * are flat strings, not paths, so `*` also crosses `.` and `/`. Case-insensitive, like the ids
 * of `match.id` and the domain ids (CONTRACT 2): `Pay*` matches `payments-eu`.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'si');
}

/** Compiled globs: a policy has few, and every service of every run is matched against them. */
const compiled = new Map<string, RegExp>();

/** True when `name` matches `glob` as a whole. */
export function globMatches(glob: string, name: string): boolean {
  let re = compiled.get(glob);
  if (!re) compiled.set(glob, (re = globToRegExp(glob)));
  return re.test(name);
}
