import { Writable } from 'node:stream';

/**
 * What a command needs from the outside world, injected so tests can run commands in-process:
 * the environment (read once, here, for the CLI), and where output goes. Data goes to stdout;
 * logs, progress and errors go to stderr, so `--json` output stays one clean document.
 */
export interface CliContext {
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writable;
  stderr: Writable;
  /** Exit status the command asks for (0 when unset). */
  exitCode: number;
}

export function createCliContext(overrides: Partial<CliContext> = {}): CliContext {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr, exitCode: 0, ...overrides };
}
