import { Command } from 'commander';

import { policyJsonSchema } from '../../policy/schema';
import { CliContext } from '../context';
import { printJson } from '../output';

/** `vpcep-approver schema`: the policy file's JSON Schema, generated from the zod schema. */
export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description("print the policy file's JSON Schema")
    .action(() => {
      printJson(ctx, policyJsonSchema());
    });
}
