import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SendMessageBatchCommand, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';

import { AuditEvent, buildActionEvent } from '../../../lib/audit/event';
import { createFileSink, createStreamSink } from '../../../lib/audit/file-sink';
import { AuditDeliveryError, createFanoutSink } from '../../../lib/audit/sink';
import { createSqsSink, splitBatches } from '../../../lib/audit/sqs-sink';
import { parseJson } from '../../support/json';
import { actionFactory, runContextFactory } from '../../support/records';

const run = runContextFactory({ projectId: 'p', policySha256: '00' });
function events(n: number, reason = 'ok'): AuditEvent[] {
  return Array.from({ length: n }, (_, i) =>
    buildActionEvent(
      run,
      {
        ...actionFactory({ service_id: `svc-${i % 3}`, endpoint_id: `ep-${i}`, domain_id: 'd', reason }),
        outcome: 'succeeded',
      },
      new Date(0),
    ),
  );
}

/** A fake SQS that records every batch and fails entries as scripted. */
function fakeSqs(
  script: (call: number, entryIds: string[]) => SendMessageBatchCommandOutput['Failed'] | Error = () => [],
) {
  const calls: SendMessageBatchCommand['input'][] = [];
  return {
    calls,
    client: {
      async send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput> {
        calls.push(command.input);
        const result = script(
          calls.length,
          (command.input.Entries ?? []).map((e) => e.Id!),
        );
        if (result instanceof Error) throw result;
        return { Failed: result, Successful: [], $metadata: {} };
      },
    },
  };
}
const noSleep = async () => {};

describe('splitBatches()', () => {
  it('makes batches of at most 10 entries', () => {
    expect(splitBatches(events(25)).map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('keeps each batch under 256 KiB', () => {
    const big = events(10, 'x'.repeat(60 * 1024));
    const batches = splitBatches(big);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches)
      expect(Buffer.byteLength(b.map((e) => JSON.stringify(e)).join(''))).toBeLessThan(256 * 1024);
    expect(batches.flat()).toEqual(big);
  });

  it('refuses an event larger than one SQS message', () => {
    expect(() => splitBatches(events(1, 'x'.repeat(300 * 1024)))).toThrow(/over the SQS limit/);
  });
});

describe('createSqsSink()', () => {
  it('sends events with type and subject attributes, in order', async () => {
    const sqs = fakeSqs();
    await createSqsSink({ client: sqs.client, queueUrl: 'http://127.0.0.1/000/audit', sleep: noSleep }).send(
      events(12),
    );
    expect(sqs.calls).toHaveLength(2);
    const first = sqs.calls[0]!.Entries![0]!;
    expect(JSON.parse(first.MessageBody!)).toMatchObject({
      type: 'vpcep.connection.accept',
      subject: 'svc-0/connections/ep-0',
    });
    expect(first.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'vpcep.connection.accept' },
      subject: { DataType: 'String', StringValue: 'svc-0/connections/ep-0' },
    });
    expect(first.MessageGroupId).toBeUndefined();
  });

  it('on a FIFO queue groups by service and deduplicates by event id', async () => {
    const sqs = fakeSqs();
    const evs = events(2);
    await createSqsSink({ client: sqs.client, queueUrl: 'http://127.0.0.1/000/audit.fifo' }).send(evs);
    expect(sqs.calls[0]!.Entries!.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
      ['svc-0', evs[0]!.id],
      ['svc-1', evs[1]!.id],
    ]);
  });

  it('retries only the entries SQS reports as failed, with backoff', async () => {
    const delays: number[] = [];
    const sqs = fakeSqs((call) =>
      call === 1
        ? [
            { Id: '1', Code: 'InternalError', SenderFault: false },
            { Id: '3', Code: 'InternalError', SenderFault: false },
          ]
        : [],
    );
    const evs = events(5);
    await createSqsSink({
      client: sqs.client,
      queueUrl: 'q',
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
      baseDelayMs: 100,
    }).send(evs);
    expect(sqs.calls).toHaveLength(2);
    expect(sqs.calls[1]!.Entries!.map((e) => parseJson<AuditEvent>(e.MessageBody!).id)).toEqual([
      evs[1]!.id,
      evs[3]!.id,
    ]);
    expect(delays).toEqual([50]);
  });

  it('gives up after maxAttempts and reports the undelivered events, later batches included', async () => {
    const sqs = fakeSqs(() => new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const evs = events(15);
    const err = await createSqsSink({ client: sqs.client, queueUrl: 'q', sleep: noSleep, maxAttempts: 3 })
      .send(evs)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditDeliveryError);
    expect((err as AuditDeliveryError).message).toMatch(/after 3 attempt\(s\): Error: connect ECONNREFUSED/);
    expect((err as AuditDeliveryError).undelivered).toEqual(evs);
    expect(sqs.calls).toHaveLength(3);
  });

  it('does not retry an entry the sender is at fault for', async () => {
    const sqs = fakeSqs(() => [{ Id: '0', Code: 'InvalidParameterValue', Message: 'bad', SenderFault: true }]);
    const err = await createSqsSink({ client: sqs.client, queueUrl: 'q', sleep: noSleep })
      .send(events(1))
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/InvalidParameterValue: bad/);
    expect(sqs.calls).toHaveLength(1);
  });
});

describe('createFileSink()', () => {
  it('appends JSON Lines and keeps what the file already had', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    const path = join(dir, 'audit.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const sink = createFileSink(path);
    const evs = events(3);
    await sink.send(evs.slice(0, 2));
    await sink.send(evs.slice(2));
    await sink.close();
    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => parseJson<unknown>(l));
    expect(lines).toEqual([{ earlier: true }, ...evs]);
  });

  it('starts on a new line when the file ends mid-line (an earlier write cut short)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    const path = join(dir, 'audit.jsonl');
    await writeFile(path, '{"earlier":true}\n{"truncat');
    const sink = createFileSink(path);
    await sink.probe!();
    const evs = events(2);
    await sink.send(evs.slice(0, 1));
    await sink.send(evs.slice(1));
    await sink.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['{"earlier":true}', '{"truncat']);
    expect(lines.slice(2).map((l) => parseJson<unknown>(l))).toEqual(evs);
  });

  it('names the file when it cannot write', async () => {
    const sink = createFileSink('/nonexistent-dir/audit.jsonl');
    await expect(sink.send(events(1))).rejects.toThrow(
      /cannot append 1 audit event\(s\) to \/nonexistent-dir\/audit.jsonl/,
    );
  });
});

describe('createFanoutSink()', () => {
  it('delivers to every sink and fails when one fails', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d) => (out += d));
    const sqs = fakeSqs(() => new Error('down'));
    const fan = createFanoutSink([
      createStreamSink(stream),
      createSqsSink({ client: sqs.client, queueUrl: 'q', sleep: noSleep, maxAttempts: 1 }),
    ]);
    await expect(fan.send(events(2))).rejects.toBeInstanceOf(AuditDeliveryError);
    expect(out.trimEnd().split('\n')).toHaveLength(2);
  });
});
