/**
 * Scale benchmark of the embedded VPCEP simulator (issue: 10,000 services and 1,000,000
 * connections in memory; a list page of 1000 served in well under 50 ms). Not part of npm test.
 *
 *   npx tsx bench/simulator.ts
 *
 * The state: 10,000 services; one "hot" service holds 500,050 connections and the other 9,999
 * hold 50 each: 1,000,000 connections in all. Every request is signed, as in production.
 * Prints the time to generate and load the state and, for each query, the median and worst of
 * a series of requests over HTTP on 127.0.0.1 (first request of each query reported apart).
 */
import { generateState, startSimulator } from '../lib/simulator';
import { signRequest } from '../lib/vpcep/sign';

const CREDS = { ak: 'BENCHAK', sk: 'bench-secret' };
const RUNS = 25;

async function timed(url: string): Promise<{ ms: number; count: number; total: number }> {
  const headers = signRequest({ method: 'GET', url, headers: {} }, CREDS);
  const t = performance.now();
  const res = await fetch(url, { headers });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  const list = (body.connections ?? body.endpoint_services ?? body.permissions) as unknown[];
  return { ms, count: list.length, total: body.total_count as number };
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  let t = performance.now();
  let state: ReturnType<typeof generateState> | undefined = generateState({
    services: 10_000,
    connectionsPerService: (i) => (i === 0 ? 500_050 : 50),
    pendingRatio: 0.2,
    seed: 1,
  });
  const connections = state.services.reduce((n, s) => n + s.connections.length, 0);
  console.log(
    `generated ${state.services.length} services, ${connections} connections in ${fmt(performance.now() - t)}`,
  );
  t = performance.now();
  const sim = await startSimulator({ state: state, credentials: CREDS });
  console.log(
    `loaded and listening in ${fmt(performance.now() - t)}; heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
  );
  const hot = state.services[0]!.id;
  const cold = state.services[4242]!.id;
  const marker = state.services[0]!.connections[123_456]!.marker_id;
  const pending = state.services[0]!.connections.find((c) => c.status === 'pendingAcceptance')!;
  // The simulator keeps its own copy; drop the input so the heap holds the data once.
  // eslint-disable-next-line no-useless-assignment -- released for the garbage collector
  state = undefined;
  const api = `${sim.url}/v1/${sim.projectId}`;
  const queries: [string, string][] = [
    ['services, page of 1000 (offset 5000)', `${api}/vpc-endpoint-services?limit=1000&offset=5000`],
    ['hot service connections, first page of 1000', `${api}/vpc-endpoint-services/${hot}/connections?limit=1000`],
    [
      'hot service connections, page of 1000 at offset 250,000',
      `${api}/vpc-endpoint-services/${hot}/connections?limit=1000&offset=250000`,
    ],
    [
      'hot service connections, last page (asc, offset 499,000)',
      `${api}/vpc-endpoint-services/${hot}/connections?limit=1000&offset=499000&sort_dir=asc`,
    ],
    [
      'hot service pendingAcceptance, page of 1000 at offset 50,000',
      `${api}/vpc-endpoint-services/${hot}/connections?status=pendingAcceptance&limit=1000&offset=50000`,
    ],
    [
      'hot service sorted by updated_at, page of 1000',
      `${api}/vpc-endpoint-services/${hot}/connections?sort_key=updated_at&limit=1000`,
    ],
    ['hot service lookup by marker_id', `${api}/vpc-endpoint-services/${hot}/connections?marker_id=${marker}`],
    ['ordinary service connections (50)', `${api}/vpc-endpoint-services/${cold}/connections?limit=1000`],
  ];
  for (const [label, url] of queries) {
    const first = await timed(url);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await timed(url)).ms);
    times.sort((a, b) => a - b);
    console.log(
      `${label}: ${first.count} of ${first.total}; first ${fmt(first.ms)}, median ${fmt(times[Math.floor(RUNS / 2)]!)}, worst ${fmt(times[RUNS - 1]!)} (${RUNS} runs)`,
    );
  }
  // An accept in the hot service, then the first page again: indexes are updated, not rebuilt.
  const actionUrl = `${api}/vpc-endpoint-services/${hot}/connections/action`;
  const body = JSON.stringify({ action: 'receive', endpoints: [pending.id] });
  const headers = signRequest(
    { method: 'POST', url: actionUrl, headers: { 'Content-Type': 'application/json' }, body },
    CREDS,
  );
  t = performance.now();
  const res = await fetch(actionUrl, { method: 'POST', headers, body });
  await res.text();
  console.log(`accept one connection of the hot service: ${res.status} in ${fmt(performance.now() - t)}`);
  const after = await timed(`${api}/vpc-endpoint-services/${hot}/connections?status=pendingAcceptance&limit=1000`);
  console.log(
    `hot service pendingAcceptance page after the accept: ${after.count} of ${after.total} in ${fmt(after.ms)}`,
  );
  await sim.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
