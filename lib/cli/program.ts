import { Command, CommanderError } from 'commander';

import { AppError } from '../errors';
import { commands } from './commands';
import { CliContext } from './context';

/** Builds the `vpcep-approver` program around an injected context (see CliContext). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('vpcep-approver')
    .description(
      'Policy-as-code approval of Huawei Cloud VPC Endpoint connections and whitelists, with an audit trail.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  for (const register of commands) register(program, ctx);
  return program;
}

/**
 * Runs the program on argv (without the node and script entries) and returns the exit status:
 * 0 success, 1 failure, 2 only when a command asks for it (`--detailed-exitcode`).
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 1;
    }
    ctx.stderr.write(`error: ${describeError(err)}\n`);
    return 1;
  }
}

function describeError(err: unknown): string {
  if (err instanceof AppError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}
