/**
 * mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Enough for reproducible faults and
 * generated states; not for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random hex digits from `random`. */
export function randomHex(random: () => number, n: number): string {
  let out = '';
  while (out.length < n)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, n);
}

/**
 * A fast generator of distinct UUID-shaped ids: a random prefix from `random`, then a counter.
 * Generating a million ids this way takes milliseconds instead of seconds.
 */
export function sequentialUuids(random: () => number): () => string {
  const a = randomHex(random, 8);
  const b = randomHex(random, 3);
  const c = randomHex(random, 4);
  let n = 0;
  return () => {
    const h = (n++).toString(16).padStart(15, '0');
    return `${a}-${h.slice(0, 4)}-4${b}-a${h.slice(4, 7)}-${h.slice(7, 15)}${c}`;
  };
}
