import {
  CliOverrides,
  DEFAULT_RUN_TIMEOUT_MS,
  envSchema,
  loadApiCommandConfig,
  loadConfig,
  loadReviewCommandConfig,
  parseDuration,
  parseEnforce,
} from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const BASE = { HUAWEICLOUD_SDK_PROJECT_ID: 'p1', HUAWEICLOUD_SDK_AK: 'AKVALUE', HUAWEICLOUD_SDK_SK: 'SKVALUE' };

type Env = Record<string, string | undefined>;
/** A CLI command's connection and limits, each read alone; and a review command's configuration over a working connection. */
const connectionOf = (env: Env, overrides: CliOverrides = {}) => loadApiCommandConfig(env, overrides).connection;
const limitsOf = (env: Env, overrides: CliOverrides = {}) =>
  loadApiCommandConfig({ ...BASE, VPCEP_ENDPOINT: 'https://x.example.com', ...env }, overrides).limits;
const reviewConfig = (env: Env) =>
  loadReviewCommandConfig({ ...BASE, VPCEP_ENDPOINT: 'https://x.example.com', ...env });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe("a CLI command's connection (loadApiCommandConfig)", () => {
  it('builds the endpoint from the region when no endpoint is given', () => {
    expect(connectionOf({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1' })).toEqual({
      endpoint: 'https://vpcep.tr-west-1.myhuaweicloud.com',
      projectId: 'p1',
      credentials: { ak: 'AKVALUE', sk: 'SKVALUE' },
    });
  });

  it('prefers VPCEP_ENDPOINT to the region, and command-line options to both', () => {
    const env = { ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', VPCEP_ENDPOINT: 'https://vpcep.example.com/' };
    expect(connectionOf(env).endpoint).toBe('https://vpcep.example.com');
    expect(connectionOf(env, { endpoint: 'http://127.0.0.1:9999', projectId: 'p2' })).toMatchObject({
      endpoint: 'http://127.0.0.1:9999',
      projectId: 'p2',
    });
    expect(connectionOf(env, { region: 'ap-southeast-1' }).endpoint).toBe(
      'https://vpcep.ap-southeast-1.myhuaweicloud.com',
    );
  });

  it('uses temporary credentials with a security token, and a token when no AK/SK is set', () => {
    expect(
      connectionOf({ ...BASE, VPCEP_ENDPOINT: 'https://x.example.com', HUAWEICLOUD_SDK_SECURITY_TOKEN: 'st' })
        .credentials,
    ).toEqual({ ak: 'AKVALUE', sk: 'SKVALUE', securityToken: 'st' });
    expect(
      connectionOf({
        VPCEP_ENDPOINT: 'https://x.example.com',
        HUAWEICLOUD_SDK_PROJECT_ID: 'p',
        HUAWEICLOUD_SDK_AUTH_TOKEN: 'tok',
      }).credentials,
    ).toEqual({ token: 'tok' });
    // AK/SK is preferred when both are set.
    expect(
      connectionOf({ ...BASE, VPCEP_ENDPOINT: 'https://x.example.com', HUAWEICLOUD_SDK_AUTH_TOKEN: 'tok' }).credentials,
    ).toEqual({ ak: 'AKVALUE', sk: 'SKVALUE' });
  });

  it('refuses http:// to a host that is not loopback, naming where it came from', () => {
    expect(errorOf(() => connectionOf({ ...BASE, VPCEP_ENDPOINT: 'http://vpcep.example.com' })).message).toMatch(
      /VPCEP_ENDPOINT "http:\/\/vpcep.example.com" uses http:\/\//,
    );
    expect(errorOf(() => connectionOf(BASE, { endpoint: 'http://10.0.0.1' })).message).toMatch(/--endpoint/);
    expect(connectionOf(BASE, { endpoint: 'http://localhost:8080' }).endpoint).toBe('http://localhost:8080');
  });

  it('lists every missing setting by name', () => {
    const message = errorOf(() => connectionOf({})).message;
    expect(message).toContain('VPCEP_ENDPOINT or HUAWEICLOUD_SDK_REGION');
    expect(message).toContain('HUAWEICLOUD_SDK_PROJECT_ID');
    expect(message).toContain('HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK');
  });

  it('names the half-set AK/SK pair without echoing secrets', () => {
    const message = errorOf(() =>
      connectionOf({
        VPCEP_ENDPOINT: 'https://x.example.com',
        HUAWEICLOUD_SDK_PROJECT_ID: 'p',
        HUAWEICLOUD_SDK_AK: 'AKVALUE',
      }),
    ).message;
    expect(message).toContain('HUAWEICLOUD_SDK_SK is not');
    expect(message).not.toContain('AKVALUE');
  });

  it('rejects a malformed region and treats empty variables as unset', () => {
    expect(errorOf(() => connectionOf({ ...BASE, HUAWEICLOUD_SDK_REGION: 'Bad Region' })).message).toContain(
      'HUAWEICLOUD_SDK_REGION',
    );
    expect(errorOf(() => connectionOf({ ...BASE, VPCEP_ENDPOINT: '' })).message).toContain('no endpoint');
  });
});

describe('loadConfig()', () => {
  it('reads the deployment settings with their defaults', () => {
    const config = loadConfig({
      ...BASE,
      HUAWEICLOUD_SDK_REGION: 'tr-west-1',
      AUDIT_QUEUE_URL: 'http://localhost:9324/000000000000/audit',
      WEBHOOK_SECRET: 'w',
    });
    expect(config).toMatchObject({
      policyFile: 'policies/policy.yaml',
      auditQueueUrl: 'http://localhost:9324/000000000000/audit',
      webhookSecret: 'w',
    });
    expect(loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', POLICY_FILE: 'other.yaml' }).policyFile).toBe(
      'other.yaml',
    );
  });

  it('lets the credentials come from a named secret instead of the environment', () => {
    const config = loadConfig({
      HUAWEICLOUD_SDK_PROJECT_ID: 'p',
      HUAWEICLOUD_SDK_REGION: 'tr-west-1',
      HUAWEICLOUD_CREDENTIALS_SECRET: 'vpcep/creds',
      WEBHOOK_SECRET_NAME: 'vpcep/webhook',
    });
    expect(config.connection.credentials).toBeUndefined();
    expect(config).toMatchObject({ credentialsSecretName: 'vpcep/creds', webhookSecretName: 'vpcep/webhook' });
  });

  it('names a malformed AUDIT_QUEUE_URL', () => {
    expect(
      errorOf(() => loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', AUDIT_QUEUE_URL: 'not a url' })).message,
    ).toContain('AUDIT_QUEUE_URL');
  });

  it("reads the brake, the lease table and Lambda's log level, naming a bad value", () => {
    const env = { ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1' };
    expect(loadConfig(env)).toMatchObject({ logLevel: 'info' });
    expect(loadConfig(env).controls.enforce).toBe(true);
    expect(
      loadConfig({ ...env, VPCEP_ENFORCE: 'false', VPCEP_LEASE_TABLE: 'leases', AWS_LAMBDA_LOG_LEVEL: 'WARN' }),
    ).toMatchObject({ controls: { enforce: false }, leaseTable: 'leases', logLevel: 'warn' });
    expect(loadConfig({ ...env, VPCEP_ENFORCE_PARAMETER: '/x/enforce', AWS_LAMBDA_LOG_LEVEL: 'trace' })).toMatchObject({
      enforceParameterName: '/x/enforce',
      logLevel: 'debug',
    });
    expect(errorOf(() => loadConfig({ ...env, VPCEP_ENFORCE: 'no' })).message).toMatch(
      /VPCEP_ENFORCE: expected true or false; got "no"/,
    );
    // Empty is refused like any other bad value: a brake left empty must not enforce.
    for (const value of ['', 'FALSE', '0', ' true'])
      expect(errorOf(() => reviewConfig({ VPCEP_ENFORCE: value })).message).toContain(
        `VPCEP_ENFORCE: expected true or false; got ${JSON.stringify(value)}`,
      );
    expect(errorOf(() => loadConfig({ ...env, AWS_LAMBDA_LOG_LEVEL: 'LOUD' })).message).toContain(
      'AWS_LAMBDA_LOG_LEVEL',
    );
  });
});

describe('an empty value', () => {
  it('is unset for every variable but VPCEP_ENFORCE, which refuses it', () => {
    const variables = Object.keys(envSchema.shape).filter((key) => key !== 'VPCEP_ENFORCE');
    expect(variables).toContain('HUAWEICLOUD_SDK_REGION');
    for (const key of variables) expect([key, envSchema.parse({ [key]: '' })]).toEqual([key, envSchema.parse({})]);
    expect(envSchema.safeParse({ VPCEP_ENFORCE: '' }).success).toBe(false);
  });

  it('is no option on the command line: the environment behind it counts', () => {
    const env = { ...BASE, VPCEP_ENDPOINT: 'https://vpcep.example.com', VPCEP_MAX_RATE: '5', VPCEP_TIMEOUT: '2m' };
    expect(connectionOf(env, { endpoint: '', region: '', projectId: '' })).toEqual(connectionOf(env));
    expect(limitsOf(env, { maxRate: '', timeout: '' })).toEqual(limitsOf(env));
  });
});

describe('parseEnforce() (the brake read from elsewhere, e.g. its SSM parameter)', () => {
  it('accepts exactly what VPCEP_ENFORCE accepts, and names the source and the accepted values otherwise', () => {
    expect(parseEnforce('true', 'the brake')).toBe(true);
    expect(parseEnforce('false', 'the brake')).toBe(false);
    for (const value of ['', 'FALSE', ' false', '0', undefined]) {
      expect(errorOf(() => parseEnforce(value, 'SSM parameter /x/enforce')).message).toBe(
        `SSM parameter /x/enforce must be "true" or "false", as VPCEP_ENFORCE; got ${JSON.stringify(value ?? null)}`,
      );
      // And the environment refuses the same values.
      if (value !== undefined) expect(() => reviewConfig({ VPCEP_ENFORCE: value })).toThrow(/VPCEP_ENFORCE/);
    }
  });
});

describe("a CLI command's run limits (loadApiCommandConfig)", () => {
  it('defaults to an adaptive rate and a 30-minute deadline', () => {
    expect(limitsOf({})).toEqual({ timeoutMs: DEFAULT_RUN_TIMEOUT_MS });
    expect(DEFAULT_RUN_TIMEOUT_MS).toBe(30 * 60_000);
  });

  it('reads VPCEP_MAX_RATE and VPCEP_TIMEOUT; options override them', () => {
    expect(limitsOf({ VPCEP_MAX_RATE: '40', VPCEP_TIMEOUT: '10m' })).toEqual({ maxRate: 40, timeoutMs: 600_000 });
    expect(limitsOf({ VPCEP_MAX_RATE: '40', VPCEP_TIMEOUT: '10m' }, { maxRate: '2.5', timeout: '90s' })).toEqual({
      maxRate: 2.5,
      timeoutMs: 90_000,
    });
    // A rate below one request a second, written as people write it.
    expect(limitsOf({}, { maxRate: '.5' }).maxRate).toBe(0.5);
    expect(limitsOf({ VPCEP_MAX_RATE: '0.25' }).maxRate).toBe(0.25);
  });

  it.each([
    [{ VPCEP_MAX_RATE: '0' }, {}, 'VPCEP_MAX_RATE "0" is not a rate'],
    [{}, { maxRate: 'fast' }, '--max-rate "fast" is not a rate'],
    [{}, { maxRate: '-3' }, '--max-rate "-3" is not a rate'],
    [{}, { maxRate: '1e-1' }, '--max-rate "1e-1" is not a rate'],
    [{}, { maxRate: '.' }, '--max-rate "." is not a rate'],
    [{ VPCEP_TIMEOUT: 'soon' }, {}, 'VPCEP_TIMEOUT "soon" is not a duration from 1s to 24h'],
    [{}, { timeout: '500ms' }, '--timeout "500ms" is not a duration from 1s to 24h'],
    [{}, { timeout: '25h' }, '--timeout "25h" is not a duration'],
  ])('refuses %j %j naming the value', (env, overrides, message) => {
    expect(() => limitsOf(env, overrides)).toThrow(ConfigError);
    expect(() => limitsOf(env, overrides)).toThrow(message);
  });
});

describe('loadReviewCommandConfig() (plan and apply, the same for both)', () => {
  it('reads all of it at once: the connection, the limits, the brake and cap, the lease table, the audit queue', () => {
    const env = {
      ...BASE,
      VPCEP_ENDPOINT: 'https://vpcep.example.com',
      VPCEP_TIMEOUT: '2m',
      VPCEP_ENFORCE: 'false',
      VPCEP_MAX_REVOCATIONS: '3',
      VPCEP_LEASE_TABLE: 'leases',
      AUDIT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/audit',
      VPCEP_ANNOTATE: 'true',
    };
    expect(loadReviewCommandConfig(env, { maxRate: '5', projectId: 'p2' })).toEqual({
      connection: {
        endpoint: 'https://vpcep.example.com',
        projectId: 'p2',
        credentials: { ak: 'AKVALUE', sk: 'SKVALUE' },
      },
      limits: { maxRate: 5, timeoutMs: 120_000 },
      controls: { enforce: false, maxRevocations: 3 },
      leaseTable: 'leases',
      auditQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/audit',
      annotate: true,
    });
    expect(reviewConfig({}).controls).toEqual({ enforce: true, maxRevocations: 10 });
  });

  it('VPCEP_ANNOTATE is false unless set to true; another value is refused, named', () => {
    expect([reviewConfig({}).annotate, reviewConfig({ VPCEP_ANNOTATE: '' }).annotate]).toEqual([false, false]);
    const message = errorOf(() => reviewConfig({ VPCEP_ANNOTATE: 'yes' })).message;
    expect(message).toContain('VPCEP_ANNOTATE');
    expect(message).toContain('"yes"');
  });

  it('names the problems of the connection and of the limits together', () => {
    const message = errorOf(() =>
      loadReviewCommandConfig({ VPCEP_ENDPOINT: 'https://x.example.com' }, { timeout: 'soon' }),
    ).message;
    expect(message).toContain('no project id');
    expect(message).toContain('no credentials');
    expect(message).toContain('--timeout "soon" is not a duration');
  });
});

describe('parseDuration()', () => {
  it.each([
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['2h', 7_200_000],
    ['1500ms', 1500],
    ['45', 45_000],
    ['1.5m', 90_000],
    ['m', undefined],
    ['-1s', undefined],
  ])('%s -> %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
});

describe('VPCEP_LEASE_TABLE', () => {
  it('is the lease table of the functions and of the CLI; unset or empty means no leases', () => {
    expect(
      loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', VPCEP_LEASE_TABLE: 'vpcep-approver-prod-leases' })
        .leaseTable,
    ).toBe('vpcep-approver-prod-leases');
    expect(
      loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', VPCEP_LEASE_TABLE: '' }).leaseTable,
    ).toBeUndefined();
    expect(reviewConfig({ VPCEP_LEASE_TABLE: 'leases.v1' }).leaseTable).toBe('leases.v1');
    expect(reviewConfig({}).leaseTable).toBeUndefined();
  });

  it('names a value that is no DynamoDB table name', () => {
    expect(errorOf(() => reviewConfig({ VPCEP_LEASE_TABLE: 'arn:aws:dynamodb:eu-central-1:1:table/x' })).message).toBe(
      'configuration: VPCEP_LEASE_TABLE: expected a DynamoDB table name (3 to 255 letters, digits, "_", "-" and "."); got "arn:aws:dynamodb:eu-central-1:1:table/x"',
    );
    expect(
      errorOf(() => loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: 'tr-west-1', VPCEP_LEASE_TABLE: 'ab' })).message,
    ).toContain('VPCEP_LEASE_TABLE');
  });
});
