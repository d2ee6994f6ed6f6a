/** What tells the time: the system clock in production, a fixed or stepped one in tests. */
export type Clock = () => Date;

/** The system clock: every default clock of lib/ is this one. */
export const systemClock: Clock = () => new Date();

/** `YYYY-MM-DDTHH:MM:SSZ`: an instant to the second, in UTC, the format every time of the API uses (4.2.1). */
export function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** `YYYY-MM-DD`: the UTC day of an instant (the archive's partitions). */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
