/**
 * The API options every command that calls VPCEP shares (CONTRACT.md section 1): --endpoint, --region,
 * --project-id, --max-rate and --timeout, with the environment (ctx.env) behind them, and the
 * client built from them.
 */
import { Command } from 'commander';

import { ConnectionConfig, ConnectionOverrides, loadConnectionConfig, loadRunLimits } from '../config';
import { createRateLimiter, createReadClient } from '../deps';
import { ClientLogger, CreateVpcepClientOptions, VpcepClient } from '../vpcep/client';
import { CliContext } from './context';

/** The parsed API options of a command (commander camel-cases --project-id). */
export interface ApiOptions extends ConnectionOverrides {
  /** --max-rate, as given (checked by loadRunLimits). */
  maxRate?: string;
  /** --timeout, as given. */
  timeout?: string;
}

/** Adds --endpoint, --region, --project-id, --max-rate and --timeout to `command` and returns it. */
export function addApiOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'VPCEP API base URL (env VPCEP_ENDPOINT); http:// only for loopback hosts')
    .option(
      '--region <region>',
      'region, used when no endpoint is given: https://vpcep.<region>.myhuaweicloud.com (env HUAWEICLOUD_SDK_REGION)',
    )
    .option('--project-id <id>', 'project id (env HUAWEICLOUD_SDK_PROJECT_ID)')
    .option(
      '--max-rate <n>',
      'at most N API requests a second from this process (env VPCEP_MAX_RATE; default: adaptive, just under what the API admits)',
    )
    .option(
      '--timeout <duration>',
      "the run's deadline, e.g. 30m, 90s, 2h (env VPCEP_TIMEOUT; default 30m): no call or retry starts that cannot finish before it",
    )
    .addHelpText(
      'after',
      '\nCredentials come from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (AK/SK signing, preferred),\n' +
        'HUAWEICLOUD_SDK_SECURITY_TOKEN with temporary AK/SK, or HUAWEICLOUD_SDK_AUTH_TOKEN (token authentication).\n' +
        'Throttled calls (EndPoint.0022, APIGW.0308, HTTP 429) wait and go again until the deadline; other\n' +
        'transient failures are retried up to 8 times while the retry quota lasts (see the README, "When the API fails").\n',
    );
}

/** The connection settings from the options, falling back to ctx.env; throws ConfigError naming what is missing or wrong. */
export function apiConnectionFromOptions(
  options: ApiOptions,
  ctx: CliContext,
): ConnectionConfig & { credentials: NonNullable<ConnectionConfig['credentials']> } {
  return loadConnectionConfig(ctx.env, {
    endpoint: options.endpoint,
    region: options.region,
    projectId: options.projectId,
  });
}

/** A logger that writes warnings (retries) to stderr, keeping stdout for data. */
export function stderrLogger(ctx: CliContext): ClientLogger {
  return { warn: (message) => ctx.stderr.write(`warning: ${message}\n`) };
}

/**
 * The client settings of one CLI run from --max-rate / --timeout (or their variables): the
 * process's rate limiter, the cap, and the deadline (now + timeout). Throws ConfigError naming a
 * bad value.
 */
export function runClientOptions(
  options: ApiOptions,
  ctx: CliContext,
  now: Date = new Date(),
): Pick<CreateVpcepClientOptions, 'rateLimiter' | 'deadline'> & { deadline: Date } {
  const limits = loadRunLimits(ctx.env, { maxRate: options.maxRate, timeout: options.timeout });
  return { rateLimiter: createRateLimiter(limits.maxRate), deadline: new Date(now.getTime() + limits.timeoutMs) };
}

/** Builds the VPCEP client of a read-only command from its API options and ctx.env. */
export function createClientFromOptions(options: ApiOptions, ctx: CliContext): VpcepClient {
  const config = apiConnectionFromOptions(options, ctx);
  return createReadClient({
    endpoint: config.endpoint,
    projectId: config.projectId,
    credentials: config.credentials,
    logger: stderrLogger(ctx),
    ...runClientOptions(options, ctx),
  });
}
