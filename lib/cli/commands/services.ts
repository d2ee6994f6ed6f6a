import { Command } from 'commander';

import { collect } from '../../collect';
import { addApiOptions, ApiOptions, createClientFromOptions } from '../api-options';
import { CliContext } from '../context';
import { formatTable, printJson } from '../output';

/** `services [--json]`: every endpoint service of the project (4.2.5). */
export function registerServices(program: Command, ctx: CliContext): void {
  addApiOptions(
    program
      .command('services')
      .description('list the endpoint services of the project (all pages)')
      .option('--json', 'print a JSON array of the normalised records'),
  ).action(async (options: ApiOptions & { json?: boolean }) => {
    const client = createClientFromOptions(options, ctx);
    const services = await collect(client.listServices());
    if (options.json) return printJson(ctx, services);
    if (services.length === 0) return void ctx.stdout.write('no endpoint services\n');
    ctx.stdout.write(
      formatTable(services, [
        { header: 'ID', value: (s) => s.id },
        { header: 'NAME', value: (s) => s.service_name },
        { header: 'STATUS', value: (s) => s.status },
        { header: 'APPROVAL', value: (s) => (s.approval_enabled ? 'required' : 'off') },
        { header: 'CONNECTIONS', value: (s) => s.connection_count },
        { header: 'CREATED', value: (s) => s.created_at },
      ]),
    );
  });
}
