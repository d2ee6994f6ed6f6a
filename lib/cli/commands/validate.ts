import { Command } from 'commander';

import { AppError } from '../../errors';
import { loadPolicyFile, PolicyError } from '../../policy/load';
import { formatProblem, type PolicyProblem } from '../../policy/problems';
import { CliContext } from '../context';
import { printJson } from '../output';

/**
 * `vpcep-approver validate <policy-file> [--json]`: exit 0 and "valid" (warnings listed), or
 * exit 1 and every problem with its path, the bad value and what was expected.
 */
export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check a policy file; prints every problem with its path')
    .argument('<policy-file>', 'policy file (YAML or JSON)')
    .option('--json', 'print one JSON document: {valid, file, sha256?, errors, warnings}')
    .action(async (file: string, opts: { json?: boolean }) => {
      let warnings: PolicyProblem[];
      let sha256: string | undefined;
      let errors: PolicyProblem[] = [];
      try {
        ({ warnings, sha256 } = await loadPolicyFile(file));
      } catch (err) {
        if (
          opts.json &&
          err instanceof AppError &&
          (err.code === 'POLICY_UNREADABLE' || err.code === 'POLICY_TOO_LARGE')
        ) {
          // --json promises one JSON document on stdout, also when the file cannot be read.
          errors = [{ path: '', message: err.message, severity: 'error' }];
          warnings = [];
        } else {
          if (!(err instanceof PolicyError)) throw err;
          errors = err.problems.filter((p) => p.severity === 'error');
          warnings = err.problems.filter((p) => p.severity === 'warning');
        }
      }
      const valid = errors.length === 0;
      if (!valid) ctx.exitCode = 1;
      if (opts.json) {
        printJson(ctx, { valid, file, ...(sha256 === undefined ? {} : { sha256 }), errors, warnings });
        return;
      }
      const lines = valid
        ? [`${file}: valid`]
        : [`${file}: invalid, ${errors.length} error${errors.length === 1 ? '' : 's'}`];
      for (const p of errors) lines.push(`  error: ${formatProblem(p)}`);
      for (const p of warnings) lines.push(`  warning: ${formatProblem(p)}`);
      ctx.stdout.write(`${lines.join('\n')}\n`);
    });
}
