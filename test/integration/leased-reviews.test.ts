import { GetItemCommand } from '@aws-sdk/client-dynamodb';

import { RunSummary } from '../../lib/engine/run';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { createScheduledHandler } from '../../lib/lambda/scheduled';
import { leaseKey } from '../../lib/lease/lease';
import { captureStream } from '../support/capture';
import { PARTNER, PAYMENTS, PROJECT, STRANGER } from '../support/ids';
import { AuditEventJson } from '../support/json';
import { coldStartContainer, lambdaContext, scheduledEvent, signedReviewEvent } from '../support/lambda';
import { paymentsPolicy, paymentsScenario, scenarioConnection as pending } from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';
import { localDynamoDbForSdkDefaults } from './support/dynamodb-server';

// Issue 9, "Done when": two sweeps and a webhook review at once against one service, with the
// lease table on a local DynamoDB-compatible server (dynalite): each action is taken once, with
// one event. Three containers (three cold starts with VPCEP_LEASE_TABLE), one simulator. The
// simulator holds each run's first read of the pending connections until all three have made it,
// so the three surveys see the same state and plan the same actions: without leases every run
// would act on them (and record each action again).

const CREDS = { ak: 'AKLEASEDREVIEWS000001', sk: 'sk-leased-reviews-secret' };
const WEBHOOK_SECRET = 'whsec-leased-reviews';
const PENDING_ROUTE = 'GET /v1/{project_id}/vpc-endpoint-services/{service_id}/connections';

const POLICY = paymentsPolicy({ defaults: { unlisted_pending: 'reject' }, allow: [{ domain: PARTNER }] });

const scenario = () =>
  paymentsScenario({
    connections: [pending(1, PARTNER), pending(2, PARTNER), pending(3, PARTNER), pending(4, STRANGER)],
  });

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

const policies = tempFiles('vpcep-leased-', { 'policy.yaml': POLICY });
const db = localDynamoDbForSdkDefaults();
const startSim = simulatorPerTest();
const reviewEvent = () => signedReviewEvent({ service_id: PAYMENTS }, { secret: WEBHOOK_SECRET });

describe('two sweeps and a webhook review at once, with the lease table', () => {
  it('take each action once, with one event', async () => {
    const sim = await startSim({
      state: scenario(),
      credentials: CREDS,
      // Some latency, so the run holding the lease is still at work when the others ask for it.
      faults: { latencyMs: 20 },
      gate: barrier(3, (r) => r.route === PENDING_ROUTE && r.query.get('status') === 'pendingAcceptance'),
    });
    const audit = captureStream();
    const env = {
      ...apiEnv(sim, CREDS),
      WEBHOOK_SECRET,
      POLICY_FILE: policies.path('policy.yaml'),
      VPCEP_LEASE_TABLE: db.tableName,
    };
    // The production factory (leases from VPCEP_LEASE_TABLE); audit events to a captured stderr.
    const container = () => coldStartContainer(env, { audit: audit.stream });

    const [sweepA, sweepB, review] = await Promise.all([
      createScheduledHandler(container(), 'sweep')(scheduledEvent(), lambdaContext('sweep')),
      createScheduledHandler(container(), 'sweep')(scheduledEvent(), lambdaContext('sweep')),
      createReviewHandler(container())(reviewEvent(), lambdaContext('review')),
    ]);

    const events = audit.json<AuditEventJson>();
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
    const answer = review;
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
