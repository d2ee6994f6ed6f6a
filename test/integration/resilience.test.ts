import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateState, Simulator, SimulatorState, startSimulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { consumerDomains, generatedStatePolicy } from '../support/scenarios';
import { apiEnv } from '../support/simulator';

/**
 * `apply` against the simulator under the API's real conditions: the gateway's rate limit, and
 * injected 500s and throttling. The end state and the audit trail are what a healthy API gives.
 */
const AK = 'TESTAKRESILIENCE0001';
const SK = 'test-secret-key-resilience';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-resilience-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every pending connection comes from an allowed domain: each is accepted, each whitelist gets its records. */
async function allowAllPolicy(state: SimulatorState): Promise<string> {
  const file = join(dir, `policy-${state.services.length}.yaml`);
  const policy = generatedStatePolicy(state, { defaults: { whitelist: 'add-only' }, allow: consumerDomains(state) });
  await writeFile(file, policy);
  return file;
}

function cli(sim: Simulator, args: string[], env: Record<string, string> = {}) {
  return runCaptured(args, {
    ...apiEnv(sim, { ak: AK, sk: SK }),
    ...env,
  });
}

const readEvents = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; type: string; data: { outcome: string; error?: { message: string } } });
const pendingLeft = (sim: Simulator) =>
  sim.state().services.flatMap((s) => s.connections.filter((c) => c.status === 'pendingAcceptance'));

describe('apply under the API gateway rate limit', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it('paces under the limit the gateway names: every action done, each audited once, few requests throttled', async () => {
    const state = generateState({ services: 8, connectionsPerService: 6, pendingRatio: 1, domains: 10, seed: 5 });
    const policy = await allowAllPolicy(state);
    sim = await startSimulator({ state, credentials: { ak: AK, sk: SK }, faults: { rateLimitPerSecond: 20 } });
    const audit = join(dir, 'rate-limit.jsonl');
    const run = await cli(sim, ['apply', '--policy', policy, '--audit-file', audit, '--json']);
    expect(run.code).toBe(0);
    expect(pendingLeft(sim)).toEqual([]);
    const events = (await readEvents(audit)).filter((e) => e.type !== 'vpcep.run.completed');
    const actions = (JSON.parse(run.out) as { actions: { type: string; outcome: string }[] }).actions;
    expect(actions.filter((a) => a.type === 'connection.accept').length).toBe(48);
    expect(actions.map((a) => a.outcome)).toEqual(actions.map(() => 'succeeded'));
    expect(events.map((e) => e.data.outcome)).toEqual(actions.map(() => 'succeeded'));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const log = sim.log();
    const throttled = log.filter((e) => e.status === 429).length;
    // The first burst fills the gateway's second; after that the client paces under 20 a second.
    expect(throttled).toBeGreaterThan(0);
    expect(throttled / log.length).toBeLessThan(0.2);
  });

  it('--max-rate keeps the client under a limit it knows, from the first request: nothing throttled', async () => {
    const state = generateState({ services: 4, connectionsPerService: 4, pendingRatio: 1, domains: 10, seed: 6 });
    const policy = await allowAllPolicy(state);
    sim = await startSimulator({ state, credentials: { ak: AK, sk: SK }, faults: { rateLimitPerSecond: 10 } });
    const run = await cli(sim, [
      'apply',
      '--policy',
      policy,
      '--audit-file',
      join(dir, 'max-rate.jsonl'),
      // Well under the gateway's 10 a second: the client paces by when it sends, the gateway counts by
      // when requests arrive, and on a loaded machine the two can differ by a good part of a second.
      '--max-rate',
      '5',
    ]);
    expect(run.code).toBe(0);
    expect(run.err).not.toMatch(/warning|error/);
    expect(sim.log().filter((e) => e.status === 429)).toEqual([]);
    expect(pendingLeft(sim)).toEqual([]);
  });

  it('refuses a bad --max-rate or --timeout before any request', async () => {
    sim = await startSimulator({
      state: generateState({ services: 1, connectionsPerService: 1, pendingRatio: 1 }),
      credentials: { ak: AK, sk: SK },
    });
    const policy = join(dir, 'policy-1.yaml');
    await writeFile(policy, 'version: 1\nservices:\n  - match: { name: "svc-*" }\n    allow: []\n');
    for (const [args, env, message] of [
      [['--max-rate', 'lots'], {}, '--max-rate "lots" is not a rate'],
      [[], { VPCEP_TIMEOUT: '5 minutes' }, 'VPCEP_TIMEOUT "5 minutes" is not a duration'],
    ] as const) {
      const run = await cli(sim, ['plan', '--policy', policy, ...args], { ...env });
      expect(run.code).toBe(1);
      expect(run.err).toContain(message);
    }
    expect(sim.log()).toEqual([]);
  });
});

describe('apply under injected faults', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it.each([1, 2, 3, 4, 5, 6])(
    'with 20%% 500s and 20%% throttling (seed %i) ends in the fault-free state, one succeeded event per action',
    async (seed) => {
      const state = generateState({ services: 3, connectionsPerService: 3, pendingRatio: 1, domains: 6, seed: 9 });
      const policy = await allowAllPolicy(state);
      sim = await startSimulator({
        state,
        credentials: { ak: AK, sk: SK },
        faults: { seed, errorRate: 0.2, throttleRate: 0.2 },
      });
      const audit = join(dir, `faults-${seed}.jsonl`);
      const run = await cli(sim, ['apply', '--policy', policy, '--audit-file', audit]);
      expect([run.code, sim.stats().faults.error > 0, sim.stats().faults.throttle > 0]).toEqual([0, true, true]);
      expect(pendingLeft(sim)).toEqual([]);
      const events = (await readEvents(audit)).filter((e) => e.type !== 'vpcep.run.completed');
      expect(events.map((e) => e.data.outcome)).toEqual(events.map(() => 'succeeded'));
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    },
  );

  it('when every write fails, stops retrying once the quota is empty, says so, and exits 1', async () => {
    const state = generateState({ services: 40, connectionsPerService: 5, pendingRatio: 1, domains: 10, seed: 3 });
    const policy = await allowAllPolicy(state);
    sim = await startSimulator({ state, credentials: { ak: AK, sk: SK }, faults: { errorRate: 1, injectOn: 'write' } });
    const audit = join(dir, 'outage.jsonl');
    const run = await cli(sim, ['apply', '--policy', policy, '--audit-file', audit, '--json']);
    expect(run.code).toBe(1);
    const actions = (JSON.parse(run.out) as { actions: { type: string; service_id: string; outcome: string }[] })
      .actions;
    const events = (await readEvents(audit)).filter((e) => e.type !== 'vpcep.run.completed');
    expect(events.length).toBe(actions.length);
    expect(events.every((e) => e.data.outcome === 'failed')).toBe(true);
    expect(
      events.filter((e) => e.data.error?.message.includes('not retried: retry quota exhausted')).length,
    ).toBeGreaterThan(actions.length / 2);
    // One request each for the 200 accepts (4.2.7) and one batch per service and direction (4.2.9).
    const planned =
      actions.filter((a) => a.type.startsWith('connection.')).length +
      new Set(actions.filter((a) => a.type.startsWith('whitelist.')).map((a) => `${a.service_id} ${a.type}`)).size;
    expect(planned).toBe(240);
    const writes = sim.log().filter((e) => e.method === 'POST').length;
    // The quota bounds the retries: 500 at 5 a retry, refilled by 1 for each read that succeeds
    // (about 320 here, follow-up reads included): some 165 retries, whatever the length of the outage.
    expect(writes - planned).toBeLessThanOrEqual(
      100 + Math.ceil(sim.log().filter((e) => e.method === 'GET' && e.status === 200).length / 5),
    );
    expect(writes).toBeLessThan(planned * 1.75);
    expect(pendingLeft(sim).length).toBe(200);
  });
});
