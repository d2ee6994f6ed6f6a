import { Command } from 'commander';

import { collect } from '../../collect';
import { CONNECTION_STATUSES } from '../../model';
import { addApiOptions, ApiOptions, createClientFromOptions } from '../api-options';
import { CliContext } from '../context';
import { choiceOption } from '../options';
import { printRecords } from '../output';

/** `connections <service-id> [--status S] [--json]`: every connection of a service (4.2.6). */
export function registerConnections(program: Command, ctx: CliContext): void {
  addApiOptions(
    program
      .command('connections')
      .description("list an endpoint service's connections (all pages)")
      .argument('<service-id>', 'endpoint service id')
      .addOption(choiceOption('--status <status>', 'only connections in this status', CONNECTION_STATUSES))
      .option('--json', 'print a JSON array of the normalised records'),
  ).action(async (serviceId: string, options: ApiOptions & { json?: boolean; status?: string }) => {
    const client = createClientFromOptions(options, ctx);
    const connections = await collect(
      client.listConnections(serviceId, options.status ? { status: options.status } : {}),
    );
    printRecords(ctx, connections, {
      json: options.json,
      empty: options.status ? `no connections with status ${options.status}` : 'no connections',
      columns: [
        { header: 'ENDPOINT ID', value: (c) => c.id },
        { header: 'DOMAIN', value: (c) => c.domain_id },
        { header: 'STATUS', value: (c) => c.status },
        { header: 'MARKER', value: (c) => c.marker_id },
        { header: 'CREATED', value: (c) => c.created_at },
      ],
    });
  });
}
