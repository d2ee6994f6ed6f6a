import { Writable } from 'node:stream';
import type { Command } from 'commander';

/** The signals a long command handles (CONTRACT section 1: exit 130 / 143). */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * What a command needs from the outside world, injected so tests can run commands in-process:
 * the environment (read once, here, for the CLI), where output goes, and the process's signals.
 * Data goes to stdout; logs, progress and errors go to stderr, so `--json` output stays one
 * clean document.
 */
export interface CliContext {
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writable;
  stderr: Writable;
  /** Exit status the command asks for (0 when unset). */
  exitCode: number;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
  onSignal: (handler: (signal: StopSignal) => void) => () => void;
  /** Ends the process now (a second interrupt), after the caller wrote what it must. */
  exitNow: (code: number) => void;
}

export function createCliContext(overrides: Partial<CliContext> = {}): CliContext {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    exitCode: 0,
    onSignal: (handler) => {
      const signals: StopSignal[] = ['SIGINT', 'SIGTERM'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
    exitNow: (code) => process.exit(code),
    ...overrides,
  };
}

/** 128 + the signal number, as shells report a process ended by it. */
export function signalExitCode(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** A command module adds its subcommand(s) to the program (lib/cli/commands/index.ts lists them). */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;
