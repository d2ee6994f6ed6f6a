import { createReplayGuard } from '../../../lib/webhook/replay-guard';

const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 8, 0, s));

describe('createReplayGuard()', () => {
  it('answers true the first time and false for the same signature until it expires', () => {
    const guard = createReplayGuard();
    expect(guard.firstSight('sha256=AA', at(300), at(0))).toBe(true);
    expect(guard.firstSight('sha256=aa', at(300), at(10))).toBe(false);
    expect(guard.firstSight('sha256=aa', at(600), at(300))).toBe(true);
  });

  it('forgets expired signatures', () => {
    const guard = createReplayGuard();
    guard.firstSight('a', at(5), at(0));
    guard.firstSight('b', at(5), at(1));
    guard.firstSight('c', at(100), at(10));
    expect(guard.size).toBe(1);
  });

  it('never holds more than maxEntries, dropping the oldest first', () => {
    const guard = createReplayGuard({ maxEntries: 3 });
    for (const s of ['a', 'b', 'c', 'd', 'e']) guard.firstSight(s, at(300), at(0));
    expect(guard.size).toBe(3);
    expect(guard.firstSight('e', at(300), at(1))).toBe(false);
    expect(guard.firstSight('a', at(300), at(1))).toBe(true);
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    expect(() => createReplayGuard({ maxEntries: 0 })).toThrow(/maxEntries must be a positive integer, got 0/);
  });
});
