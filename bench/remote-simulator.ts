/**
 * The engine's side of the benchmarks' simulator process (bench/sweep-simulator.ts): starting it,
 * and the fewest requests a sweep of its state can make.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { planService } from '../lib/policy/evaluate';
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
 * The fewest requests a sweep of `state` can make: one list page of services per 1000, per
 * service one page of pending connections and one of whitelist records (each fits a page), one
 * call per accept/reject, one whitelist call per service and direction that has records to change.
 */
export function minimumRequests(
  policy: Policy,
  state: SimulatorState,
  now: Date,
): { minimum: number; connectionActions: number; whitelistBatches: number } {
  let connectionActions = 0;
  let whitelistBatches = 0;
  for (const s of state.services) {
    const plan = planService(policy, s, s.connections, s.permissions, now, 'sweep');
    connectionActions += plan.actions.filter((a) => a.type.startsWith('connection.')).length;
    whitelistBatches += new Set(plan.actions.filter((a) => a.type.startsWith('whitelist.')).map((a) => a.type)).size;
  }
  const minimum =
    Math.ceil(state.services.length / 1000) + state.services.length * 2 + connectionActions + whitelistBatches;
  return { minimum, connectionActions, whitelistBatches };
}
