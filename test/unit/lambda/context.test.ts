import { deadlineFrom } from '../../../lib/lambda/context';

const NOW = new Date('2026-11-26T08:00:00Z');
const after = (remainingMs: number) =>
  deadlineFrom({ getRemainingTimeInMillis: () => remainingMs }, NOW).getTime() - NOW.getTime();

describe('deadlineFrom()', () => {
  it('keeps 20 % of the remaining time for the services in flight and the audit flush', () => {
    expect(after(60_000)).toBe(48_000);
  });

  it('keeps at least 2 s and at most 30 s', () => {
    expect(after(5_000)).toBe(3_000);
    expect(after(900_000)).toBe(870_000);
  });

  it('is never before now', () => {
    expect(after(1_000)).toBe(0);
  });
});
