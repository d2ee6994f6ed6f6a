import { AuditEvent, buildActionEvent, buildRunCompletedEvent } from '../../lib/audit/event';
import { createSqsSink } from '../../lib/audit/sqs-sink';
import { actionFactory, runCompletedDataFactory, runContextFactory } from '../support/records';
import { drain, LocalSqs, startLocalSqs } from './support/sqs-server';

const run = runContextFactory({ runId: 'run-sqs', policySha256: 'f'.repeat(64) });

function sampleEvents(n: number): AuditEvent[] {
  const evs = Array.from({ length: n }, (_, i) =>
    buildActionEvent(
      run,
      {
        ...actionFactory({
          type: i % 2 ? 'connection.reject' : 'connection.accept',
          service_id: `svc-${i % 4}`,
          endpoint_id: `ep-${i}`,
          domain_id: 'abc',
          reason: 'test',
        }),
        outcome: 'succeeded',
      },
      new Date(),
    ),
  );
  return [...evs, buildRunCompletedEvent(run, runCompletedDataFactory(), new Date())];
}

describe('SQS audit sink against a local SQS-compatible server', () => {
  let sqs: LocalSqs;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(async () => {
    await sqs?.stop();
  });

  it('delivers every event to a standard queue, readable through @aws-sdk/client-sqs', async () => {
    const queueUrl = await sqs.createQueue('audit');
    const events = sampleEvents(23);
    const sink = createSqsSink({ client: sqs.client(), queueUrl });
    await sink.send(events);
    const received = await drain(sqs.client(), queueUrl);
    expect(received.map((r) => r.body.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const r of received) expect(r.attributes).toEqual({ type: r.body.type, subject: r.body.subject });
  });

  it('delivers to a FIFO queue in order per service, grouped by service id, and drops a resent duplicate', async () => {
    const queueUrl = await sqs.createQueue('audit.fifo');
    const events = sampleEvents(12);
    const sink = createSqsSink({ client: sqs.client(), queueUrl });
    await sink.send(events);
    await sink.send(events.slice(0, 3)); // a retried send: same ids, deduplicated by SQS
    const received = await drain(sqs.client(), queueUrl);
    expect(received).toHaveLength(events.length);
    for (const r of received) expect(r.groupId).toBe((r.body.data as { service_id?: string }).service_id ?? 'run');
    for (const svc of ['svc-0', 'svc-1', 'svc-2', 'svc-3']) {
      const order = (list: AuditEvent[]) => list.filter((e) => e.data.service_id === svc).map((e) => e.id);
      expect(order(received.map((r) => r.body))).toEqual(order(events));
    }
  });
});
