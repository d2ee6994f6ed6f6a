import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Context, ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';

import type { AuditEvent } from '../../lib/audit/event';
import { loadSimulatorStateFile, Simulator, startSimulator } from '../../lib/simulator';
import { lambdaContext, scheduledEvent } from '../support/lambda';
import { apiEnv } from '../support/simulator';
import { auditQueueEnv, drain, LocalSqs, startLocalSqs } from './support/sqs-server';

/**
 * The deployed entry point itself: functions/sweep.ts imported as Lambda imports it, configured
 * by nothing but the environment serverless.yml sets (CONTRACT section 4), sending its audit
 * events to a real SQS-compatible queue through the AWS SDK's own configuration.
 */
const ROOT = join(__dirname, '../..');
const AK = 'ENTRYPOINTAK00000001';
const SK = 'entry-point-secret';

describe('functions/sweep.ts and functions/archiver.ts as deployed', () => {
  let sweepEvents: AuditEvent[] = [];
  let sim: Simulator;
  let sqs: LocalSqs;
  const saved = { ...process.env };
  afterAll(async () => {
    process.env = saved;
    await sim?.stop();
    await sqs?.stop();
  });

  it('reviews every service on its schedule and sends one audit event per action to AUDIT_QUEUE_URL', async () => {
    sim = await startSimulator({
      state: await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json')),
      credentials: { ak: AK, sk: SK },
    });
    sqs = await startLocalSqs();
    const queueUrl = await sqs.createQueue('entry-audit');
    process.env = {
      PATH: saved.PATH,
      ...apiEnv(sim, { ak: AK, sk: SK }),
      POLICY_FILE: join(ROOT, 'policies/examples/demo-policy.yaml'),
      ...auditQueueEnv(sqs, queueUrl),
    };
    let handler: (event: ScheduledEvent, context: Context) => Promise<{ actions: { type: string; outcome: string }[] }>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../functions/sweep') as typeof import('../../functions/sweep')).handler;
    });
    const summary = await handler!(scheduledEvent(), lambdaContext('sweep'));

    expect(summary.actions.map((a) => `${a.type} ${a.outcome}`)).toEqual([
      'whitelist.add succeeded',
      'whitelist.remove succeeded',
      'connection.accept succeeded',
      'connection.reject succeeded',
      'whitelist.remove succeeded',
      'whitelist.remove succeeded',
    ]);
    const received = await drain(sqs.client(), queueUrl);
    expect(received.map((r) => r.body.type).sort()).toEqual(
      [
        'vpcep.connection.accept',
        'vpcep.connection.reject',
        'vpcep.run.completed',
        'vpcep.whitelist.add',
        'vpcep.whitelist.remove',
        'vpcep.whitelist.remove',
        'vpcep.whitelist.remove',
      ].sort(),
    );
    expect(
      received.every((r) => r.body.data.trigger === 'schedule' && r.body.data.run_id === received[0]!.body.data.run_id),
    ).toBe(true);
    sweepEvents = received.map((r) => r.body);
  });

  it("functions/archiver.ts stores those events in ARCHIVE_BUCKET through the AWS SDK's own configuration", async () => {
    expect(sweepEvents.length).toBeGreaterThan(0);
    const s3 = new S3Client({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'entry-archive' }));
    process.env = {
      PATH: saved.PATH,
      ARCHIVE_BUCKET: 'entry-archive',
      AWS_ENDPOINT_URL_S3: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../functions/archiver') as typeof import('../../functions/archiver')).handler;
    });
    const records = sweepEvents.map(
      (body, i) =>
        ({
          messageId: `entry-${i}`,
          body: JSON.stringify(body),
          attributes: { SentTimestamp: String(Date.now()) },
        }) as unknown as SQSRecord,
    );
    const context = { awsRequestId: 'entry-2', functionName: 'vpcep-approver-test-archiver' } as unknown as Context;
    expect(await handler!({ Records: records }, context)).toEqual({ batchItemFailures: [] });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'entry-archive' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      expect.stringMatching(/^events\/dt=\d{4}-\d{2}-\d{2}\/[0-9a-f]{64}\.jsonl\.gz$/),
    ]);
    s3.destroy();
  });
});
