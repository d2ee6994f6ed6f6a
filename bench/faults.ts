/**
 * `npm run bench:faults`: the client under the API's real conditions, against the simulator,
 * measured against the targets of issue 10. One run prints one table:
 *
 *   (a) the contract scenario (test/support/scenarios.ts) under 20% 500s + 20% throttling,
 *       20 seeds: runs that ended in the fault-free end state with one succeeded event per action;
 *   (b) 1,000 services x 10 pending with 2% 500s: failed actions, requests made vs the minimum;
 *   (c) 60 services x 10 pending behind a gateway limit of 50 requests a second, 10 ms a call:
 *       admitted requests per second vs the limit, share throttled, failed actions, wall time vs
 *       the bound requests / limit;
 *   (d) every write failing with 500 for the whole run, 100 services x 5 pending: write requests
 *       per planned action, duration, exit status.
 *
 *   npm run bench:faults                # all four
 *   npm run bench:faults -- --only c    # one case
 *
 * (b) to (d) run the simulator in a child process (bench/sweep-simulator.ts), so that it does not
 * share the engine's event loop; each run has its own rate limiter, as a CLI process would.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createFileSink } from '../lib/audit/file-sink';
import { DEFAULT_MAX_REVOCATIONS } from '../lib/config';
import { createRateLimiter } from '../lib/deps';
import { runReview, RunSummary } from '../lib/engine/run';
import { silentLogger } from '../lib/logger';
import { parsePolicy } from '../lib/policy/load';
import { Policy } from '../lib/policy/schema';
import {
  FaultOptions,
  generateState,
  GenerateStateOptions,
  SimulatorState,
  SimulatorStats,
  startSimulator,
} from '../lib/simulator';
import { runContextFactory } from '../test/support/records';
import { consumerDomains, CONTRACT_POLICY, contractScenario, generatedStatePolicy } from '../test/support/scenarios';
import { minimumRequests, startRemoteSimulator } from './remote-simulator';
import { createRunDeps } from './run-deps';

const { values: args } = parseArgs({ options: { only: { type: 'string' }, seeds: { type: 'string', default: '20' } } });
const CREDS = { ak: 'BENCHFAULTSAK0000001', sk: 'bench-faults-secret' };
const NOW = new Date('2026-11-26T00:00:00Z');

type Row = [string, string, string, boolean];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vpcep-bench-faults-'));
  const rows: Row[] = [];
  try {
    const only = args.only?.split(',');
    if (!only || only.includes('a')) rows.push(...(await caseA(dir, Number(args.seeds))));
    if (!only || only.includes('b')) rows.push(...(await caseB(dir)));
    if (!only || only.includes('c')) rows.push(...(await caseC(dir)));
    if (!only || only.includes('d')) rows.push(...(await caseD(dir)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const w = ([0, 1, 2] as const).map((i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`${'case'.padEnd(w[0]!)}  ${'measured'.padEnd(w[1]!)}  ${'target'.padEnd(w[2]!)}  met`);
  for (const [k, v, t, ok] of rows)
    console.log(`${k.padEnd(w[0]!)}  ${v.padEnd(w[1]!)}  ${t.padEnd(w[2]!)}  ${ok ? 'yes' : 'NO'}`);
  if (rows.some((r) => !r[3])) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------

const endState = (s: SimulatorState) =>
  JSON.stringify(
    s.services.map((svc) => ({
      id: svc.id,
      c: svc.connections.map((c) => [c.id, c.status]),
      p: svc.permissions.map((p) => p.permission).sort(),
    })),
  );

async function caseA(dir: string, seeds: number): Promise<Row[]> {
  const { policy, sha256 } = parsePolicy(CONTRACT_POLICY, 'contract-policy', NOW);
  const clean = await startSimulator({ state: contractScenario(), credentials: CREDS });
  const cleanRun = await sweep(clean.url, clean.projectId, policy, sha256, join(dir, 'a-clean.jsonl'));
  const wanted = endState(clean.state());
  await clean.stop();
  let good = 0;
  let slowest = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = await startSimulator({
      state: contractScenario(),
      credentials: CREDS,
      faults: { seed, errorRate: 0.2, throttleRate: 0.2 },
    });
    const started = performance.now();
    const audit = join(dir, `a-${seed}.jsonl`);
    const run = await sweep(sim.url, sim.projectId, policy, sha256, audit);
    slowest = Math.max(slowest, performance.now() - started);
    const events = (await readFile(audit, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; type: string; data: { outcome: string } })
      .filter((e) => e.type !== 'vpcep.run.completed');
    const oneSucceededEach =
      events.length === cleanRun.summary.actions.length &&
      events.every((e) => e.data.outcome === 'succeeded') &&
      new Set(events.map((e) => e.id)).size === events.length;
    if (!run.summary.failed && endState(sim.state()) === wanted && oneSucceededEach) good++;
    await sim.stop();
  }
  return [
    [
      `(a) contract scenario, 20% 500s + 20% throttling, ${seeds} seeds`,
      `${good} of ${seeds} clean (slowest run ${(slowest / 1000).toFixed(1)} s)`,
      `${seeds} of ${seeds}`,
      good === seeds,
    ],
  ];
}

async function caseB(dir: string): Promise<Row[]> {
  const stateOptions: GenerateStateOptions = {
    services: 1000,
    connectionsPerService: 10,
    pendingRatio: 1,
    domains: 50,
    seed: 42,
  };
  const r = await remoteSweep(dir, 'b', stateOptions, { seed: 11, errorRate: 0.02 }, 0);
  const ratio = r.requests / r.minimum;
  return [
    ['(b) 1,000 x 10 pending, 2% 500s: failed actions', String(r.failedActions), '0', r.failedActions === 0],
    [
      '(b) requests made / minimum',
      `${r.requests} / ${r.minimum} (${ratio.toFixed(3)}x; ${r.sim.faults.error} injected 500s)`,
      '<= 1.03x',
      ratio <= 1.03,
    ],
  ];
}

async function caseC(dir: string): Promise<Row[]> {
  const limit = 50;
  const stateOptions: GenerateStateOptions = {
    services: 60,
    connectionsPerService: 10,
    pendingRatio: 1,
    domains: 50,
    seed: 43,
  };
  const r = await remoteSweep(dir, 'c', stateOptions, { rateLimitPerSecond: limit }, 10);
  const throttled = r.sim.by_status['429'] ?? 0;
  const admitted = r.sim.requests - throttled;
  const rate = admitted / (r.wallMs / 1000);
  const bound = admitted / limit;
  const share = throttled / r.sim.requests;
  return [
    [
      `(c) 60 x 10 pending, limit ${limit}/s, 10 ms: admitted rate`,
      `${rate.toFixed(1)}/s (${((rate / limit) * 100).toFixed(1)}% of the limit)`,
      '>= 90%',
      rate >= 0.9 * limit,
    ],
    [
      '(c) requests throttled',
      `${throttled} of ${r.sim.requests} (${(share * 100).toFixed(1)}%)`,
      '<= 5%',
      share <= 0.05,
    ],
    ['(c) failed actions', String(r.failedActions), '0', r.failedActions === 0],
    [
      '(c) wall time / bound (admitted / limit)',
      `${(r.wallMs / 1000).toFixed(2)} s / ${bound.toFixed(2)} s (${(r.wallMs / 1000 / bound).toFixed(2)}x)`,
      '-',
      true,
    ],
  ];
}

async function caseD(dir: string): Promise<Row[]> {
  const stateOptions: GenerateStateOptions = {
    services: 100,
    connectionsPerService: 5,
    pendingRatio: 1,
    domains: 50,
    seed: 44,
  };
  const r = await remoteSweep(dir, 'd', stateOptions, { errorRate: 1, injectOn: 'write' }, 0);
  const writes = Object.entries(r.sim.by_route)
    .filter(([route]) => route.startsWith('POST') || route.startsWith('PUT') || route.startsWith('DELETE'))
    .reduce((n, [, byStatus]) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
  const perAction = writes / r.plannedWrites;
  const exit = r.summary.failed ? 1 : 0;
  const quotaNoted = r.summary.failures.filter((f) => f.error.message.includes('retry quota exhausted')).length;
  const gaveUp = r.summary.failures.filter((f) => f.error.message.includes('gave up after')).length;
  return [
    [
      '(d) every write 500, 100 x 5 pending: write requests / planned',
      `${writes} / ${r.plannedWrites} (${perAction.toFixed(2)} per action)`,
      '<= 1.5',
      perAction <= 1.5,
    ],
    [
      '(d) duration, exit status',
      `${(r.wallMs / 1000).toFixed(1)} s, exit ${exit}`,
      '<= 60 s, exit 1',
      r.wallMs <= 60_000 && exit === 1,
    ],
    [
      '(d) failures that say "retry quota exhausted"',
      `${quotaNoted} of ${r.summary.failures.length} (${gaveUp} "gave up after 8 attempts")`,
      'a clear failure',
      quotaNoted > 0 && r.summary.failures.length === r.summary.actions.length,
    ],
  ];
}

// ---------------------------------------------------------------------------------------------

/** A sweep like `apply`'s: its own rate limiter, default concurrency, audit events to a file. */
async function sweep(
  url: string,
  projectId: string,
  policy: Policy,
  sha256: string,
  auditFile: string,
): Promise<{ summary: RunSummary; requests: number }> {
  const deps = createRunDeps({
    connection: { endpoint: url, projectId, credentials: CREDS },
    sink: createFileSink(auditFile),
    logger: silentLogger,
    fallback: process.stderr,
    client: { rateLimiter: createRateLimiter() },
  });
  const summary = await runReview(deps, policy, {
    run: runContextFactory({ runId: `bench-${Date.now()}`, projectId, policySha256: sha256 }),
    scope: 'sweep',
    revocationCap: { max: DEFAULT_MAX_REVOCATIONS, lifted: false },
  });
  await deps.auditor.close();
  return { summary, requests: deps.client.stats().requests };
}

function allowAll(state: SimulatorState): { policy: Policy; sha256: string } {
  const text = generatedStatePolicy(state, { rule: 'bench', allow: consumerDomains(state) });
  return parsePolicy(text, 'bench-faults-policy', NOW);
}

async function remoteSweep(
  dir: string,
  name: string,
  stateOptions: GenerateStateOptions,
  faults: FaultOptions,
  latencyMs: number,
) {
  const state = generateState(stateOptions);
  const { policy, sha256 } = allowAll(state);
  const { minimum, connectionActions, whitelistBatches } = minimumRequests(policy, state, NOW);
  const { url, child } = await startRemoteSimulator({ state: stateOptions, latencyMs, faults, credentials: CREDS });
  try {
    const started = performance.now();
    const run = await sweep(url, state.project_id, policy, sha256, join(dir, `${name}.jsonl`));
    const wallMs = performance.now() - started;
    const sim = (await (await fetch(`${url}/__admin/stats`)).json()) as SimulatorStats;
    const failedActions = run.summary.actions.filter((a) => a.outcome === 'failed').length;
    return {
      summary: run.summary,
      requests: run.requests,
      minimum,
      wallMs,
      sim,
      failedActions,
      plannedWrites: connectionActions + whitelistBatches,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
