import { createCliContext } from './context';
import { runCli } from './program';

// A closed stdout or stderr (`plan | head -1`) is not a reason to stop a run or to crash:
// what can no longer be read is dropped, and the command ends as it would have.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

runCli(process.argv.slice(2), createCliContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
