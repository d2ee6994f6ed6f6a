import { PassThrough } from 'node:stream';

import { createWebhookRequestStore } from '../../lib/deps';
import { HandlerSetup } from '../../lib/lambda/handler-setup';
import { HttpResult } from '../../lib/lambda/http';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { createJsonLogger } from '../../lib/logger';
import { captureStream } from '../support/capture';
import { DENIED, PARTNER, PAYMENTS, UNMANAGED } from '../support/ids';
import { AuditEventJson } from '../support/json';
import { coldStartContainer, lambdaContext as reviewContext, signedReviewEvent } from '../support/lambda';
import {
  paymentsPolicy,
  paymentsScenario,
  scenarioConnection as pending,
  UNMANAGED_SERVICE,
} from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';
import { localDynamoDbForSdkDefaults } from './support/dynamodb-server';

// CONTRACT 4: a webhook request is idempotent on its signature across containers. Several
// review functions ("containers", each from its own cold start with VPCEP_LEASE_TABLE, so with
// its own DynamoDB client and memory) share one lease table on dynalite and one simulator.

const CREDS = { ak: 'AKIDEMPOTENCYTEST0001', sk: 'sk-idempotency-test-secret' };
const WEBHOOK_SECRET = 'whsec-idempotency-test';

const POLICY = paymentsPolicy({ allow: [{ domain: PARTNER }], deny: [DENIED] });

const scenario = () =>
  paymentsScenario(
    { connections: [pending(1, PARTNER), pending(2, PARTNER), pending(3, PARTNER), pending(4, DENIED)] },
    [UNMANAGED_SERVICE],
  );

const policies = tempFiles('vpcep-idempotency-', { 'policy.yaml': POLICY });
const db = localDynamoDbForSdkDefaults();
const startSim = simulatorPerTest();

/** `containers` review functions over one simulator (20 ms per call) and the lease table. */
async function harness(containers: number) {
  const sim = await startSim({ state: scenario(), credentials: CREDS, faults: { latencyMs: 20 } });
  const audit = captureStream();
  const env = {
    ...apiEnv(sim, CREDS),
    WEBHOOK_SECRET,
    POLICY_FILE: policies.path('policy.yaml'),
    VPCEP_LEASE_TABLE: db.tableName,
  };
  // No audit queue: the events go to the function's stderr, captured here for all containers.
  const setups: HandlerSetup[] = Array.from({ length: containers }, () =>
    coldStartContainer(env, { audit: audit.stream }),
  );
  return {
    sim,
    setups,
    handlers: setups.map((s) => createReviewHandler(s)),
    audit: () => audit.json<AuditEventJson>(),
    mutations: () => sim.log().filter((e) => e.method !== 'GET'),
  };
}

const lambdaContext = () => reviewContext('review', { remainingMs: 29_000 });

let signed = 0;
/** A signed request; each call a different timestamp (so a different signature): the tests share one table. */
const signedEvent = (payload: unknown) =>
  signedReviewEvent(payload, { secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - ++signed });

const bodyOf = (res: HttpResult) =>
  JSON.parse(res.body) as {
    run_id?: string;
    actions?: { type: string; endpoint_id?: string; outcome: string }[];
    error?: string;
  };

describe('POST /review with the lease table: one review per signed request', () => {
  it('reviews 50 concurrent copies of one request once: the others get 409 in_progress or the first answer', async () => {
    const h = await harness(5);
    const event = signedEvent({ service_id: PAYMENTS });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.handlers[i % 5]!(event, lambdaContext())));

    // One review: one run in the audit trail, ending with one run.completed.
    const events = h.audit();
    const runs = [...new Set(events.map((e) => e.data.run_id))];
    expect(runs).toHaveLength(1);
    expect(events.filter((e) => e.type === 'vpcep.run.completed')).toHaveLength(1);
    // Each action carried out once: 3 accepts, 1 reject, 1 whitelist add.
    const actionEvents = events.filter((e) => e.type !== 'vpcep.run.completed');
    expect(actionEvents.map((e) => e.type).sort()).toEqual([
      'vpcep.connection.accept',
      'vpcep.connection.accept',
      'vpcep.connection.accept',
      'vpcep.connection.reject',
      'vpcep.whitelist.add',
    ]);
    expect(h.mutations()).toHaveLength(5);

    // Every answer is the review's own, a 409 with Retry-After, or a 401 replay.
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.every((s) => s === 200 || s === 409 || s === 401)).toBe(true);
    const oks = answers.filter((a) => a.statusCode === 200);
    expect(oks.length).toBeGreaterThanOrEqual(1);
    expect(new Set(oks.map((a) => a.body)).size).toBe(1);
    expect(bodyOf(oks[0]!).run_id).toBe(runs[0]);
    expect(bodyOf(oks[0]!).actions).toHaveLength(5);
    for (const busy of answers.filter((a) => a.statusCode === 409)) {
      expect(bodyOf(busy)).toMatchObject({ error: 'in_progress' });
      expect(Number(busy.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    // A copy arriving after the review, at any container, gets the first answer, with no API call.
    const calls = h.sim.log().length;
    const late = await h.handlers[3]!(event, lambdaContext());
    expect(late.statusCode).toBe(200);
    expect(late.body).toBe(oks[0]!.body);
    expect(h.sim.log().length).toBe(calls);
    expect(h.audit()).toHaveLength(events.length);
  }, 60_000);

  it('gives a copy of a 404 request the same 404 without reading again', async () => {
    const h = await harness(2);
    const event = signedEvent({ service_id: UNMANAGED });
    const first = await h.handlers[0]!(event, lambdaContext());
    expect(first.statusCode).toBe(404);
    const calls = h.sim.log().length;
    const copy = await h.handlers[1]!(event, lambdaContext());
    expect(copy).toMatchObject({ statusCode: 404, body: first.body });
    expect(h.sim.log().length).toBe(calls);
  });

  it('lets a copy be reviewed when the first attempt failed before answering (500)', async () => {
    const h = await harness(2);
    let broken = true;
    const failing: HandlerSetup = {
      ...h.setups[0]!,
      createRunDeps: (o) => {
        if (broken) throw new Error('the engine could not be built');
        return h.setups[0]!.createRunDeps(o);
      },
    };
    const event = signedEvent({ service_id: PAYMENTS });
    const first = await createReviewHandler(failing)(event, lambdaContext());
    expect(first.statusCode).toBe(500);
    expect(h.mutations()).toEqual([]);
    broken = false;
    const retry = await h.handlers[1]!(event, lambdaContext());
    expect(retry.statusCode).toBe(200);
    expect(bodyOf(retry).actions).toHaveLength(5);
  });

  it('fails closed (500, no API call) when the table cannot be used, naming the table in the log', async () => {
    const h = await harness(1);
    const logs: Buffer[] = [];
    const logStream = new PassThrough().on('data', (c: Buffer) => logs.push(c));
    const setup: HandlerSetup = {
      ...h.setups[0]!,
      logger: createJsonLogger({ stream: logStream }),
      webhookRequests: createWebhookRequestStore('no-such-table', { client: db.client }),
    };
    const res = await createReviewHandler(setup)(signedEvent({ service_id: PAYMENTS }), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'internal' });
    expect(h.sim.log()).toEqual([]);
    expect(Buffer.concat(logs).toString('utf8')).toContain(
      'DynamoDB table \\"no-such-table\\": claiming the webhook request',
    );
  });

  it('refuses a forged copy as before, without touching the table or the API', async () => {
    const h = await harness(1);
    const event = signedEvent({ service_id: PAYMENTS });
    const forged = { ...event, headers: { ...event.headers, 'x-vpcep-signature': `sha256=${'0'.repeat(64)}` } };
    const res = await h.handlers[0]!(forged, lambdaContext());
    expect(res.statusCode).toBe(401);
    expect(h.sim.log()).toEqual([]);
    // The genuine request is still reviewed: the forgery claimed nothing.
    expect((await h.handlers[0]!(event, lambdaContext())).statusCode).toBe(200);
  });
});
