import { resolve } from 'node:path';

import { loadConfig } from '../config';
import { createDynamoDbClient, createWebhookRequestStore } from '../deps';
import { createJsonLogger, Logger } from '../logger';
import { loadPolicyFile } from '../policy/load';
import { HandlerSetup, preloadPolicy } from './handler-setup';
import { createLambdaRunDepsFactory } from './run-deps';

/**
 * Cold start, once per container: configuration from the environment (an invalid one fails the
 * import, so Lambda reports an init error), the JSON logger on stderr, the bundled policy
 * (POLICY_FILE, relative to the package root /var/task) loaded and validated, and the factory of
 * per-invocation engine dependencies. With VPCEP_LEASE_TABLE, reviews take leases and webhook
 * requests are idempotent across containers through that table (one DynamoDB client per container).
 */
export function coldStart(
  env: Readonly<Record<string, string | undefined>>,
  options: { logger?: Logger } = {},
): HandlerSetup {
  const config = loadConfig(env);
  const logger =
    options.logger ??
    createJsonLogger({ stream: process.stderr, level: config.logLevel, fields: { service: 'vpcep-approver' } });
  const policy = preloadPolicy(() => loadPolicyFile(resolve(config.policyFile)));
  policy.then(
    (loaded) =>
      logger.info('policy loaded', {
        policy_file: config.policyFile,
        policy_sha256: loaded.sha256,
        warnings: loaded.warnings.length,
      }),
    (err: unknown) =>
      logger.error('policy invalid: every invocation will fail until it is fixed', {
        policy_file: config.policyFile,
        error: err,
      }),
  );
  const dynamodb = config.leaseTable ? createDynamoDbClient() : undefined;
  return {
    config,
    policy,
    createRunDeps: createLambdaRunDepsFactory({ config, ...(dynamodb && { dynamodb }) }),
    logger,
    ...(config.leaseTable && { webhookRequests: createWebhookRequestStore(config.leaseTable, { client: dynamodb }) }),
  };
}
