/**
 * The API options every command that calls VPCEP shares (CONTRACT.md section 1): --endpoint, --region,
 * --project-id, --max-rate and --timeout, with the environment (ctx.env) behind them; the
 * command's configuration read from both once, and the client built from it.
 */
import { Command } from 'commander';

import {
  ApiCommandConfig,
  CliOverrides,
  loadApiCommandConfig,
  loadReviewCommandConfig,
  RATE_EXPECTED,
  readRate,
  readRunTimeout,
  ReviewCommandConfig,
  RUN_TIMEOUT_EXPECTED,
  RunLimits,
} from '../config';
import { createRateLimiter, createReadClient } from '../deps';
import { Clock, systemClock } from '../time';
import { ClientLogger, RateLimiter, VpcepClient } from '../vpcep/client';
import { CliContext } from './context';
import { checkedText } from './options';

/** The parsed API options of a command (commander camel-cases --project-id), as given. */
export type ApiOptions = CliOverrides;

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
      checkedText('--max-rate', RATE_EXPECTED, readRate),
    )
    .option(
      '--timeout <duration>',
      "the run's deadline, e.g. 30m, 90s, 2h (env VPCEP_TIMEOUT; default 30m): no call or retry starts that cannot finish before it",
      checkedText('--timeout', RUN_TIMEOUT_EXPECTED, readRunTimeout),
    )
    .addHelpText(
      'after',
      '\nCredentials come from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (AK/SK signing, preferred),\n' +
        'HUAWEICLOUD_SDK_SECURITY_TOKEN with temporary AK/SK, or HUAWEICLOUD_SDK_AUTH_TOKEN (token authentication).\n' +
        'Throttled calls (EndPoint.0022, APIGW.0308, HTTP 429) wait and go again until the deadline; other\n' +
        'transient failures are retried up to 8 times while the retry quota lasts (see the README, "When the API fails").\n',
    );
}

/** The configuration of a command that only reads the API, read once from its options and ctx.env. */
export function loadApiConfig(options: ApiOptions, ctx: CliContext): ApiCommandConfig {
  return loadApiCommandConfig(ctx.env, options);
}

/** The configuration of `plan` and `apply`, read once from their options and ctx.env: the same for both. */
export function loadReviewConfig(options: ApiOptions, ctx: CliContext): ReviewCommandConfig {
  return loadReviewCommandConfig(ctx.env, options);
}

/** A logger that writes warnings (retries) to stderr, keeping stdout for data. */
export function stderrLogger(ctx: CliContext): ClientLogger {
  return { warn: (message) => ctx.stderr.write(`warning: ${message}\n`) };
}

/**
 * The pace and time of one CLI run from its limits (--max-rate / --timeout or their variables):
 * the process's rate limiter and the deadline, the clock's now + the timeout.
 */
export function runPacing(limits: RunLimits, clock: Clock = systemClock): { rateLimiter: RateLimiter; deadline: Date } {
  return { rateLimiter: createRateLimiter(limits.maxRate), deadline: new Date(clock().getTime() + limits.timeoutMs) };
}

/** Builds the VPCEP client of a read-only command from its API options and ctx.env, read once. */
export function createClientFromOptions(options: ApiOptions, ctx: CliContext): VpcepClient {
  const { connection, limits } = loadApiConfig(options, ctx);
  return createReadClient({ ...connection, logger: stderrLogger(ctx), ...runPacing(limits) });
}
