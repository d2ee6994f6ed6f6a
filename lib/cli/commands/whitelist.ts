import { Command } from 'commander';

import { collect } from '../../collect';
import { addApiOptions, ApiOptions, createClientFromOptions } from '../api-options';
import { CliContext } from '../context';
import { printRecords } from '../output';

/** `whitelist <service-id> [--json]`: every whitelist record of a service (4.2.8). */
export function registerWhitelist(program: Command, ctx: CliContext): void {
  addApiOptions(
    program
      .command('whitelist')
      .description("list an endpoint service's whitelist records (all pages)")
      .argument('<service-id>', 'endpoint service id')
      .option('--json', 'print a JSON array of the normalised records'),
  ).action(async (serviceId: string, options: ApiOptions & { json?: boolean }) => {
    const client = createClientFromOptions(options, ctx);
    printRecords(ctx, await collect(client.listWhitelist(serviceId)), {
      json: options.json,
      empty: 'no whitelist records',
      columns: [
        { header: 'ID', value: (r) => r.id },
        { header: 'PERMISSION', value: (r) => r.permission },
        { header: 'DESCRIPTION', value: (r) => r.description },
        { header: 'CREATED', value: (r) => r.created_at },
      ],
    });
  });
}
