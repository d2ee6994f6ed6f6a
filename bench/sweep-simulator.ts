/**
 * The simulator side of `npm run bench` and `npm run bench:faults`, in its own process so that
 * it does not share the engine's event loop: generates the state from the options in argv[2]
 * (JSON), serves it with the given added latency and faults, prints its base URL, and runs until
 * SIGTERM.
 */
import { FaultOptions, generateState, GenerateStateOptions, startSimulator } from '../lib/simulator';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as {
    state: GenerateStateOptions;
    latencyMs: number;
    ak: string;
    sk: string;
    faults?: FaultOptions;
  };
  const sim = await startSimulator({
    state: generateState(options.state),
    credentials: { ak: options.ak, sk: options.sk },
    faults: { ...options.faults, latencyMs: options.latencyMs },
  });
  process.stdout.write(`${sim.url}\n`);
  // The parent asks for the simulator's CPU time so that both sides of the run are reported.
  process.on('SIGUSR2', () => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  });
  process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
}

void main();
