import { join } from 'node:path';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { loadSimulatorStateFile, Simulator, startSimulator } from '../../lib/simulator';
import { drain, LocalSqs, startLocalSqs } from './support/sqs-server';

/**
 * The deployed entry point itself: functions/sweep.ts imported as Lambda imports it, configured
 * by nothing but the environment serverless.yml sets (CONTRACT section 4), sending its audit
 * events to a real SQS-compatible queue through the AWS SDK's own configuration.
 */
const ROOT = join(__dirname, '../..');
const AK = 'ENTRYPOINTAK00000001';
const SK = 'entry-point-secret';

describe('functions/sweep.ts as deployed', () => {
  let sim: Simulator;
  let sqs: LocalSqs;
  const saved = { ...process.env };
  afterAll(async () => {
    process.env = saved;
    await sim?.stop();
    await sqs?.stop();
  });

  it('reviews every service on its schedule and sends one audit event per action to AUDIT_QUEUE_URL', async () => {
    sim = await startSimulator({ state: await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json')), credentials: { ak: AK, sk: SK } });
    sqs = await startLocalSqs();
    const queueUrl = await sqs.createQueue('entry-audit');
    process.env = {
      PATH: saved.PATH,
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      VPCEP_ENDPOINT: sim.url,
      HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
      POLICY_FILE: join(ROOT, 'policies/examples/demo-policy.yaml'),
      AUDIT_QUEUE_URL: queueUrl,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    let handler: (event: ScheduledEvent, context: Context) => Promise<{ actions: { type: string; outcome: string }[] }>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../functions/sweep').handler;
    });
    const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} } as unknown as ScheduledEvent;
    const context = { awsRequestId: 'entry-1', functionName: 'vpcep-approver-test-sweep', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    const summary = await handler!(event, context);

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
      ['vpcep.connection.accept', 'vpcep.connection.reject', 'vpcep.run.completed', 'vpcep.whitelist.add', 'vpcep.whitelist.remove', 'vpcep.whitelist.remove', 'vpcep.whitelist.remove'].sort(),
    );
    expect(received.every((r) => r.body.data.trigger === 'schedule' && r.body.data.run_id === received[0]!.body.data.run_id)).toBe(true);
  });
});
