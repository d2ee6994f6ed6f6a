import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { LEASE_TABLE_ACTIONS } from '../../lib/lease/dynamodb-table';
import { PROJECT } from '../support/ids';

// `npx serverless package` (osls) must work offline with no AWS account: dummy credentials,
// no network. Two runs in the whole suite: one stage that packages (its template is shared by
// every test here) and one that must fail.
const ROOT = join(__dirname, '../..');
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json & Record<string, unknown>;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Conditions: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let out: string;
let template: Template;
const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const resource = (name: string) => {
  const r = template.Resources[name];
  if (!r) throw new Error(`no resource ${name} in the template; have ${Object.keys(template.Resources).join(', ')}`);
  return r;
};
const FUNCTIONS = {
  sweep: 'SweepLambdaFunction',
  compliance: 'ComplianceLambdaFunction',
  review: 'ReviewLambdaFunction',
  archiver: 'ArchiverLambdaFunction',
} as const;
const env = (fn: string) => (resource(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const roleOf = (fn: string) => (resource(fn).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const statementsOf = (role: string) =>
  (resource(role).Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** The statements granting `action`, their resources as JSON text (to find parameter names, table refs). */
const grants = (role: string, action: string) =>
  statementsOf(role)
    .filter((s) => actions(s).includes(action))
    .map((s) => JSON.stringify(s.Resource));

function packageEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: out,
    AWS_ACCESS_KEY_ID: 'AKIAPACKAGETEST00000',
    AWS_SECRET_ACCESS_KEY: 'package-test-not-a-secret',
    AWS_REGION: 'eu-central-1',
    ...extra,
  };
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'vpcep-package-'));
  await promisify(execFile)(process.execPath, [SERVERLESS, 'package', '--stage', 'dev', '--package', out], {
    cwd: ROOT,
    env: packageEnv({ HUAWEICLOUD_SDK_PROJECT_ID: PROJECT }),
    timeout: 170_000,
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('serverless.yml, packaged (npx serverless package --stage dev)', () => {
  it('has the four functions on nodejs24.x with their handlers, the archiver only with the archive', () => {
    const functions = Object.fromEntries(
      resources('AWS::Lambda::Function').map(([name, r]) => [
        name,
        { runtime: r.Properties.Runtime, handler: r.Properties.Handler },
      ]),
    );
    expect(functions).toEqual({
      SweepLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/sweep.handler' },
      ComplianceLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/compliance.handler' },
      ReviewLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/review.handler' },
      ArchiverLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/archiver.handler' },
    });
    expect(resource('ArchiverLambdaFunction').Condition).toBe('ArchiveEnabled');
    expect(template.Conditions.ArchiveEnabled).toEqual({ 'Fn::Equals': ['archive-true', 'archive-true'] });
  });

  it('schedules the sweep every 5 minutes and compliance at a fixed time', () => {
    const schedules = resources('AWS::Events::Rule').map(([, r]) => ({
      expression: r.Properties.ScheduleExpression,
      state: r.Properties.State,
      target: (r.Properties.Targets as { Arn: { 'Fn::GetAtt': string[] } }[]).map((t) => t.Arn['Fn::GetAtt'][0]),
    }));
    expect(schedules).toEqual(
      expect.arrayContaining([
        { expression: 'rate(5 minutes)', state: 'ENABLED', target: ['SweepLambdaFunction'] },
        { expression: 'cron(0 6 * * ? *)', state: 'ENABLED', target: ['ComplianceLambdaFunction'] },
      ]),
    );
    expect(schedules).toHaveLength(2);
  });

  it('runs one sweep and one compliance run at a time, and drops a scheduled event older than a minute', () => {
    for (const fn of [FUNCTIONS.sweep, FUNCTIONS.compliance]) {
      expect(resource(fn).Properties.ReservedConcurrentExecutions).toBe(1);
      const [, config] = resources('AWS::Lambda::EventInvokeConfig').find(
        ([, r]) => (r.Properties.FunctionName as { Ref: string }).Ref === fn,
      )!;
      expect(config.Properties).toMatchObject({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
    }
  });

  it('routes POST /review of a throttled, access-logged HTTP API to a capped review function, and nothing else', () => {
    const routes = resources('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['POST /review']);
    const integration = resources('AWS::ApiGatewayV2::Integration').map(([, r]) => r.Properties.IntegrationUri);
    expect(JSON.stringify(integration)).toContain('ReviewLambdaFunction');
    expect(resource(FUNCTIONS.review).Properties.ReservedConcurrentExecutions).toBe(5);
    const stage = resource('HttpApiStage').Properties;
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    expect(stage.AccessLogSettings).toEqual({
      DestinationArn: { 'Fn::GetAtt': ['HttpApiAccessLogGroup', 'Arn'] },
      Format: expect.stringContaining('$context.status'),
    });
  });

  it('has the audit queue, encrypted, redriving to an encrypted dead-letter queue, consumed by the archiver with partial batch responses', () => {
    const queues = resources('AWS::SQS::Queue')
      .map(([name]) => name)
      .sort();
    expect(queues).toEqual(['AuditDeadLetterQueue', 'AuditQueue']);
    const audit = resource('AuditQueue').Properties;
    expect(audit.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'Arn'] },
      maxReceiveCount: expect.any(Number),
    });
    for (const name of queues) expect(resource(name).Properties.SqsManagedSseEnabled).toBe(true);
    const mappings = resources('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Condition).toBe('ArchiveEnabled');
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['AuditQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // The queue hides a message in flight longer than the archiver may take with it.
    expect(audit.VisibilityTimeout as number).toBeGreaterThanOrEqual(
      6 * (resource(FUNCTIONS.archiver).Properties.Timeout as number),
    );
  });

  it('archives to an encrypted, versioned, private, retained bucket, with Object Lock (compliance mode) only when the stage asks', () => {
    const bucket = resource('ArchiveBucket');
    expect(bucket).toMatchObject({
      Condition: 'ArchiveEnabled',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      'Fn::If': [
        'ArchiveObjectLock',
        { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 0 } } },
        { Ref: 'AWS::NoValue' },
      ],
    });
    // dev leaves Object Lock off: archiveObjectLockDays is 0.
    expect(JSON.stringify(template.Conditions.ArchiveObjectLock)).toContain('["days-0","days-0"]');
    expect(env(FUNCTIONS.archiver)).toEqual({ ARCHIVE_BUCKET: { Ref: 'ArchiveBucket' } });
  });

  it('has the lease table: on demand, key pk, TTL on ttl, retained', () => {
    const table = resource('LeaseTable');
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('creates the brake parameter, enforcing by default', () => {
    expect(resource('EnforceParameter').Properties).toMatchObject({
      Name: '/vpcep-approver/dev/enforce',
      Type: 'String',
      Value: 'true',
    });
  });

  it('retains queues, log groups, the table and the bucket, none with a fixed physical name', () => {
    const retained = Object.entries(template.Resources)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([name]) => name)
      .sort();
    expect(retained).toEqual(
      [
        'ArchiveBucket',
        'ArchiverLogGroup',
        'AuditDeadLetterQueue',
        'AuditQueue',
        'ComplianceLogGroup',
        'HttpApiAccessLogGroup',
        'LeaseTable',
        'ReviewLogGroup',
        'SweepLogGroup',
      ].sort(),
    );
    for (const name of retained) {
      const props = resource(name).Properties ?? {};
      expect([
        name,
        Object.keys(props).filter((k) => /^(QueueName|BucketName|TableName|LogGroupName)$/.test(k)),
      ]).toEqual([name, []]);
    }
    // Every resource of those kinds is retained (no log group the framework made on the side).
    for (const type of ['AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::DynamoDB::Table'])
      expect(resources(type).every(([, r]) => r.DeletionPolicy === 'Retain')).toBe(true);
  });

  it('gives each function its own role, with only its own parameters', () => {
    expect(
      resources('AWS::IAM::Role')
        .map(([name]) => name)
        .sort(),
    ).toEqual(['ArchiverRole', 'ComplianceRole', 'ReviewRole', 'SweepRole']);
    expect(Object.values(FUNCTIONS).map(roleOf)).toEqual(['SweepRole', 'ComplianceRole', 'ReviewRole', 'ArchiverRole']);
    const credentials = expect.stringMatching(/:parameter\/vpcep-approver\/dev\/huawei-credentials"\]\]\}$/);
    const webhook = /webhook-secret/;
    // The brake: every function that changes anything may read it, the webhook's included.
    const brake = expect.stringMatching(/:parameter\/vpcep-approver\/dev\/enforce"\]\]\}$/);
    for (const role of ['SweepRole', 'ComplianceRole']) {
      expect(grants(role, 'ssm:GetParameters')).toEqual([credentials]);
      expect(grants(role, 'ssm:GetParameter')).toEqual([brake]);
      expect(JSON.stringify(statementsOf(role))).not.toMatch(webhook);
    }
    expect(grants('ReviewRole', 'ssm:GetParameters')).toEqual([
      expect.stringMatching(/huawei-credentials.*webhook-secret/),
    ]);
    expect(grants('ReviewRole', 'ssm:GetParameter')).toEqual([brake]);
    expect(JSON.stringify(statementsOf('ArchiverRole'))).not.toMatch(/ssm:|dynamodb:|sqs:SendMessage/);
    for (const role of ['SweepRole', 'ComplianceRole', 'ReviewRole']) {
      expect(grants(role, 'sqs:SendMessage')).toEqual([JSON.stringify({ 'Fn::GetAtt': ['AuditQueue', 'Arn'] })]);
      // Exactly the actions the lease and webhook stores call, on the lease table only.
      for (const a of LEASE_TABLE_ACTIONS)
        expect(grants(role, a)).toEqual([JSON.stringify({ 'Fn::GetAtt': ['LeaseTable', 'Arn'] })]);
      expect(
        statementsOf(role)
          .flatMap(actions)
          .filter((a) => a.startsWith('dynamodb:'))
          .sort(),
      ).toEqual([...LEASE_TABLE_ACTIONS].sort());
      expect(grants(role, 's3:PutObject')).toEqual([]);
    }
    expect(grants('ArchiverRole', 's3:PutObject')).toEqual([expect.stringContaining('ArchiveBucket')]);
    expect(grants('ArchiverRole', 'sqs:ReceiveMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': ['AuditQueue', 'Arn'] }),
    ]);
    // Logs only to the function's own group; no wildcard action anywhere.
    for (const [fn, role] of [
      ['Sweep', 'SweepRole'],
      ['Compliance', 'ComplianceRole'],
      ['Review', 'ReviewRole'],
      ['Archiver', 'ArchiverRole'],
    ] as const) {
      expect(grants(role, 'logs:PutLogEvents')).toEqual([JSON.stringify({ 'Fn::GetAtt': [`${fn}LogGroup`, 'Arn'] })]);
      expect(
        statementsOf(role)
          .flatMap(actions)
          .filter((a) => a.includes('*')),
      ).toEqual([]);
    }
  });

  it('gives each function only the environment it uses: the webhook secret to review only', () => {
    const common = {
      AUDIT_QUEUE_URL: { Ref: 'AuditQueue' },
      POLICY_FILE: 'policies/policy.yaml',
      HUAWEICLOUD_SDK_REGION: expect.any(String),
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
      VPCEP_ENDPOINT: '',
      HUAWEICLOUD_CREDENTIALS_SECRET: '/vpcep-approver/dev/huawei-credentials',
      VPCEP_LEASE_TABLE: { Ref: 'LeaseTable' },
      VPCEP_MAX_REVOCATIONS: '10',
      VPCEP_ANNOTATE: 'false',
    };
    expect(env(FUNCTIONS.sweep)).toEqual({ ...common, VPCEP_ENFORCE_PARAMETER: '/vpcep-approver/dev/enforce' });
    expect(env(FUNCTIONS.compliance)).toEqual({ ...common, VPCEP_ENFORCE_PARAMETER: '/vpcep-approver/dev/enforce' });
    expect(env(FUNCTIONS.review)).toEqual({
      ...common,
      WEBHOOK_SECRET_NAME: '/vpcep-approver/dev/webhook-secret',
      VPCEP_ENFORCE_PARAMETER: '/vpcep-approver/dev/enforce',
    });
  });

  it("logs JSON at the stage's level to one retained group per function, kept for a bounded time", () => {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      const group = `${name[0]!.toUpperCase()}${name.slice(1)}LogGroup`;
      expect(resource(fn).Properties.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: group },
      });
    }
    for (const [, group] of resources('AWS::Logs::LogGroup'))
      expect(Number(group.Properties.RetentionInDays)).toBeGreaterThan(0);
  });

  describe('alarms', () => {
    const alarms = () => resources('AWS::CloudWatch::Alarm');
    const alarm = (name: string) =>
      resource(name).Properties as Json & { Dimensions?: { Name: string; Value: unknown }[] };

    it('all go to the alarm topic, which has an e-mail subscription when the stage names an address', () => {
      expect(resources('AWS::SNS::Topic').map(([n]) => n)).toEqual(['AlarmTopic']);
      expect(resource('AlarmEmailSubscription')).toMatchObject({
        Condition: 'HasAlarmEmail',
        Properties: { Protocol: 'email', TopicArn: { Ref: 'AlarmTopic' } },
      });
      // Errors x4, webhook 5xx, heartbeat, duration x2, dead letters, queue age, failed actions x2, allowed pending age.
      expect(alarms()).toHaveLength(13);
      for (const [, a] of alarms()) expect(a.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    });

    it('watch the errors of every function', () => {
      for (const fn of Object.values(FUNCTIONS)) {
        expect(
          alarms().some(
            ([, a]) =>
              a.Properties.MetricName === 'Errors' &&
              JSON.stringify(a.Properties.Dimensions) ===
                JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fn } }]),
          ),
        ).toBe(true);
      }
    });

    it("watch the webhook's 5xx answers, which are not invocation errors", () => {
      expect(alarm('ReviewServerErrorsAlarm')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [
          { Name: 'ApiId', Value: { Ref: 'HttpApi' } },
          { Name: 'Stage', Value: '$default' },
        ],
      });
    });

    it('fire when no sweep succeeded for three periods, missing data breaching', () => {
      const heartbeat = alarm('SweepHeartbeatAlarm');
      expect(heartbeat).toMatchObject({
        TreatMissingData: 'breaching',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
      });
      const metrics = heartbeat.Metrics as {
        Id: string;
        ReturnData?: boolean;
        Expression?: string;
        MetricStat?: { Period: number; Metric: { MetricName: string } };
      }[];
      expect(metrics.find((m) => m.ReturnData !== false && m.Expression)?.Expression).toBe(
        'invocations - FILL(errors, 0)',
      );
      expect(
        metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Period]),
      ).toEqual([
        ['Invocations', 900],
        ['Errors', 900],
      ]);
    });

    it("watch durations near the timeouts, the dead-letter queue, and the audit queue's age when the archive is off", () => {
      expect(alarm('SweepDurationAlarm')).toMatchObject({
        MetricName: 'Duration',
        Statistic: 'Maximum',
        Threshold: 0.8 * 240_000,
      });
      expect(alarm('ComplianceDurationAlarm')).toMatchObject({ MetricName: 'Duration', Threshold: 0.8 * 900_000 });
      expect(alarm('AuditDeadLetterAlarm')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        Dimensions: [{ Value: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'QueueName'] } }],
      });
      expect(resource('AuditQueueAgeAlarm').Condition).toBe('ArchiveDisabled');
      expect(alarm('AuditQueueAgeAlarm')).toMatchObject({
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Value: { 'Fn::GetAtt': ['AuditQueue', 'QueueName'] } }],
      });
    });

    it("watch failed actions and the outcome heartbeat from the runs' own metrics, by function and scope", () => {
      for (const [name, fn, scope] of [
        ['SweepFailedActionsAlarm', FUNCTIONS.sweep, 'sweep'],
        ['ComplianceFailedActionsAlarm', FUNCTIONS.compliance, 'compliance'],
      ] as const) {
        expect(alarm(name)).toMatchObject({
          Namespace: 'vpcep-approver',
          MetricName: 'ActionsFailed',
          Statistic: 'Sum',
          Threshold: 0,
          Dimensions: [
            { Name: 'function', Value: { Ref: fn } },
            { Name: 'scope', Value: scope },
          ],
        });
      }
      expect(alarm('AllowedPendingAgeAlarm')).toMatchObject({
        Namespace: 'vpcep-approver',
        MetricName: 'OldestAllowedPendingAge',
        Statistic: 'Maximum',
        Threshold: 600,
        Period: 300,
      });
    });
  });

  it('packages each function alone, small, without node_modules or the AWS SDK', () => {
    const zips = readdirSync(out)
      .filter((f) => f.endsWith('.zip'))
      .sort();
    expect(zips).toEqual(['archiver.zip', 'compliance.zip', 'review.zip', 'sweep.zip']);
    for (const zip of zips) {
      // Entry names are stored uncompressed in a zip's central directory.
      const bytes = readFileSync(join(out, zip));
      expect(bytes.includes(`functions/${zip.replace('.zip', '.js')}`)).toBe(true);
      expect(bytes.includes('policies/policy.yaml')).toBe(true);
      expect(bytes.includes('node_modules/')).toBe(false);
      // A small bundle: the AWS SDK v3 comes with the nodejs24.x runtime.
      expect(statSync(join(out, zip)).size).toBeLessThan(1024 * 1024);
    }
  });
});

describe('serverless package of a stage without a target', () => {
  it('fails before building anything, naming the param to set', async () => {
    const failed = await promisify(execFile)(
      process.execPath,
      [SERVERLESS, 'package', '--stage', 'prod', '--package', join(out, 'prod')],
      { cwd: ROOT, env: packageEnv({}), timeout: 120_000 },
    ).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed).toBeDefined();
    expect(`${failed!.stdout}${failed!.stderr}`).toContain('stage prod has no target: set params.prod.huaweiProjectId');
    expect(readdirSync(out)).not.toContain('prod');
  }, 130_000);
});
