import { SSMClient } from '@aws-sdk/client-ssm';
import type { MiddlewareObj } from '@middy/core';
import ssmMiddleware from '@middy/ssm';
import * as z from 'zod';

import { Config } from '../config';
import { ConfigError } from '../errors';
import { HuaweiCredentials } from '../model';
import { formatIssues } from '../zod-issues';
import { AppContext, InvocationSecrets } from './context';

/** CONTRACT 4: the credentials secret is JSON with ak, sk and an optional security_token. */
const credentialsSecretSchema = z.object({
  ak: z.string().min(1),
  sk: z.string().min(1),
  security_token: z.string().min(1).optional(),
});

export interface SecretsMiddlewareOptions {
  config: Pick<Config, 'connection' | 'webhookSecret' | 'credentialsSecretName' | 'webhookSecretName'>;
  /** The webhook secret must be available (the review function). */
  requireWebhookSecret?: boolean;
  /** SSM client class (inject a fake in tests); default the AWS SDK's SSMClient. */
  AwsClient?: new (config: object) => Pick<SSMClient, 'send'>;
  /** Re-read the parameters after this many ms, so a rotated secret is picked up. Default 15 min. */
  cacheExpiryMs?: number;
}

const CREDENTIALS_KEY = 'vpcepCredentials';
const WEBHOOK_KEY = 'vpcepWebhookSecret';
// @middy/ssm caches per cacheKey at module level: one key per middleware instance.
let instances = 0;

type SecretsMiddleware = MiddlewareObj<unknown, unknown, Error, AppContext>;

/**
 * Resolves the Huawei credentials and the webhook secret into `context.secrets`: from the SSM
 * Parameter Store parameters named by HUAWEICLOUD_CREDENTIALS_SECRET / WEBHOOK_SECRET_NAME
 * through @middy/ssm (one GetParameters call, decrypted, cached per warm container), or, when
 * those are not set (local runs), from HUAWEICLOUD_SDK_AK/SK (or the token) and WEBHOOK_SECRET.
 * Errors name the parameter or variable, never a value.
 *
 * Returns the middlewares to pass to middy's `.use()` in this order: @middy/ssm (only when a
 * parameter is named), which leaves each value in `request.internal` as a promise, then
 * resolveSecrets, which awaits, validates and maps them. The values stay out of the Lambda
 * context (no `setToContext`), and a parameter that cannot be read fails in resolveSecrets,
 * as a ConfigError naming it.
 */
export function secretsMiddleware(options: SecretsMiddlewareOptions): SecretsMiddleware[] {
  const { config } = options;
  const fetchData: Record<string, string> = {};
  if (config.credentialsSecretName) fetchData[CREDENTIALS_KEY] = config.credentialsSecretName;
  if (config.webhookSecretName) fetchData[WEBHOOK_KEY] = config.webhookSecretName;
  if (Object.keys(fetchData).length === 0) return [resolveSecrets(options, fetchData)];
  const ssm = ssmMiddleware({
    fetchData,
    cacheKey: `@middy/ssm:vpcep-approver:${++instances}`,
    cacheExpiry: options.cacheExpiryMs ?? 15 * 60_000,
    ...(options.AwsClient && { AwsClient: options.AwsClient as unknown as typeof SSMClient }),
  });
  return [ssm, resolveSecrets(options, fetchData)];
}

/** The parameters' values (fetched by @middy/ssm into `request.internal`, keyed as in `fetchData`) into `context.secrets`. */
function resolveSecrets(options: SecretsMiddlewareOptions, fetchData: Record<string, string>): SecretsMiddleware {
  const { config } = options;
  return {
    name: 'secrets',
    before: async (request) => {
      const fetched = async (key: string): Promise<unknown> => {
        try {
          return await (request.internal as Record<string, unknown>)[key];
        } catch (err) {
          throw new ConfigError(
            `could not read SSM parameter ${fetchData[key]}: ${err instanceof Error ? err.message : String(err)}`,
            err,
          );
        }
      };

      let credentials: HuaweiCredentials | undefined = config.connection.credentials;
      if (config.credentialsSecretName) {
        credentials = parseCredentials(await fetched(CREDENTIALS_KEY), config.credentialsSecretName);
      }
      if (!credentials) {
        throw new ConfigError(
          'no Huawei credentials: set HUAWEICLOUD_CREDENTIALS_SECRET, or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK',
        );
      }

      let webhookSecret = config.webhookSecret;
      if (config.webhookSecretName) {
        const value = await fetched(WEBHOOK_KEY);
        // @middy/ssm JSON-parses only values that start with {, [ or ": a plain secret stays a string.
        if (typeof value !== 'string' || value.length === 0) {
          throw new ConfigError(
            `SSM parameter ${config.webhookSecretName} (WEBHOOK_SECRET_NAME) is missing or not a plain string`,
          );
        }
        webhookSecret = value;
      }
      if (options.requireWebhookSecret && !webhookSecret) {
        throw new ConfigError('no webhook secret: set WEBHOOK_SECRET_NAME, or WEBHOOK_SECRET for a local run');
      }
      const secrets: InvocationSecrets = { credentials, ...(webhookSecret && { webhookSecret }) };
      request.context.secrets = secrets;
    },
  };
}

function parseCredentials(value: unknown, name: string): HuaweiCredentials {
  const parsed = credentialsSecretSchema.safeParse(value);
  if (!parsed.success) {
    // Paths and messages only (no `input`): the value itself is secret.
    const problems = formatIssues(parsed.error.issues, { root: '(value)' });
    throw new ConfigError(
      `SSM parameter ${name} (HUAWEICLOUD_CREDENTIALS_SECRET) must be JSON {"ak","sk","security_token"?}: ${problems}`,
    );
  }
  const { ak, sk, security_token: securityToken } = parsed.data;
  return securityToken ? { ak, sk, securityToken } : { ak, sk };
}
