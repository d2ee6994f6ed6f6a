import type { RunSummary } from '../../lib/engine/run';
import { HandlerSetup } from '../../lib/lambda/handler-setup';
import { createScheduledHandler, RunFailedError } from '../../lib/lambda/scheduled';
import { Simulator, SimulatorStateInput } from '../../lib/simulator';
import { captureStream } from '../support/capture';
import { PARTNER, PAYMENTS as SERVICE, STRANGER } from '../support/ids';
import { coldStartContainer, lambdaContext as context, fakeSsm, scheduledEvent } from '../support/lambda';
import { paymentsPolicy, paymentsScenario, scenarioConnection, UNMANAGED_SERVICE } from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

// A scheduled run as Lambda invokes it, against the simulator: the brake read from an
// (injected) SSM client at every run, and the EMF metrics line checked against the run's summary.

const CREDS = { ak: 'AKSCHEDULEDTEST00001', sk: 'sk-scheduled-test-secret' };
const BRAKE = '/vpcep-approver/test/enforce';

const POLICY = paymentsPolicy({
  defaults: { unlisted_pending: 'reject' },
  allow: [{ domain: PARTNER, max_connections: 5 }],
});

// The handler's clock, fixed: the outcome heartbeat's age is measured against it.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

function scenario(): SimulatorStateInput {
  return paymentsScenario(
    {
      approval_enabled: true,
      connections: [
        scenarioConnection(1, PARTNER, { created_at: ago(3600) }),
        scenarioConnection(2, PARTNER, { created_at: ago(600) }),
        scenarioConnection(3, STRANGER, { created_at: ago(7200) }),
      ],
    },
    [UNMANAGED_SERVICE],
  );
}

const policies = tempFiles('vpcep-scheduled-', { 'policy.yaml': POLICY });
const startSim = simulatorPerTest();

async function harness(
  ssm: ReturnType<typeof fakeSsm>,
  env: Record<string, string> = { VPCEP_ENFORCE_PARAMETER: BRAKE },
) {
  const sim = await startSim({ state: scenario(), credentials: CREDS });
  const logs = captureStream();
  const metrics = captureStream();
  const audit = captureStream();
  const container = coldStartContainer(
    { ...apiEnv(sim, CREDS), POLICY_FILE: policies.path('policy.yaml'), ...env },
    { logs: logs.stream, audit: audit.stream, clock: () => NOW },
  );
  const setup: HandlerSetup = { ...container, ssmClient: ssm.AwsClient, metricsOut: metrics.stream };
  return {
    sim,
    setup,
    logs: () => logs.json<Record<string, unknown>>(),
    emf: () => metrics.json<Emf>(),
  };
}

interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

const event = scheduledEvent();
const mutations = (sim: Simulator) => sim.log().filter((e) => e.mutated);
const statusOf = (sim: Simulator, endpointId: string) =>
  sim.state().services[0]!.connections.find((c) => c.id === endpointId)?.status;

describe('scheduled run: the brake (VPCEP_ENFORCE in SSM, read at each run)', () => {
  it('acts when the parameter says true, and reads it again at the next run', async () => {
    const ssm = fakeSsm({ brake: 'true' });
    const { sim, setup } = await harness(ssm);
    const handler = createScheduledHandler(setup, 'sweep');
    const summary = await handler(event, context('sweep'));
    expect(summary.dry_run).toBe(false);
    expect(statusOf(sim, 'c0000000-0000-4000-8000-000000000001')).toBe('accepted');
    await handler(event, context('sweep'));
    expect(ssm.reads).toEqual([BRAKE, BRAKE]);
  });

  it('makes the run a dry run when the parameter says false: everything planned, nothing changed', async () => {
    const ssm = fakeSsm({ brake: 'false' });
    const { sim, setup, logs } = await harness(ssm);
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expect(summary.dry_run).toBe(true);
    expect(summary.actions.length).toBeGreaterThan(0);
    expect(summary.actions.every((a) => a.outcome === 'planned')).toBe(true);
    expect(mutations(sim)).toEqual([]);
    expect(logs().some((l) => l.level === 'warn' && String(l.msg).includes('brake on'))).toBe(true);
  });

  it('enforces when the parameter is missing, with a warning naming it', async () => {
    const { sim, setup, logs } = await harness(fakeSsm({}));
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expect(summary.dry_run).toBe(false);
    expect(mutations(sim).length).toBeGreaterThan(0);
    expect(logs()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'warn', msg: 'brake parameter not found: enforcing', parameter: BRAKE }),
      ]),
    );
  });

  it('fails the run before any change when the parameter holds what VPCEP_ENFORCE refuses, or cannot be read', async () => {
    for (const ssm of [
      fakeSsm({ brake: 'flase' }),
      // Exactly what the environment accepts: not FALSE, not a padded value.
      fakeSsm({ brake: 'FALSE' }),
      fakeSsm({ brake: ' false' }),
      fakeSsm({ error: Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }) }),
    ]) {
      const { sim, setup } = await harness(ssm);
      const failure = createScheduledHandler(setup, 'sweep')(event, context('sweep'));
      await expect(failure).rejects.toThrow(new RegExp(`SSM parameter ${BRAKE} \\(VPCEP_ENFORCE_PARAMETER\\)`));
      expect(sim.log()).toEqual([]);
    }
  });

  it('takes VPCEP_ENFORCE=false from the environment where there is no parameter (a local stage)', async () => {
    const ssm = fakeSsm({ brake: 'true' });
    const { sim, setup } = await harness(ssm, { VPCEP_ENFORCE: 'false' });
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expect(summary.dry_run).toBe(true);
    expect(mutations(sim)).toEqual([]);
    expect(ssm.reads).toEqual([]);
  });
});

describe('scheduled run: its own parameters only', () => {
  it('never reads the webhook secret, even when WEBHOOK_SECRET_NAME is set', async () => {
    // The fake SSM client throws on anything but the brake's GetParameter (so on the secrets' GetParameters).
    const ssm = fakeSsm({ brake: 'true' });
    const { setup } = await harness(ssm, {
      VPCEP_ENFORCE_PARAMETER: BRAKE,
      WEBHOOK_SECRET_NAME: '/vpcep-approver/test/webhook-secret',
    });
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expect(summary.failed).toBe(false);
    expect(ssm.reads).toEqual([BRAKE]);
  });
});

describe('scheduled run: EMF metrics', () => {
  const metricValues = (emf: Emf) =>
    Object.fromEntries(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, emf[m.Name]]));
  const units = (emf: Emf) => Object.fromEntries(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit]));

  function expectMatchesSummary(emf: Emf, summary: RunSummary, sim: Simulator): void {
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive).toMatchObject({ Namespace: 'vpcep-approver', Dimensions: [['function', 'scope']] });
    expect(emf).toMatchObject({ function: `vpcep-approver-test-${summary.scope}`, scope: summary.scope });
    const values = metricValues(emf);
    for (const [type, counts] of Object.entries(summary.counts)) {
      for (const outcome of ['succeeded', 'failed', 'planned'] as const)
        expect(values[`Actions.${type}.${outcome}`]).toBe(counts[outcome]);
    }
    const total = (o: 'succeeded' | 'failed' | 'planned') => summary.actions.filter((a) => a.outcome === o).length;
    expect(values).toMatchObject({
      Actions: summary.actions.length,
      ActionsSucceeded: total('succeeded'),
      ActionsFailed: total('failed'),
      ActionsPlanned: total('planned'),
      LeftPending: summary.left_pending.length,
      Drift: summary.drift.length,
      ServicesReviewed: summary.services.reviewed,
      ServicesFailed: summary.services.failed,
      ServicesUnfinished: summary.services.unfinished,
      ServicesSkipped: summary.services.skipped,
      RevocationsHeld: summary.revocations_held,
      // Counted by the client; the simulator served exactly these (no faults, so no retries).
      ApiRequests: sim.stats().requests,
      RunDuration: Date.parse(summary.finished_at) - Date.parse(summary.started_at),
      DryRun: summary.dry_run ? 1 : 0,
    });
    for (const kind of new Set(summary.drift.map((d) => d.kind)))
      expect(values[`Drift.${kind}`]).toBe(summary.drift.filter((d) => d.kind === kind).length);
    expect(units(emf)).toMatchObject({
      Actions: 'Count',
      ActionsFailed: 'Count',
      OldestAllowedPendingAge: 'Seconds',
      RunDuration: 'Milliseconds',
      ApiRequests: 'Count',
    });
    // No per-service dimension or value anywhere in the line.
    expect(JSON.stringify(emf)).not.toContain(SERVICE);
  }

  it("writes one EMF line per sweep whose values are the summary's", async () => {
    const { sim, setup, emf } = await harness(fakeSsm({ brake: 'true' }));
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expect(emf()).toHaveLength(1);
    expect(summary.counts['connection.accept']).toEqual({ succeeded: 2, failed: 0, planned: 0 });
    expectMatchesSummary(emf()[0]!, summary, sim);
    // Every connection the policy accepts was accepted: nothing allowed is left waiting.
    expect(metricValues(emf()[0]!).OldestAllowedPendingAge).toBe(0);
  });

  it('reports the age of the oldest allowed connection still pending when the brake holds the accepts', async () => {
    const { sim, setup, emf } = await harness(fakeSsm({ brake: 'false' }));
    const summary = await createScheduledHandler(setup, 'sweep')(event, context('sweep'));
    expectMatchesSummary(emf()[0]!, summary, sim);
    // The partner's oldest pending connection is an hour old; the stranger's (two hours) is not allowed.
    expect(metricValues(emf()[0]!).OldestAllowedPendingAge).toBe(3600);
  });

  it('counts drift by kind in a compliance run', async () => {
    const { sim, setup, emf } = await harness(fakeSsm({ brake: 'true' }));
    const summary = await createScheduledHandler(setup, 'compliance')(event, context('compliance'));
    expect(summary.drift.map((d) => d.kind)).toContain('unmanaged');
    expectMatchesSummary(emf()[0]!, summary, sim);
    expect(metricValues(emf()[0]!).ApiRetries).toBe(0);
  });

  it('still publishes when the run fails, counting the retries the client made', async () => {
    const { sim, setup, emf } = await harness(fakeSsm({ brake: 'true' }));
    sim.setFaults({ errorRate: 1, seed: 3 });
    const failure = await createScheduledHandler(setup, 'sweep')(event, context('sweep')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunFailedError);
    const summary = (failure as RunFailedError).summary;
    expect(emf()).toHaveLength(1);
    expectMatchesSummary(emf()[0]!, summary, sim);
    // Every request was answered 500: all but the first of each operation were retries.
    expect(metricValues(emf()[0]!).ApiRetries).toBeGreaterThan(0);
    expect(metricValues(emf()[0]!).ApiRequests).toBe(sim.stats().faults.error);
  });
});
