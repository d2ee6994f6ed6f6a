import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

import { parseEvent } from '../../lib/archive/archive-batch';
import { buildActionEvent } from '../../lib/audit/event';
import { createArchiverHandler } from '../../lib/lambda/archiver';
import { createJsonLogger } from '../../lib/logger';
import { Simulator, startSimulator } from '../../lib/simulator';
import { isoDay } from '../../lib/time';
import { runCliProcess } from '../support/cli-process';
import { PARTNER } from '../support/ids';
import { actionFactory, runContextFactory } from '../support/records';
import { apiEnv } from '../support/simulator';
import { auditQueueEnv, LocalSqs, startLocalSqs } from './support/sqs-server';

// End to end: `apply` sends its audit events to a local SQS-compatible server (fauxqs, which also
// serves S3); the archiver handler gets the received messages in Lambda's SQS event shape, one
// poisoned message among them, and every event is read back from the bucket.

const AK = 'TESTAKARCHIVE0000001';
const SK = 'test-secret-key-archive';
const PROJECT = 'c0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const BUCKET = 'audit-archive';

let dir: string;
let sim: Simulator;
let sqs: LocalSqs;
let s3: S3Client;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-archiver-'));
  await writeFile(
    join(dir, 'policy.yaml'),
    `version: 1\nservices:\n  - match: { name: "pay-*" }\n    allow:\n      - domain: ${PARTNER}\n`,
  );
  sim = await startSimulator({
    state: {
      project_id: PROJECT,
      services: Array.from({ length: 3 }, (_, s) => ({
        id: `svc-${s}`,
        service_name: `pay-${s}`,
        approval_enabled: true,
        connections: Array.from({ length: 3 }, (_, c) => ({
          id: `ep-${s}-${c}`,
          domain_id: PARTNER,
          status: 'pendingAcceptance',
        })),
        permissions: [{ id: `perm-${s}`, permission: `iam:domain::${PARTNER}` }],
      })),
    },
    credentials: { ak: AK, sk: SK },
  });
  sqs = await startLocalSqs();
  s3 = new S3Client({
    endpoint: sqs.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3?.destroy();
  await sim?.stop();
  await sqs?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Receives every message without deleting it, in Lambda's SQS event record shape. */
async function receiveAll(queueUrl: string): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  const client = sqs.client();
  for (let empty = 0; empty < 2;) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
      }),
    );
    if (!res.Messages?.length) {
      empty++;
      continue;
    }
    for (const m of res.Messages) {
      records.push({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: 'AIDATEST',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:audit',
        awsRegion: 'us-east-1',
      });
    }
  }
  return records;
}

async function listKeys(prefix: string): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}
async function readObject(key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

const context = { awsRequestId: 'req-archive', functionName: 'vpcep-approver-test-archiver' } as Context;

describe('archiver: apply -> audit queue -> archiver -> S3', () => {
  it('stores every event of the run, reports the poisoned message as a batch item failure and keeps it raw', async () => {
    const queueUrl = await sqs.createQueue('audit');
    const run = await runCliProcess(['apply', '--policy', join(dir, 'policy.yaml'), '--json'], {
      ...apiEnv(sim, { ak: AK, sk: SK }),
      ...auditQueueEnv(sqs, queueUrl),
    });
    expect(run.code).toBe(0);
    const poison = '{"specversion":"1.0","type":"vpcep.connection.accept", truncated';
    const sent = await sqs.client().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: poison }));

    const records = await receiveAll(queueUrl);
    // 9 accepts and the run.completed event, and the poisoned message.
    expect(records).toHaveLength(11);
    const handler = createArchiverHandler({
      s3,
      bucket: BUCKET,
      logger: createJsonLogger({ stream: process.stderr, level: 'error' }),
    });
    const event: SQSEvent = { Records: records };
    const response = await handler(event, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sent.MessageId }] });

    const eventKeys = await listKeys('events/');
    const today = isoDay(new Date());
    expect(eventKeys).toEqual([expect.stringMatching(new RegExp(`^events/dt=${today}/[0-9a-f]{64}\\.jsonl\\.gz$`))]);
    const lines = gunzipSync(await readObject(eventKeys[0]!))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const stored = lines.map((l) => JSON.parse(l) as { id: string; type: string });
    const expected = records
      .filter((r) => r.messageId !== sent.MessageId)
      .map((r) => JSON.parse(r.body) as { id: string });
    // Every event, as sent, field for field; each still a valid event of its schema.
    expect(stored).toEqual(expect.arrayContaining(expected));
    expect(stored).toHaveLength(expected.length);
    expect(lines.every((l) => parseEvent(l).ok)).toBe(true);
    expect(stored.filter((e) => e.type === 'vpcep.connection.accept')).toHaveLength(9);

    const invalid = await listKeys('invalid/');
    expect(invalid).toEqual([expect.stringMatching(new RegExp(`^invalid/dt=${today}/${sent.MessageId}$`))]);
    expect((await readObject(invalid[0]!)).toString('utf8')).toBe(poison);

    // A redelivered batch (the same messages, in another order) overwrites its own object.
    expect(await handler({ Records: [...records].reverse() }, context)).toEqual(response);
    expect(await listKeys('events/')).toEqual(eventKeys);
    expect(await listKeys('invalid/')).toEqual(invalid);
  });

  it('fails every message of a batch it cannot write, so SQS redelivers them all', async () => {
    const valid = (await listKeys('events/')).length;
    const handler = createArchiverHandler({
      s3,
      bucket: 'no-such-bucket',
      logger: createJsonLogger({ stream: process.stderr, level: 'error' }),
    });
    const records = [1, 2].map(
      (i) =>
        ({
          messageId: `m-${i}`,
          body: JSON.stringify(
            buildActionEvent(
              runContextFactory({
                runId: 'run-x',
                projectId: PROJECT,
                trigger: 'schedule',
                policySha256: 'ab'.repeat(32),
              }),
              {
                ...actionFactory({
                  service_id: 'svc-0',
                  endpoint_id: `ep-${i}`,
                  domain_id: PARTNER,
                  reason: 'allowed',
                }),
                outcome: 'succeeded',
              },
              new Date(),
            ),
          ),
          attributes: { SentTimestamp: '1764633600000' },
        }) as SQSRecord,
    );
    // Powertools throws when the whole batch failed: the invocation fails and the errors alarm sees it.
    await expect(handler({ Records: records }, context)).rejects.toThrow(/All records failed processing/);
    // The same batch with the bucket there is stored: the messages were valid, only the write failed.
    const working = createArchiverHandler({
      s3,
      bucket: BUCKET,
      logger: createJsonLogger({ stream: process.stderr, level: 'error' }),
    });
    expect(await working({ Records: records }, context)).toEqual({ batchItemFailures: [] });
    expect(await listKeys('events/')).toHaveLength(valid + 1);
  });
});
