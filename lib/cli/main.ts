import { createCliContext } from './context';
import { runCli } from './program';

runCli(process.argv.slice(2), createCliContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
