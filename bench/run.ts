/**
 * `npm run bench`: a sweep of many services against the simulator with added latency, measured
 * against what the contract allows.
 *
 *   npm run bench                      # 1,000 services, 20,000 pending connections, 20 ms a call
 *   npm run bench -- --services 200 --per-service 10 --latency 20 --concurrency 8
 *
 * Prints: API calls made vs the minimum (list pages + per-service reads + one call per
 * accept/reject + whitelist batches), wall time vs the lower bound calls x latency / concurrency,
 * and peak memory of the engine's process. The simulator runs in a child process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createFileSink } from '../lib/audit/file-sink';
import { DEFAULT_MAX_REVOCATIONS } from '../lib/config';
import { runReview } from '../lib/engine/run';
import { silentLogger } from '../lib/logger';
import { parsePolicy } from '../lib/policy/load';
import { generateState, GenerateStateOptions } from '../lib/simulator';
import { runContextFactory } from '../test/support/records';
import { consumerDomains, generatedStatePolicy } from '../test/support/scenarios';
import { minimumRequests, startRemoteSimulator } from './remote-simulator';
import { createRunDeps } from './run-deps';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    'per-service': { type: 'string', default: '20' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
  },
});
const SERVICES = Number(args.services);
const PER_SERVICE = Number(args['per-service']);
const LATENCY_MS = Number(args.latency);
const CONCURRENCY = Number(args.concurrency);
const CREDS = { ak: 'BENCHAK0000000000001', sk: 'bench-secret-key' };
const NOW = new Date('2026-11-26T00:00:00Z');

async function main(): Promise<void> {
  // Every connection pending, from 50 consumer domains: 40 allowed, 5 denied, 5 unlisted (left).
  const stateOptions: GenerateStateOptions = {
    services: SERVICES,
    connectionsPerService: PER_SERVICE,
    pendingRatio: 1,
    domains: 50,
    seed: 42,
  };
  const state = generateState(stateOptions);
  const domains = consumerDomains(state);
  const policyText = generatedStatePolicy(state, {
    rule: 'bench',
    allow: domains.slice(0, 40),
    deny: domains.slice(40, 45),
  });
  const { policy, sha256 } = parsePolicy(policyText, 'bench-policy', NOW);

  const { minimum, connectionActions } = minimumRequests(policy, state, NOW);
  const sim = await startRemoteSimulator({ state: stateOptions, latencyMs: LATENCY_MS, credentials: CREDS });
  const { url, child } = sim;
  const dir = await mkdtemp(join(tmpdir(), 'vpcep-bench-'));
  try {
    const deps = createRunDeps({
      connection: { endpoint: url, projectId: state.project_id, credentials: CREDS },
      sink: createFileSink(join(dir, 'audit.jsonl')),
      logger: silentLogger,
      fallback: process.stderr,
      maxUnaudited: CONCURRENCY + 10,
    });
    let peakRss = 0;
    let peakHeap = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const sampler = setInterval(sample, 25);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await runReview(deps, policy, {
      run: runContextFactory({ runId: 'bench', projectId: state.project_id, policySha256: sha256 }),
      scope: 'sweep',
      concurrency: CONCURRENCY,
      revocationCap: { max: DEFAULT_MAX_REVOCATIONS, lifted: false },
    });
    const wall = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    sample();
    await deps.auditor.close();
    const calls = deps.client.stats().requests;
    const lowerBound = (calls * LATENCY_MS) / CONCURRENCY;
    const simStats = (await (await fetch(`${url}/__admin/stats`)).json()) as { peak_concurrency: number };
    child.kill('SIGUSR2');
    const simCpuMs = (JSON.parse(await sim.nextLine()) as { cpuMs: number }).cpuMs;

    const second = createRunDeps({
      connection: { endpoint: url, projectId: state.project_id, credentials: CREDS },
      sink: createFileSink(join(dir, 'again.jsonl')),
      logger: silentLogger,
      fallback: process.stderr,
    });
    const again = await runReview(second, policy, {
      run: runContextFactory({ runId: 'bench-2', projectId: state.project_id, policySha256: sha256 }),
      scope: 'sweep',
      concurrency: CONCURRENCY,
      revocationCap: { max: DEFAULT_MAX_REVOCATIONS, lifted: false },
    });
    await second.auditor.close();

    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    const rows: [string, string][] = [
      ['services / pending connections', `${SERVICES} / ${SERVICES * PER_SERVICE}`],
      ['latency per call / concurrency', `${LATENCY_MS} ms / ${CONCURRENCY}`],
      [
        'actions (accept/reject, whitelist records)',
        `${connectionActions} connection, ${summary.actions.length - connectionActions} whitelist; ${summary.left_pending.length} left pending`,
      ],
      ['action failures', String(summary.failures.length)],
      [
        'API calls made / minimum',
        `${calls} / ${minimum} (${calls === minimum ? 'equal' : `${(calls / minimum).toFixed(3)}x`})`,
      ],
      [
        'wall time / lower bound',
        `${(wall / 1000).toFixed(2)} s / ${(lowerBound / 1000).toFixed(2)} s (${(wall / lowerBound).toFixed(2)}x)`,
      ],
      ['requests in flight at the simulator (peak)', String(simStats.peak_concurrency)],
      [
        'CPU time of the engine (user + system)',
        `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${((cpu.user + cpu.system) / 1e3 / calls).toFixed(2)} ms per call)`,
      ],
      [
        'CPU time of the simulator (whole process)',
        `${(simCpuMs / 1000).toFixed(2)} s (${(simCpuMs / calls).toFixed(2)} ms per call)`,
      ],
      ['peak memory of the engine (rss / heap)', `${mb(peakRss)} / ${mb(peakHeap)}`],
      ['second sweep: actions / API calls', `${again.actions.length} / ${second.client.stats().requests}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    if (summary.failed || calls !== minimum || again.actions.length > 0) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
