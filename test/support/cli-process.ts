import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node bin/vpcep-approver.js ...` as a separate process, the way a person runs it: the
 * pinned Node first on PATH and only the given environment (no AWS or Huawei settings leak in
 * from the machine).
 */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  options: { detached?: boolean } = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn('node', ['bin/vpcep-approver.js', ...args], {
    cwd: ROOT,
    // Its own process group, so a test can signal the whole group as a terminal's Ctrl-C does.
    detached: options.detached === true,
    env: {
      PATH: `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to the end. */
export function runCliProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  return spawnCli(args, env).done;
}
