import { GetParametersCommand } from '@aws-sdk/client-ssm';
import type { Request } from '@middy/core';
import type { Context } from 'aws-lambda';

import { Config } from '../../../lib/config';
import { AppContext } from '../../../lib/lambda/context';
import { secretsMiddleware, SecretsMiddlewareOptions } from '../../../lib/lambda/secrets';

const CREDS_PARAM = '/vpcep-approver/test/huawei-credentials';
const HOOK_PARAM = '/vpcep-approver/test/webhook-secret';

/** A stand-in for SSMClient: answers GetParameters from a table and counts calls. */
function fakeSsm(values: Record<string, string>) {
  const calls: string[][] = [];
  class FakeSsmClient {
    async send(command: GetParametersCommand) {
      const names = command.input.Names ?? [];
      calls.push(names);
      return {
        Parameters: names.filter((n) => n in values).map((n) => ({ Name: n, Type: 'SecureString', Value: values[n] })),
        InvalidParameters: names.filter((n) => !(n in values)),
      };
    }
  }
  return { AwsClient: FakeSsmClient as unknown as SecretsMiddlewareOptions['AwsClient'], calls };
}

function config(over: Partial<Config> = {}): SecretsMiddlewareOptions['config'] {
  return { connection: { endpoint: 'http://127.0.0.1:1', projectId: 'p', credentials: undefined }, ...over };
}

/** Runs the middlewares' `before` in the order middy's `.use()` runs them. */
async function before(middlewares: ReturnType<typeof secretsMiddleware>, request: object): Promise<void> {
  for (const middleware of middlewares)
    await middleware.before?.(request as unknown as Request<unknown, unknown, Error, AppContext>);
}

async function run(options: SecretsMiddlewareOptions): Promise<AppContext['secrets']> {
  const request = {
    event: {},
    context: {} as Context as AppContext,
    response: undefined,
    error: undefined,
    internal: {},
  };
  await before(secretsMiddleware(options), request);
  return request.context.secrets;
}

describe('secretsMiddleware()', () => {
  it('reads the credentials JSON and the webhook secret from SSM in one GetParameters call', async () => {
    const ssm = fakeSsm({
      [CREDS_PARAM]: JSON.stringify({ ak: 'AK1', sk: 'SK1', security_token: 'T1' }),
      [HOOK_PARAM]: 'whsec',
    });
    const secrets = await run({
      config: config({ credentialsSecretName: CREDS_PARAM, webhookSecretName: HOOK_PARAM }),
      AwsClient: ssm.AwsClient,
      requireWebhookSecret: true,
    });
    expect(secrets).toEqual({ credentials: { ak: 'AK1', sk: 'SK1', securityToken: 'T1' }, webhookSecret: 'whsec' });
    expect(ssm.calls).toEqual([[CREDS_PARAM, HOOK_PARAM]]);
  });

  it('caches the parameters across invocations of a warm container', async () => {
    const ssm = fakeSsm({ [CREDS_PARAM]: JSON.stringify({ ak: 'AK1', sk: 'SK1' }) });
    const middleware = secretsMiddleware({
      config: config({ credentialsSecretName: CREDS_PARAM }),
      AwsClient: ssm.AwsClient,
    });
    for (let i = 0; i < 3; i++) {
      const request = { event: {}, context: {} as AppContext, response: undefined, error: undefined, internal: {} };
      await before(middleware, request);
      expect(request.context.secrets.credentials).toEqual({ ak: 'AK1', sk: 'SK1' });
    }
    expect(ssm.calls).toHaveLength(1);
  });

  it('uses the environment when no parameter is named (local runs)', async () => {
    const secrets = await run({
      config: config({
        connection: { endpoint: 'http://127.0.0.1:1', projectId: 'p', credentials: { ak: 'AKE', sk: 'SKE' } },
        webhookSecret: 'local',
      }),
    });
    expect(secrets).toEqual({ credentials: { ak: 'AKE', sk: 'SKE' }, webhookSecret: 'local' });
  });

  it('names the parameter and the missing fields of a bad credentials secret, never its value', async () => {
    const ssm = fakeSsm({ [CREDS_PARAM]: JSON.stringify({ ak: 'AK-VISIBLE?', secret: 'SK-LEAK' }) });
    const err = await run({ config: config({ credentialsSecretName: CREDS_PARAM }), AwsClient: ssm.AwsClient }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(`SSM parameter ${CREDS_PARAM} \\(HUAWEICLOUD_CREDENTIALS_SECRET\\).*sk:`),
    );
    expect((err as Error).message).not.toMatch(/SK-LEAK|AK-VISIBLE/);
  });

  it('names a parameter that does not exist', async () => {
    const ssm = fakeSsm({});
    await expect(
      run({ config: config({ credentialsSecretName: CREDS_PARAM }), AwsClient: ssm.AwsClient }),
    ).rejects.toThrow(`could not read SSM parameter ${CREDS_PARAM}`);
  });

  it('refuses to run without credentials or, for the webhook, without its secret', async () => {
    await expect(run({ config: config() })).rejects.toThrow(
      /no Huawei credentials: set HUAWEICLOUD_CREDENTIALS_SECRET, or HUAWEICLOUD_SDK_AK/,
    );
    const withCreds = config({
      connection: { endpoint: 'http://127.0.0.1:1', projectId: 'p', credentials: { ak: 'A', sk: 'S' } },
    });
    await expect(run({ config: withCreds, requireWebhookSecret: true })).rejects.toThrow(
      /no webhook secret: set WEBHOOK_SECRET_NAME, or WEBHOOK_SECRET/,
    );
  });
});
