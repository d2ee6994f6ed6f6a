import fc from 'fast-check';

import { parseEvent } from '../../../lib/archive/archive-batch';
import { eventsObjectKey, invalidObjectKey, partitionDay } from '../../../lib/archive/keys';
import { buildRunCompletedEvent } from '../../../lib/audit/event';
import { runCompletedDataFactory, runContextFactory } from '../../support/records';

describe('archive object keys', () => {
  it('partitions by the UTC day of the event time', () => {
    expect(partitionDay('2026-12-02T23:59:59.999Z')).toBe('2026-12-02');
    expect(partitionDay('2026-12-03T00:00:00.000Z')).toBe('2026-12-03');
  });

  it('names a batch object from its message ids, whatever their order, and nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 20 }), (ids) => {
        const key = eventsObjectKey('2026-12-02', ids);
        expect(key).toMatch(/^events\/dt=2026-12-02\/[0-9a-f]{64}\.jsonl\.gz$/);
        expect(eventsObjectKey('2026-12-02', [...ids].reverse())).toBe(key);
        expect(eventsObjectKey('2026-12-02', ids.slice(1))).not.toBe(key);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an invalid message under invalid/ by its id, made safe for a key', () => {
    expect(invalidObjectKey('2026-12-02', 'a1b2-c3')).toBe('invalid/dt=2026-12-02/a1b2-c3');
    expect(invalidObjectKey('2026-12-02', '../x y')).toBe('invalid/dt=2026-12-02/___x_y');
  });
});

describe('parseEvent()', () => {
  const good = buildRunCompletedEvent(
    runContextFactory({ runId: 'r', projectId: 'p', trigger: 'schedule', policySha256: 'ab'.repeat(32) }),
    runCompletedDataFactory({ started_at: '2026-12-02T10:00:00.000Z', finished_at: '2026-12-02T10:00:01.000Z' }),
    new Date('2026-12-02T10:00:01.000Z'),
  );

  it('accepts an event the project built', () => {
    expect(parseEvent(JSON.stringify(good))).toMatchObject({ ok: true });
  });

  it('names what is wrong with anything else', () => {
    expect(parseEvent('nope')).toEqual({ ok: false, problem: 'not JSON' });
    expect(parseEvent(JSON.stringify({ ...good, type: 'vpcep.other' }))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('type'),
    });
    expect(parseEvent(JSON.stringify({ ...good, data: { ...good.data, services: 'x' } }))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('data.services'),
    });
  });
});
