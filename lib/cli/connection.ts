/**
 * The connection options every API command shares (CONTRACT.md section 1): --endpoint, --region,
 * --project-id, with the environment (ctx.env) behind them, and the client built from both.
 */
import { Command } from 'commander';
import { ConnectionConfig, loadConnectionConfig } from '../config';
import { createVpcepClient, CreateVpcepClientOptions, Logger, VpcepClient } from '../vpcep/client';
import { CliContext } from './context';

/** The parsed connection options of a command (commander camel-cases --project-id). */
export interface ConnectionOptions {
  endpoint?: string;
  region?: string;
  projectId?: string;
}

/** Adds --endpoint, --region and --project-id to `command` and returns it. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'VPCEP API base URL (env VPCEP_ENDPOINT); http:// only for loopback hosts')
    .option('--region <region>', 'region, used when no endpoint is given: https://vpcep.<region>.myhuaweicloud.com (env HUAWEICLOUD_SDK_REGION)')
    .option('--project-id <id>', 'project id (env HUAWEICLOUD_SDK_PROJECT_ID)')
    .addHelpText(
      'after',
      '\nCredentials come from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (AK/SK signing, preferred),\n' +
        'HUAWEICLOUD_SDK_SECURITY_TOKEN with temporary AK/SK, or HUAWEICLOUD_SDK_AUTH_TOKEN (token authentication).\n',
    );
}

/** The connection settings from the options, falling back to ctx.env; throws ConfigError naming what is missing or wrong. */
export function connectionConfigFromOptions(options: ConnectionOptions, ctx: CliContext): ConnectionConfig & { credentials: NonNullable<ConnectionConfig['credentials']> } {
  return loadConnectionConfig(ctx.env, { endpoint: options.endpoint, region: options.region, projectId: options.projectId });
}

/** A logger that writes warnings (retries) to stderr, keeping stdout for data. */
export function stderrLogger(ctx: CliContext): Logger {
  return { warn: (message) => ctx.stderr.write(`warning: ${message}\n`) };
}

/** Builds a VPCEP client from a command's connection options and ctx.env. */
export function createClientFromOptions(options: ConnectionOptions, ctx: CliContext, overrides: Partial<CreateVpcepClientOptions> = {}): VpcepClient {
  const config = connectionConfigFromOptions(options, ctx);
  return createVpcepClient({ endpoint: config.endpoint, projectId: config.projectId, credentials: config.credentials, logger: stderrLogger(ctx), ...overrides });
}
