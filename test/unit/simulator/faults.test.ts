import { UsageError } from '../../../lib/errors';
import { FaultInjector } from '../../../lib/simulator/faults';

const clock = () => new Date('2026-11-26T08:00:00Z');
const run = (inj: FaultInjector, n: number) => Array.from({ length: n }, () => inj.decide('p')?.kind ?? 'ok');

describe('FaultInjector', () => {
  it('gives the same sequence for the same seed, and restarts it on set()', () => {
    const a = new FaultInjector({ seed: 11, errorRate: 0.2, throttleRate: 0.2 }, clock);
    const first = run(a, 100);
    expect(run(new FaultInjector({ seed: 11, errorRate: 0.2, throttleRate: 0.2 }, clock), 100)).toEqual(first);
    a.set({ seed: 11, errorRate: 0.2, throttleRate: 0.2 });
    expect(run(a, 100)).toEqual(first);
    expect(first.filter((k) => k === 'error').length).toBeGreaterThan(5);
  });

  it('never fails with rates of 0 and always with a rate of 1', () => {
    expect(new Set(run(new FaultInjector({ seed: 1 }, clock), 50))).toEqual(new Set(['ok']));
    expect(new Set(run(new FaultInjector({ seed: 1, errorRate: 1 }, clock), 50))).toEqual(new Set(['error']));
  });

  it('refuses a rate outside [0, 1] naming the field', () => {
    expect(() => new FaultInjector({ errorRate: 2 }, clock)).toThrow(UsageError);
    expect(() => new FaultInjector({ errorRate: 2 }, clock)).toThrow(/errorRate/);
  });
});
