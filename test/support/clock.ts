import type { Clock } from '../../lib/time';

/**
 * A clock the test moves by hand: back at `t0` (epoch ms) before each test; `at(s)` is the time
 * `s` seconds after t0; `set(time)` moves the clock there.
 */
export function manualClock(t0: number): {
  clock: Clock;
  at: (seconds: number) => Date;
  set: (time: Date) => void;
} {
  let nowMs = t0;
  beforeEach(() => {
    nowMs = t0;
  });
  return {
    clock: () => new Date(nowMs),
    at: (seconds) => new Date(t0 + seconds * 1000),
    set: (time) => {
      nowMs = time.getTime();
    },
  };
}
