import { AuditFailedError, createAuditor } from '../../../lib/audit/auditor';
import { AuditEvent, buildActionEvent } from '../../../lib/audit/event';
import { AuditDeliveryError, AuditSink } from '../../../lib/audit/sink';
import { captureStream } from '../../support/capture';
import { FallbackLine } from '../../support/json';
import { actionFactory, runContextFactory } from '../../support/records';

const event = (i: number): AuditEvent =>
  buildActionEvent(
    runContextFactory(),
    { ...actionFactory({ endpoint_id: `ep-${i}` }), outcome: 'succeeded' },
    new Date(0),
  );

/** A sink whose sends can be held open and failed on demand. */
function controllableSink() {
  const sent: AuditEvent[][] = [];
  let failWith: Error | undefined;
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  return {
    sent,
    failNext(err: Error) {
      failWith = err;
    },
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    sink: {
      name: 'test',
      async send(events) {
        await gate;
        if (failWith) throw new AuditDeliveryError(failWith.message, events);
        sent.push([...events]);
      },
      async close() {},
    } satisfies AuditSink,
  };
}

describe('createAuditor()', () => {
  it('delivers every recorded event in order, in batches', async () => {
    const s = controllableSink();
    const auditor = createAuditor({ sink: s.sink, fallback: captureStream().stream, batchSize: 10 });
    for (let i = 0; i < 25; i++) {
      await auditor.reserve();
      await auditor.record(event(i));
    }
    await auditor.close();
    expect(s.sent.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(s.sent.flat().map((e) => e.subject)).toEqual(Array.from({ length: 25 }, (_, i) => `s/connections/ep-${i}`));
    expect(auditor.delivered).toBe(25);
  });

  it('never lets more than maxUnaudited actions be unaudited: reserve waits for delivery', async () => {
    const s = controllableSink();
    s.hold();
    const auditor = createAuditor({ sink: s.sink, fallback: captureStream().stream, batchSize: 2, maxUnaudited: 4 });
    let started = 0;
    const actions = Array.from({ length: 10 }, async (_, i) => {
      await auditor.reserve();
      started++;
      await auditor.record(event(i));
    });
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(4);
    s.release();
    await Promise.all(actions);
    await auditor.close();
    expect(s.sent.flat()).toHaveLength(10);
  });

  it('when the sink fails for good: writes unsent events to the fallback, refuses new actions, and fails close', async () => {
    const s = controllableSink();
    const err = captureStream();
    const auditor = createAuditor({ sink: s.sink, fallback: err.stream, batchSize: 10 });
    for (let i = 0; i < 3; i++) {
      await auditor.reserve();
      await auditor.record(event(i));
    }
    s.failNext(new Error('queue unreachable'));
    await expect(auditor.flush()).rejects.toBeInstanceOf(AuditFailedError);
    await expect(auditor.reserve()).rejects.toThrow(/audit sink test failed: queue unreachable/);
    await expect(auditor.close()).rejects.toBeInstanceOf(AuditFailedError);
    const lines = err.json<FallbackLine>();
    expect(lines.map((l) => [l.fallback, l.event.subject])).toEqual([
      [true, 's/connections/ep-0'],
      [true, 's/connections/ep-1'],
      [true, 's/connections/ep-2'],
    ]);
    expect(auditor.failed).toBeInstanceOf(AuditFailedError);
  });

  it('writes an event recorded after the failure to the fallback too', async () => {
    const s = controllableSink();
    const err = captureStream();
    const auditor = createAuditor({ sink: s.sink, fallback: err.stream, batchSize: 1 });
    s.failNext(new Error('down'));
    await auditor.reserve();
    await expect(auditor.record(event(0))).rejects.toBeInstanceOf(AuditFailedError);
    await expect(auditor.emit(event(1))).rejects.toBeInstanceOf(AuditFailedError);
    expect(err.json<FallbackLine>().map((l) => l.event.subject)).toEqual(['s/connections/ep-0', 's/connections/ep-1']);
  });
});
