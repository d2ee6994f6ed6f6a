/**
 * The engine's side of the benchmarks' simulator process (bench/sweep-simulator.ts): starting it,
 * and the fewest requests a sweep of its state can make.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { needsAcceptedConnections, planService } from '../lib/policy/evaluate';
import { Policy } from '../lib/policy/schema';
import { FaultOptions, GenerateStateOptions, SimulatorState } from '../lib/simulator';

export interface RemoteSimulator {
  url: string;
  child: ChildProcess;
  /** The next line the simulator process prints (its CPU time, after SIGUSR2). */
  nextLine(): Promise<string>;
}

/** Starts bench/sweep-simulator.ts in a child process serving `state` and waits for its URL. */
export async function startRemoteSimulator(options: {
  state: GenerateStateOptions;
  latencyMs: number;
  faults?: FaultOptions;
  credentials: { ak: string; sk: string };
}): Promise<RemoteSimulator> {
  const { credentials, ...rest } = options;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'sweep-simulator.ts'), JSON.stringify({ ...rest, ...credentials })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => (await lines.next()).value as string;
  return { url: await nextLine(), child, nextLine };
}

/**
 * The fewest requests a sweep of `state` can make with the engine's safety rails: one list page
 * of services per 1000; per service one page of pending connections and one of whitelist records
 * (each fits a page), and one page of its accepted connections when a pending connection counts
 * against a max_connections or a whitelist removal must be counted against the cap; one call per
 * accept/reject, plus one read by id before each reject of a pending connection (a person may
 * have accepted it since the listing); one whitelist call per service and direction that has
 * records to change.
 */
export function minimumRequests(
  policy: Policy,
  state: SimulatorState,
  now: Date,
): { minimum: number; connectionActions: number; whitelistBatches: number } {
  let connectionActions = 0;
  let whitelistBatches = 0;
  let rejectReads = 0;
  let acceptedReads = 0;
  for (const s of state.services) {
    const plan = planService(policy, s, s.connections, s.permissions, now, 'sweep');
    connectionActions += plan.actions.filter((a) => a.type.startsWith('connection.')).length;
    rejectReads += plan.actions.filter((a) => a.type === 'connection.reject').length;
    whitelistBatches += new Set(plan.actions.filter((a) => a.type.startsWith('whitelist.')).map((a) => a.type)).size;
    const pending = s.connections.filter((c) => c.status === 'pendingAcceptance');
    if (needsAcceptedConnections(policy, s, pending, now) || plan.actions.some((a) => a.type === 'whitelist.remove'))
      acceptedReads++;
  }
  const minimum =
    Math.ceil(state.services.length / 1000) +
    state.services.length * 2 +
    acceptedReads +
    connectionActions +
    rejectReads +
    whitelistBatches;
  return { minimum, connectionActions, whitelistBatches };
}
