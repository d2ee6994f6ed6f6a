import { Command } from 'commander';

import { collect } from '../../collect';
import { addApiOptions, ApiOptions, createClientFromOptions } from '../api-options';
import { CliContext } from '../context';
import { printRecords } from '../output';

/** `services [--json]`: every endpoint service of the project (4.2.5). */
export function registerServices(program: Command, ctx: CliContext): void {
  addApiOptions(
    program
      .command('services')
      .description('list the endpoint services of the project (all pages)')
      .option('--json', 'print a JSON array of the normalised records'),
  ).action(async (options: ApiOptions & { json?: boolean }) => {
    const client = createClientFromOptions(options, ctx);
    printRecords(ctx, await collect(client.listServices()), {
      json: options.json,
      empty: 'no endpoint services',
      columns: [
        { header: 'ID', value: (s) => s.id },
        { header: 'NAME', value: (s) => s.service_name },
        { header: 'STATUS', value: (s) => s.status },
        { header: 'APPROVAL', value: (s) => (s.approval_enabled ? 'required' : 'off') },
        { header: 'CONNECTIONS', value: (s) => s.connection_count },
        { header: 'CREATED', value: (s) => s.created_at },
      ],
    });
  });
}
