import { PassThrough } from 'node:stream';

import { CliContext, createCliContext } from '../../lib/cli/context';
import { runCli } from '../../lib/cli/program';

/** A CLI context whose stdout and stderr are collected as text (the environment is only `env`). */
export function captureCli(env: Record<string, string> = {}): {
  ctx: CliContext;
  out: () => string;
  err: () => string;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { ctx: createCliContext({ env, stdout, stderr }), out: () => out, err: () => err };
}

/** Runs `vpcep-approver <argv>` in-process and returns its exit status and output. */
export async function runCaptured(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureCli(env);
  const code = await runCli(argv, io.ctx);
  return { code, out: io.out(), err: io.err() };
}
