import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../../errors';
import { parseSimulatorState, startSimulator } from '../../simulator';
import { CliContext } from '../context';
import type { RegisterCommand } from './index';

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535)`);
  return Number(value);
}

/** How the command waits to be stopped; tests inject a promise they resolve. */
export type StopSignal = () => Promise<void>;

const untilSignal: StopSignal = () =>
  new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/**
 * `vpcep-approver simulator [--port N] [--state FILE] [--ak AK --sk SK]`: runs the embedded VPCEP
 * simulator on 127.0.0.1, prints its base URL as the first line of stdout, and serves until
 * SIGINT/SIGTERM. With --ak/--sk every API request must be signed with them.
 */
export function simulatorCommand(waitForStop: StopSignal = untilSignal): RegisterCommand {
  return (program: Command, ctx: CliContext) => {
    program
      .command('simulator')
      .description('run the embedded VPCEP simulator (prints its base URL on the first line) until stopped')
      .option('--port <n>', 'TCP port on 127.0.0.1 (0 = any free port)', portNumber, 0)
      .option('--state <file>', 'state file (JSON, CONTRACT section 5)')
      .option('--ak <ak>', 'access key that requests must be signed with (needs --sk)')
      .option('--sk <sk>', 'secret key of --ak')
      .action(async (opts: { port: number; state?: string; ak?: string; sk?: string }) => {
        if ((opts.ak === undefined) !== (opts.sk === undefined)) throw new UsageError('--ak and --sk go together: give both or neither');
        const state = opts.state === undefined ? undefined : await loadState(opts.state);
        const sim = await startSimulator({
          port: opts.port,
          ...(state ? { state } : {}),
          ...(opts.ak !== undefined && opts.sk !== undefined ? { credentials: { ak: opts.ak, sk: opts.sk } } : {}),
        });
        ctx.stdout.write(`${sim.url}\n`);
        const services = sim.state().services.length;
        ctx.stderr.write(
          `simulator: project ${sim.projectId}, ${services} service(s), ${opts.ak ? 'AK/SK signatures required' : 'no authentication'}; ` +
            `API at ${sim.url}/v1/${sim.projectId}, inspection at ${sim.url}/__admin/log and /__admin/stats\n`,
        );
        await waitForStop();
        await sim.stop();
        ctx.stderr.write('simulator: stopped\n');
      });
  };
}

async function loadState(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSimulatorState(json, file);
}
