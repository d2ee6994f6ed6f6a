import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent } from 'aws-lambda';

import { RunSummary } from '../../lib/engine/run';
import { HttpResult } from '../../lib/lambda/http';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { createLambdaRunDeps } from '../../lib/lambda/run-deps';
import { createScheduledHandler } from '../../lib/lambda/scheduled';
import { coldStart } from '../../lib/lambda/setup';
import { leaseKey } from '../../lib/lease/lease';
import { createJsonLogger } from '../../lib/logger';
import { Simulator, SimulatorStateInput, startSimulator } from '../../lib/simulator';
import { signWebhook } from '../../lib/webhook/signature';
import { LOCAL_AWS_ENV, LocalDynamoDb, startLocalDynamoDb } from './support/dynamodb-server';

// Issue 9, "Done when": two sweeps and a webhook review at once against one service, with the
// lease table on a local DynamoDB-compatible server (dynalite): each action is taken once, with
// one event. Three containers (three cold starts with VPCEP_LEASE_TABLE), one simulator. The
// simulator holds each run's first read of the pending connections until all three have made it,
// so the three surveys see the same state and plan the same actions: without leases every run
// would act on them (and record each action again).

const AK = 'AKLEASEDREVIEWS000001';
const SK = 'sk-leased-reviews-secret';
const WEBHOOK_SECRET = 'whsec-leased-reviews';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const OWNER = '6e9dfd51d1124e8d8498dce894923a0d';
const PARTNER = '5fc973eea581490997e82ea11a1df31f';
const STRANGER = '1234567890abcdef1234567890abcdef';
const PAYMENTS = '4189d3c2-8882-4871-a3c2-d380272eed88';
const PENDING_ROUTE = 'GET /v1/{project_id}/vpc-endpoint-services/{service_id}/connections';

const POLICY = `version: 1
owner_domain: ${OWNER}
defaults:
  unlisted_pending: reject
services:
  - rule: payments
    match: { id: ${PAYMENTS} }
    allow:
      - domain: ${PARTNER}
`;

function scenario(): SimulatorStateInput {
  const pending = (n: number, domain: string) => ({
    id: `c0000000-0000-4000-8000-00000000000${n}`,
    domain_id: domain,
    status: 'pendingAcceptance' as const,
    marker_id: n,
    created_at: `2026-11-0${n}T10:00:00Z`,
  });
  return {
    project_id: PROJECT,
    domain_id: OWNER,
    services: [
      {
        id: PAYMENTS,
        service_name: 'payments',
        connections: [pending(1, PARTNER), pending(2, PARTNER), pending(3, PARTNER), pending(4, STRANGER)],
        permissions: [{ id: 'p0000000-0000-4000-8000-000000000001', permission: `iam:domain::${OWNER}` }],
      },
    ],
  };
}

/** Holds the first `n` requests `matches` picks until the n-th has arrived; later ones pass. */
function barrier(n: number, matches: (r: { method: string; route: string; query: URLSearchParams }) => boolean) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return async (r: { method: string; route: string; query: URLSearchParams }) => {
    if (!matches(r) || arrived >= n) return;
    if (++arrived === n) open();
    await opened;
  };
}

let dir: string;
let db: LocalDynamoDb;
let sim: Simulator;
const savedEnv: Record<string, string | undefined> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcep-leased-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  db = await startLocalDynamoDb();
  // The functions' DynamoDB client takes the AWS SDK's defaults, as deployed: point them here.
  for (const [k, v] of Object.entries({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint })) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sim?.stop();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

let invocation = 0;
function lambdaContext(functionName: string): Context {
  invocation++;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `vpcep-approver-test-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:123456789012:function:vpcep-approver-test-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `req-${invocation}`,
    logGroupName: `/aws/lambda/vpcep-approver-test-${functionName}`,
    logStreamName: '2026/12/02/[$LATEST]0',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const scheduledEvent = (): ScheduledEvent => ({
  version: '0',
  id: 'e0000000-0000-4000-8000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'eu-central-1',
  resources: ['arn:aws:events:eu-central-1:123456789012:rule/vpcep-approver-test-sweep'],
  detail: {},
});

function reviewEvent(): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ service_id: PAYMENTS });
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    version: '2.0',
    routeKey: 'POST /review',
    rawPath: '/review',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'x-vpcep-timestamp': String(timestamp),
      'x-vpcep-signature': signWebhook(WEBHOOK_SECRET, timestamp, body),
    },
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/review', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'POST /review',
      stage: '$default',
      time: '02/Dec/2026:18:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

interface AuditLine {
  type: string;
  subject: string;
  data: { run_id: string; outcome?: string; note?: string };
}

describe('two sweeps and a webhook review at once, with the lease table', () => {
  it('take each action once, with one event', async () => {
    sim = await startSimulator({
      state: scenario(),
      credentials: { ak: AK, sk: SK },
      // Some latency, so the run holding the lease is still at work when the others ask for it.
      faults: { latencyMs: 20 },
      gate: barrier(3, (r) => r.route === PENDING_ROUTE && r.query.get('status') === 'pendingAcceptance'),
    });
    const audit = new PassThrough();
    const chunks: Buffer[] = [];
    audit.on('data', (c: Buffer) => chunks.push(c));
    const env = {
      VPCEP_ENDPOINT: sim.url,
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      WEBHOOK_SECRET,
      POLICY_FILE: join(dir, 'policy.yaml'),
      VPCEP_LEASE_TABLE: db.tableName,
    };
    const container = () => {
      const base = coldStart(env, { logger: createJsonLogger({ stream: new PassThrough().resume() }) });
      // The production factory (leases from VPCEP_LEASE_TABLE); audit events to a captured stderr.
      return { ...base, createRunDeps: createLambdaRunDeps({ config: base.config, stderr: audit }) };
    };

    const [sweepA, sweepB, review] = await Promise.all([
      createScheduledHandler(container(), 'sweep')(scheduledEvent(), lambdaContext('sweep')),
      createScheduledHandler(container(), 'sweep')(scheduledEvent(), lambdaContext('sweep')),
      createReviewHandler(container())(reviewEvent(), lambdaContext('review')),
    ]);

    const events = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
    const actions = events.filter((e) => e.type !== 'vpcep.run.completed');
    // Each action once: 3 accepts, 1 reject, 1 whitelist add, all by one run, with no "changed meanwhile".
    expect(actions.map((e) => `${e.type} ${e.subject}`).sort()).toEqual(
      [
        `vpcep.connection.accept ${PAYMENTS}/connections/c0000000-0000-4000-8000-000000000001`,
        `vpcep.connection.accept ${PAYMENTS}/connections/c0000000-0000-4000-8000-000000000002`,
        `vpcep.connection.accept ${PAYMENTS}/connections/c0000000-0000-4000-8000-000000000003`,
        `vpcep.connection.reject ${PAYMENTS}/connections/c0000000-0000-4000-8000-000000000004`,
        `vpcep.whitelist.add ${PAYMENTS}`,
      ].sort(),
    );
    expect(actions.every((e) => e.data.outcome === 'succeeded' && e.data.note === undefined)).toBe(true);
    expect(new Set(actions.map((e) => e.data.run_id)).size).toBe(1);
    // The API was asked to change each thing once: 4 connection actions and 1 whitelist batch.
    expect(sim.log().filter((e) => e.method !== 'GET')).toHaveLength(5);
    expect(Object.fromEntries(sim.state().services[0]!.connections.map((c) => [c.id.slice(-1), c.status]))).toEqual({
      1: 'accepted',
      2: 'accepted',
      3: 'accepted',
      4: 'rejected',
    });

    // Every run ended well: a skipped service is not a failure; a webhook review that found the
    // lease held says so with 409 service_leased.
    expect(events.filter((e) => e.type === 'vpcep.run.completed')).toHaveLength(3);
    for (const summary of [sweepA, sweepB] as RunSummary[]) expect(summary.failed).toBe(false);
    const answer = review as HttpResult;
    expect([200, 409]).toContain(answer.statusCode);
    if (answer.statusCode === 409) {
      expect(JSON.parse(answer.body)).toMatchObject({
        error: 'service_leased',
        message: expect.stringMatching(/being reviewed by run /),
      });
      expect(answer.headers?.['retry-after']).toBe('30');
    }
    // The lease was released at the end.
    const { Item } = await db.client.send(
      new GetItemCommand({
        TableName: db.tableName,
        Key: { pk: { S: leaseKey(PROJECT, PAYMENTS) } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toBeUndefined();
  }, 60_000);
});
