import { PassThrough } from 'node:stream';

import { CliContext, createCliContext } from '../../lib/cli/context';
import { runCli } from '../../lib/cli/program';

/** A stream whose writes are kept: read back as text, as lines, or as one JSON value a line (as JSON.parse types it). */
export function captureStream(): {
  stream: PassThrough;
  text: () => string;
  lines: () => string[];
  json: <T = ReturnType<typeof JSON.parse>>() => T[];
} {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  const text = () => Buffer.concat(chunks).toString('utf8');
  const lines = () => text().split('\n').filter(Boolean);
  return { stream, text, lines, json: <T>() => lines().map((l) => JSON.parse(l) as T) };
}

/** A CLI context whose stdout and stderr are collected as text (the environment is only `env`). */
export function captureCli(env: Record<string, string> = {}): {
  ctx: CliContext;
  out: () => string;
  err: () => string;
} {
  const stdout = captureStream();
  const stderr = captureStream();
  return {
    ctx: createCliContext({ env, stdout: stdout.stream, stderr: stderr.stream }),
    out: stdout.text,
    err: stderr.text,
  };
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
