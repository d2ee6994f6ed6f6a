import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `npx serverless package` (osls) must work offline with no AWS account: dummy credentials,
// no network. Packaging all three functions takes a few seconds.
const ROOT = join(__dirname, '../..');
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json & Record<string, unknown>;
}
interface Template {
  Resources: Record<string, Resource>;
}

let out: string;
let template: Template;
const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const resource = (name: string) => {
  const r = template.Resources[name];
  if (!r) throw new Error(`no resource ${name} in the template; have ${Object.keys(template.Resources).join(', ')}`);
  return r;
};

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'vpcep-package-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: out,
    AWS_ACCESS_KEY_ID: 'AKIAPACKAGETEST00000',
    AWS_SECRET_ACCESS_KEY: 'package-test-not-a-secret',
    AWS_REGION: 'eu-central-1',
    HUAWEICLOUD_SDK_PROJECT_ID: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  };
  await promisify(execFile)(process.execPath, [SERVERLESS, 'package', '--stage', 'dev', '--package', out], { cwd: ROOT, env, timeout: 170_000 });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('serverless.yml, packaged (npx serverless package --stage dev)', () => {
  it('has the three functions on nodejs24.x with their handlers', () => {
    const functions = Object.fromEntries(resources('AWS::Lambda::Function').map(([name, r]) => [name, { runtime: r.Properties.Runtime, handler: r.Properties.Handler }]));
    expect(functions).toEqual({
      SweepLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/sweep.handler' },
      ComplianceLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/compliance.handler' },
      ReviewLambdaFunction: { runtime: 'nodejs24.x', handler: 'functions/review.handler' },
    });
  });

  it('schedules the sweep every 5 minutes and compliance daily', () => {
    const schedules = resources('AWS::Events::Rule').map(([, r]) => ({
      expression: r.Properties.ScheduleExpression,
      state: r.Properties.State,
      target: (r.Properties.Targets as { Arn: { 'Fn::GetAtt': string[] } }[]).map((t) => t.Arn['Fn::GetAtt'][0]),
    }));
    expect(schedules).toEqual(
      expect.arrayContaining([
        { expression: 'rate(5 minutes)', state: 'ENABLED', target: ['SweepLambdaFunction'] },
        { expression: 'rate(1 day)', state: 'ENABLED', target: ['ComplianceLambdaFunction'] },
      ]),
    );
    expect(schedules).toHaveLength(2);
  });

  it('routes POST /review of an HTTP API to the review function, and nothing else', () => {
    const routes = resources('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['POST /review']);
    const integration = resources('AWS::ApiGatewayV2::Integration').map(([, r]) => r.Properties.IntegrationUri);
    expect(JSON.stringify(integration)).toContain('ReviewLambdaFunction');
  });

  it('has the audit queue, encrypted, redriving to an encrypted dead-letter queue', () => {
    const queues = resources('AWS::SQS::Queue').map(([name]) => name).sort();
    expect(queues).toEqual(['AuditDeadLetterQueue', 'AuditQueue']);
    const audit = resource('AuditQueue').Properties;
    expect(audit.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'Arn'] }, maxReceiveCount: expect.any(Number) });
    for (const name of queues) {
      const p = resource(name).Properties;
      expect(p.SqsManagedSseEnabled === true || typeof p.KmsMasterKeyId === 'string').toBe(true);
    }
  });

  it('scopes the role: SendMessage on the audit queue, GetParameters on the two named parameters, logs', () => {
    const role = resource('IamRoleLambdaExecution').Properties as { Policies: { PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown }[] } }[] };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const nonLogs = statements.filter((s) => !s.Action.every((a) => a.startsWith('logs:')));
    expect(nonLogs).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['AuditQueue', 'Arn'] } },
      { Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: [expect.anything(), expect.anything()] },
    ]);
    const parameterArns = (nonLogs[1]!.Resource as { 'Fn::Join': [string, unknown[]] }[]).map((r) => JSON.stringify(r['Fn::Join'][1]));
    expect(parameterArns[0]).toMatch(/":parameter\/vpcep-approver\/dev\/huawei-credentials"\]$/);
    expect(parameterArns[1]).toMatch(/":parameter\/vpcep-approver\/dev\/webhook-secret"\]$/);
    // No wildcard action anywhere; the logs statements are the framework's own, on this service's groups.
    expect(statements.flatMap((s) => s.Action).filter((a) => a.includes('*'))).toEqual([]);
    expect(JSON.stringify(statements.filter((s) => s.Action.every((a) => a.startsWith('logs:'))))).toContain('log-group:/aws/lambda/vpcep-approver-dev');
  });

  it('tells each function the queue, the bundled policy and the parameter names the role may read', () => {
    for (const [, fn] of resources('AWS::Lambda::Function')) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        AUDIT_QUEUE_URL: { Ref: 'AuditQueue' },
        POLICY_FILE: 'policies/policy.yaml',
        HUAWEICLOUD_SDK_REGION: expect.any(String),
        HUAWEICLOUD_SDK_PROJECT_ID: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        HUAWEICLOUD_CREDENTIALS_SECRET: '/vpcep-approver/dev/huawei-credentials',
        WEBHOOK_SECRET_NAME: '/vpcep-approver/dev/webhook-secret',
      });
    }
  });

  it('keeps logs for a bounded time', () => {
    const groups = resources('AWS::Logs::LogGroup').map(([, r]) => [r.Properties.LogGroupName, r.Properties.RetentionInDays]);
    expect(groups).toEqual(
      expect.arrayContaining(['sweep', 'compliance', 'review'].map((f) => [`/aws/lambda/vpcep-approver-dev-${f}`, expect.any(Number)])),
    );
    expect(groups.every(([, days]) => typeof days === 'number' && days > 0)).toBe(true);
  });

  it('packages each function alone with the bundled policy and without node_modules or the AWS SDK', () => {
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip')).sort();
    expect(zips).toEqual(['compliance.zip', 'review.zip', 'sweep.zip']);
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
