import { PassThrough } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

import { HandlerSetup } from '../../lib/lambda/handler-setup';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { createScheduledHandler, RunFailedError } from '../../lib/lambda/scheduled';
import { Simulator, SimulatorStateInput } from '../../lib/simulator';
import { VpcepApiError } from '../../lib/vpcep/errors';
import { captureStream } from '../support/capture';
import { DENIED, OWNER, PARTNER, PAYMENTS, STRANGER, UNMANAGED } from '../support/ids';
import {
  coldStartContainer,
  fakeSsm,
  lambdaContext,
  reviewHttpEvent,
  scheduledEvent,
  signedReviewEvent,
} from '../support/lambda';
import {
  paymentsPolicy,
  paymentsScenario,
  scenarioConnection,
  scenarioRecord,
  UNMANAGED_SERVICE,
} from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

// The functions invoked as Lambda invokes them (event + context), against the simulator with
// AK/SK signing. Configuration comes from an environment, as in a local stage (CONTRACT 4).

const AK = 'AKFUNCTIONSTEST000001';
const SK = 'sk-functions-test-very-secret';
const CREDS = { ak: AK, sk: SK };
const WEBHOOK_SECRET = 'whsec-functions-test';
const OLD = '00000000000000000000000000000001';

const POLICY = paymentsPolicy({
  defaults: { unlisted_pending: 'reject', revoke: 'denied' },
  allow: [{ domain: PARTNER, max_connections: 2 }],
  deny: [DENIED],
});

function scenario(): SimulatorStateInput {
  return paymentsScenario(
    {
      approval_enabled: false,
      connections: [
        scenarioConnection(1, PARTNER),
        scenarioConnection(2, DENIED),
        scenarioConnection(3, STRANGER),
        scenarioConnection(4, DENIED, { status: 'accepted' }),
      ],
      permissions: [scenarioRecord(1, OWNER), scenarioRecord(2, OLD)],
    },
    [{ ...UNMANAGED_SERVICE, connections: [scenarioConnection(5, STRANGER)] }],
  );
}

interface Harness {
  sim: Simulator;
  setup: HandlerSetup;
  logs: () => string;
  audit: () => { type: string; data: Record<string, unknown> }[];
}

const policies = tempFiles('vpcep-functions-', {
  'policy.yaml': POLICY,
  'broken.yaml': 'version: 1\nservices:\n  - match: { id: x, name: y }\n',
});
const startSim = simulatorPerTest();

async function harness(
  policyFile = policies.path('policy.yaml'),
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const sim = await startSim({ state: scenario(), credentials: CREDS });
  const logs = captureStream();
  const audit = captureStream();
  const env = {
    ...apiEnv(sim, CREDS),
    WEBHOOK_SECRET,
    POLICY_FILE: policyFile,
    // Empty, as the local stage of serverless.yml sets them: environment secrets are used.
    HUAWEICLOUD_CREDENTIALS_SECRET: '',
    WEBHOOK_SECRET_NAME: '',
    AUDIT_QUEUE_URL: '',
    ...extraEnv,
  };
  // No queue configured: audit events go to the function's stderr, captured here.
  // EMF metrics lines (stdout in Lambda) are checked in scheduled-run.test.ts; kept off the test output here.
  const setup = {
    ...coldStartContainer(env, { logs: logs.stream, audit: audit.stream }),
    metricsOut: new PassThrough().resume(),
  };
  return { sim, setup, logs: logs.text, audit: audit.json };
}

function signed(
  payload: unknown,
  options: { timestamp?: number; secret?: string; contentType?: string } = {},
): APIGatewayProxyEventV2 {
  return signedReviewEvent(payload, { ...options, secret: options.secret ?? WEBHOOK_SECRET });
}

const statusOf = (sim: Simulator, serviceId: string) =>
  Object.fromEntries(
    (sim.state().services.find((s) => s.id === serviceId)?.connections ?? []).map((c) => [
      c.domain_id + ':' + c.id.slice(-1),
      c.status,
    ]),
  );
const whitelistOf = (sim: Simulator, serviceId: string) =>
  (sim.state().services.find((s) => s.id === serviceId)?.permissions ?? []).map((p) => p.permission).sort();
const mutations = (sim: Simulator) => sim.log().filter((e) => e.mutated || e.method !== 'GET');

describe('functions/sweep and functions/compliance (scheduled)', () => {
  it('sweep: accepts the allowed, rejects the denied and unlisted pending, reconciles the whitelist, leaves unmanaged services alone', async () => {
    const h = await harness();
    const summary = await createScheduledHandler(h.setup, 'sweep')(scheduledEvent(), lambdaContext('sweep'));

    expect(statusOf(h.sim, PAYMENTS)).toEqual({
      [`${PARTNER}:1`]: 'accepted',
      [`${DENIED}:2`]: 'rejected',
      [`${STRANGER}:3`]: 'rejected',
      // The sweep never revokes an accepted connection (CONTRACT 2, step 5 is compliance only).
      [`${DENIED}:4`]: 'accepted',
    });
    expect(whitelistOf(h.sim, PAYMENTS)).toEqual([`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`].sort());
    expect(statusOf(h.sim, UNMANAGED)).toEqual({ [`${STRANGER}:5`]: 'pendingAcceptance' });
    expect(h.sim.state().services.find((s) => s.id === PAYMENTS)?.approval_enabled).toBe(false);

    expect(summary.failed).toBe(false);
    expect(summary.actions.map((a) => [a.type, a.outcome]).sort()).toEqual(
      [
        ['connection.accept', 'succeeded'],
        ['connection.reject', 'succeeded'],
        ['connection.reject', 'succeeded'],
        ['whitelist.add', 'succeeded'],
        ['whitelist.remove', 'succeeded'],
      ].sort(),
    );
    const events = h.audit();
    expect(
      events
        .filter((e) => e.type !== 'vpcep.run.completed')
        .map((e) => e.type)
        .sort(),
    ).toEqual(summary.actions.map((a) => `vpcep.${a.type}`).sort());
    expect(events.at(-1)?.type).toBe('vpcep.run.completed');
    expect(events.every((e) => e.data.trigger === 'schedule' && e.data.run_id === summary.run_id)).toBe(true);
  });

  it('compliance: also revokes the accepted denied connection and enables approval, and reports drift', async () => {
    const h = await harness();
    const summary = await createScheduledHandler(h.setup, 'compliance')(scheduledEvent(), lambdaContext('compliance'));

    expect(statusOf(h.sim, PAYMENTS)).toEqual({
      [`${PARTNER}:1`]: 'accepted',
      [`${DENIED}:2`]: 'rejected',
      [`${STRANGER}:3`]: 'rejected',
      [`${DENIED}:4`]: 'rejected',
    });
    expect(h.sim.state().services.find((s) => s.id === PAYMENTS)?.approval_enabled).toBe(true);
    expect(whitelistOf(h.sim, PAYMENTS)).toEqual([`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`].sort());
    expect(statusOf(h.sim, UNMANAGED)).toEqual({ [`${STRANGER}:5`]: 'pendingAcceptance' });
    expect(summary.drift.map((d) => d.kind)).toEqual(
      expect.arrayContaining([
        'unmanaged',
        'approval-disabled',
        'accepted-not-allowed',
        'whitelist-missing',
        'whitelist-extra',
      ]),
    );
    expect(h.audit().map((e) => e.type)).toEqual(
      expect.arrayContaining(['vpcep.service.enable-approval', 'vpcep.compliance.report', 'vpcep.run.completed']),
    );

    // A second run finds nothing left to do.
    const again = await createScheduledHandler(h.setup, 'compliance')(scheduledEvent(), lambdaContext('compliance'));
    expect(again.actions).toEqual([]);
  });

  it('logs JSON lines carrying the run id, and never a secret', async () => {
    const h = await harness();
    const summary = await createScheduledHandler(h.setup, 'sweep')(scheduledEvent(), lambdaContext('sweep'));
    const lines = h
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.run_id === summary.run_id).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['invocation started', 'run summary', 'invocation finished']),
    );
    expect(h.logs()).not.toContain(SK);
    expect(h.logs()).not.toContain(WEBHOOK_SECRET);
  });

  it('throws RunFailedError (a failed invocation) when actions fail, after carrying out the rest', async () => {
    const h = await harness();
    // The API refuses every accept/reject (403 EndPoint.0004, 7.2); everything else works.
    const setup: HandlerSetup = {
      ...h.setup,
      createRunDeps: (o) => {
        const deps = h.setup.createRunDeps(o);
        const acceptOrReject = async () => {
          throw new VpcepApiError('connections/action refused', {
            operation: 'acceptOrReject',
            status: 403,
            errorCode: 'EndPoint.0004',
            retryable: false,
          });
        };
        return { ...deps, client: { ...deps.client, acceptOrReject } };
      },
    };
    const run = createScheduledHandler(setup, 'sweep')(scheduledEvent(), lambdaContext('sweep'));
    await expect(run).rejects.toBeInstanceOf(RunFailedError);
    await expect(run).rejects.toThrow(/failed: 3 failures/);
    // Nothing retries a scheduled invocation: the next schedule runs the same review.
    await expect(run).rejects.toMatchObject({ code: 'RUN_FAILED', retryable: false });
    // The whitelist actions were still carried out.
    expect(whitelistOf(h.sim, PAYMENTS)).toEqual([`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`].sort());
  });

  it('fails every invocation loudly, with no API call, when the bundled policy is invalid', async () => {
    const h = await harness(policies.path('broken.yaml'));
    await expect(createScheduledHandler(h.setup, 'sweep')(scheduledEvent(), lambdaContext('sweep'))).rejects.toThrow(
      /broken\.yaml: .*problem/,
    );
    const review = await createReviewHandler(h.setup)(signed({ service_id: PAYMENTS }), lambdaContext('review'));
    expect(review.statusCode).toBe(500);
    expect(h.sim.log()).toEqual([]);
    expect(h.logs()).toMatch(/policy invalid/);
  });
});

describe('functions/review (POST /review)', () => {
  it('reviews the one service now and answers 200 with run_id, actions and left_pending', async () => {
    const h = await harness();
    const res = await createReviewHandler(h.setup)(signed({ service_id: PAYMENTS }), lambdaContext('review'));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as {
      run_id: string;
      actions: { type: string; outcome: string; endpoint_id?: string }[];
      left_pending: unknown[];
    };
    expect(Object.keys(body).sort()).toEqual(['actions', 'left_pending', 'run_id']);
    expect(body.actions.filter((a) => a.type === 'connection.accept')).toEqual([
      expect.objectContaining({ endpoint_id: 'c0000000-0000-4000-8000-000000000001', outcome: 'succeeded' }),
    ]);
    expect(statusOf(h.sim, PAYMENTS)[`${PARTNER}:1`]).toBe('accepted');
    // Only the named service was touched.
    expect(mutations(h.sim).every((e) => e.path.includes(PAYMENTS))).toBe(true);
    expect(h.audit().every((e) => e.data.trigger === 'webhook' && e.data.run_id === body.run_id)).toBe(true);
  });

  it('acts on the named connection only when endpoint_id is given: no whitelist or service change', async () => {
    const h = await harness();
    const whitelist = whitelistOf(h.sim, PAYMENTS);
    const res = await createReviewHandler(h.setup)(
      signed({ service_id: PAYMENTS, endpoint_id: 'c0000000-0000-4000-8000-000000000002' }),
      lambdaContext('review'),
    );
    expect(res.statusCode).toBe(200);
    expect(statusOf(h.sim, PAYMENTS)).toMatchObject({
      [`${PARTNER}:1`]: 'pendingAcceptance',
      [`${DENIED}:2`]: 'rejected',
      [`${STRANGER}:3`]: 'pendingAcceptance',
    });
    // The policy would add the partner's record and remove OLD's; a review of one connection does neither.
    expect(whitelistOf(h.sim, PAYMENTS)).toEqual(whitelist);
    expect((JSON.parse(res.body) as { actions: { type: string }[] }).actions.map((a) => a.type)).toEqual([
      'connection.reject',
    ]);
    expect(mutations(h.sim)).toHaveLength(1);
    expect(h.audit().map((e) => e.type)).toEqual(['vpcep.connection.reject', 'vpcep.run.completed']);
  });

  it('answers 404, with reads only, for an endpoint_id the service does not have', async () => {
    const h = await harness();
    const res = await createReviewHandler(h.setup)(
      // Connection 5 exists, but on the unmanaged service.
      signed({ service_id: PAYMENTS, endpoint_id: 'c0000000-0000-4000-8000-000000000005' }),
      lambdaContext('review'),
    );
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining(
        `endpoint service ${PAYMENTS} has no connection c0000000-0000-4000-8000-000000000005`,
      ),
    });
    expect(mutations(h.sim)).toEqual([]);
    expect(h.audit()).toEqual([]);
  });

  it('is stopped by the brake too: its SSM parameter says false, so the review is a dry run', async () => {
    const brake = '/vpcep-approver/test/enforce';
    const h = await harness(undefined, { VPCEP_ENFORCE_PARAMETER: brake });
    const ssm = fakeSsm({ brake: 'false' });
    const res = await createReviewHandler({ ...h.setup, ssmClient: ssm.AwsClient })(
      signed({ service_id: PAYMENTS }),
      lambdaContext('review'),
    );
    expect(res.statusCode).toBe(200);
    const { actions } = JSON.parse(res.body) as { actions: { outcome: string }[] };
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.outcome === 'planned')).toBe(true);
    expect(ssm.reads).toEqual([brake]);
    expect(mutations(h.sim)).toEqual([]);
    expect(h.audit().every((e) => e.data.dry_run === true)).toBe(true);
  });

  it('without a lease table answers a later copy with the first answer, from its memory, with no second effect', async () => {
    const h = await harness();
    const handler = createReviewHandler(h.setup);
    const event = signed({ service_id: PAYMENTS });
    const first = await handler(event, lambdaContext('review'));
    expect(first.statusCode).toBe(200);
    const before = h.sim.log().length;
    const copy = await handler(event, lambdaContext('review'));
    expect(copy).toMatchObject({ statusCode: 200, body: first.body });
    expect(h.sim.log().length).toBe(before);
    expect(h.audit().filter((e) => e.type === 'vpcep.run.completed')).toHaveLength(1);
  });

  it('without a lease table answers a copy that arrives during the review with 409 in_progress', async () => {
    const h = await harness();
    h.sim.setFaults({ latencyMs: 50 });
    const handler = createReviewHandler(h.setup);
    const event = signed({ service_id: PAYMENTS });
    const [first, copy] = await Promise.all([
      handler(event, lambdaContext('review')),
      handler(event, lambdaContext('review')),
    ]);
    expect(first.statusCode).toBe(200);
    expect(copy.statusCode).toBe(409);
    expect(JSON.parse(copy.body)).toMatchObject({ error: 'in_progress' });
    expect(Number(copy.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(h.audit().filter((e) => e.type === 'vpcep.run.completed')).toHaveLength(1);
  });

  it('claims nothing for a request it refuses: the forged or mistyped copy does not block the genuine one', async () => {
    const h = await harness();
    const handler = createReviewHandler(h.setup);
    const event = signed({ service_id: PAYMENTS });
    const forged = { ...event, body: JSON.stringify({ service_id: UNMANAGED }) };
    expect((await handler(forged, lambdaContext('review'))).statusCode).toBe(401);
    const mistyped = { ...event, headers: { ...event.headers, 'content-type': 'text/plain' } };
    expect((await handler(mistyped, lambdaContext('review'))).statusCode).toBe(415);
    expect(h.sim.log()).toEqual([]);
    expect((await handler(event, lambdaContext('review'))).statusCode).toBe(200);
  });

  const refusals: [string, number, () => APIGatewayProxyEventV2, RegExp][] = [
    [
      'a stale timestamp',
      401,
      () => signed({ service_id: PAYMENTS }, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      /old/,
    ],
    [
      'a timestamp too far ahead',
      401,
      () => signed({ service_id: PAYMENTS }, { timestamp: Math.floor(Date.now() / 1000) + 400 }),
      /future/,
    ],
    ['a wrong signature', 401, () => signed({ service_id: PAYMENTS }, { secret: 'guessed' }), /does not match/],
    [
      'no signature',
      401,
      () =>
        reviewHttpEvent(JSON.stringify({ service_id: PAYMENTS }), {
          'content-type': 'application/json',
          'x-vpcep-timestamp': String(Math.floor(Date.now() / 1000)),
        }),
      /missing X-Vpcep-Signature/,
    ],
    ['a body over 64 KiB', 413, () => signed({ service_id: PAYMENTS, pad: 'x'.repeat(70_000) }), /more than 65536/],
    ['a non-JSON content type', 415, () => signed({ service_id: PAYMENTS }, { contentType: 'text/plain' }), /not JSON/],
    ['a body that is not JSON', 400, () => signed('service_id=x'), /not valid JSON/],
    [
      'a body without service_id',
      400,
      () => signed({ endpoint_id: 'c0000000-0000-4000-8000-000000000001' }),
      /service_id/,
    ],
    ['a body with an unknown key', 400, () => signed({ service_id: PAYMENTS, accept: true }), /accept/],
  ];

  it.each(refusals)('refuses %s with %i before any API call', async (_what, status, event, message) => {
    const h = await harness();
    const res = await createReviewHandler(h.setup)(event(), lambdaContext('review'));
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ message: expect.stringMatching(message) });
    expect(h.sim.log()).toEqual([]);
    expect(h.audit()).toEqual([]);
  });

  it('answers 404, with reads only, for a service no rule manages and for one that does not exist', async () => {
    const h = await harness();
    const handler = createReviewHandler(h.setup);
    const unmanaged = await handler(signed({ service_id: UNMANAGED }), lambdaContext('review'));
    expect(unmanaged.statusCode).toBe(404);
    expect(JSON.parse(unmanaged.body)).toMatchObject({
      error: 'not_managed',
      message: expect.stringContaining(UNMANAGED),
    });
    const missing = await handler(
      signed({ service_id: 'aaaaaaaa-0000-4000-8000-000000000000' }),
      lambdaContext('review'),
    );
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'not_found' });
    expect(mutations(h.sim)).toEqual([]);
    expect(h.audit()).toEqual([]);
  });

  it('accepts a base64-encoded body as API Gateway may send it', async () => {
    const h = await harness();
    const event = signed({ service_id: PAYMENTS });
    const res = await createReviewHandler(h.setup)(
      { ...event, body: Buffer.from(event.body!, 'utf8').toString('base64'), isBase64Encoded: true },
      lambdaContext('review'),
    );
    expect(res.statusCode).toBe(200);
  });
});
