/**
 * Orders strings by their UTF-16 code units, as `<` does: the same on every machine and locale
 * (localeCompare follows ICU), so sorted plans, drift and listings are reproducible.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
