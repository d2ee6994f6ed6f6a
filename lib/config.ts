/**
 * The program's configuration, read from the environment once (CONTRACT.md sections 1 and 4).
 * Nothing else reads `process.env`: callers pass the environment in (`loadConfig(process.env)`
 * at a function's cold start; in the CLI, `ctx.env` once per command, whole:
 * loadApiCommandConfig or loadReviewCommandConfig). Command-line options override the
 * environment. Errors name the variable (or option) and say what is expected; they never echo a
 * secret's value.
 */
import * as z from 'zod';

import { ConfigError } from './errors';
import type { LogLevel } from './logger';
import type { HuaweiCredentials } from './model';
import { checkEndpoint } from './vpcep/endpoint';
import { describeIssue, shortJson } from './zod-issues';

/**
 * Empty means unset, for every variable but VPCEP_ENFORCE and for every command-line override:
 * shells and CI systems often export empty variables, and `--endpoint ""` gives no endpoint.
 */
function unsetIfEmpty<T>(value: T): T | undefined {
  return value === '' ? undefined : value;
}

/** `schema` for a variable whose empty value counts as unset (unsetIfEmpty). */
function emptyIsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess(unsetIfEmpty, schema);
}

const optional = emptyIsUnset(z.string().optional());

/**
 * VPCEP_ENFORCE's values (CONTRACT 1, "Brake and cap"), exactly, wherever the value is read: the
 * environment or the brake's SSM parameter (parseEnforce). An empty value is not unset here: a
 * brake meant as `false` and left empty must not enforce.
 */
const ENFORCE_VALUES = ['true', 'false'] as const;
const enforceValue = z.enum(ENFORCE_VALUES, `expected ${ENFORCE_VALUES.join(' or ')}`);

/** CONTRACT 1: VPCEP_MAX_REVOCATIONS, when unset. The one default of the blast-radius cap. */
export const DEFAULT_MAX_REVOCATIONS = 10;

export const envSchema = z.object({
  VPCEP_ENDPOINT: optional,
  HUAWEICLOUD_SDK_REGION: emptyIsUnset(
    z
      .string()
      .regex(/^[a-z0-9-]+$/, 'expected a region name such as tr-west-1')
      .optional(),
  ),
  HUAWEICLOUD_SDK_PROJECT_ID: optional,
  HUAWEICLOUD_SDK_AK: optional,
  HUAWEICLOUD_SDK_SK: optional,
  HUAWEICLOUD_SDK_SECURITY_TOKEN: optional,
  HUAWEICLOUD_SDK_AUTH_TOKEN: optional,
  AUDIT_QUEUE_URL: emptyIsUnset(z.url('expected the URL of an SQS queue').optional()),
  POLICY_FILE: emptyIsUnset(z.string().default('policies/policy.yaml')),
  WEBHOOK_SECRET: optional,
  HUAWEICLOUD_CREDENTIALS_SECRET: optional,
  WEBHOOK_SECRET_NAME: optional,
  // DynamoDB's own rule for table names (CreateTable): 3 to 255 of these characters.
  VPCEP_LEASE_TABLE: emptyIsUnset(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3 to 255 letters, digits, "_", "-" and ".")')
      .optional(),
  ),
  VPCEP_ENFORCE: enforceValue.default('true'),
  VPCEP_MAX_REVOCATIONS: emptyIsUnset(
    z
      .string()
      .regex(/^\d{1,6}$/, 'expected a whole number of revocations, 0 or more')
      .default(String(DEFAULT_MAX_REVOCATIONS)),
  ),
  VPCEP_MAX_RATE: optional,
  VPCEP_TIMEOUT: optional,
  // CONTRACT 1/3 (rehearsal): decisions also written as the connections' descriptions.
  VPCEP_ANNOTATE: emptyIsUnset(enforceValue.default('false')),
  VPCEP_SIMULATOR_SK: optional,
  // The brake deployed (CONTRACT 1): the SSM parameter holding VPCEP_ENFORCE, read at each run.
  VPCEP_ENFORCE_PARAMETER: optional,
  // Set by Lambda from the function's LoggingConfig.ApplicationLogLevel (serverless.yml logs.lambda).
  AWS_LAMBDA_LOG_LEVEL: emptyIsUnset(
    z.preprocess(
      (v) => (typeof v === 'string' ? v.toUpperCase() : v),
      z
        .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'], 'expected a Lambda log level such as INFO')
        .optional(),
    ),
  ),
  ARCHIVE_BUCKET: optional,
});
export type Env = z.output<typeof envSchema>;

export interface ConnectionConfig {
  /** Base URL of the VPCEP API (checked: https://, or http:// on loopback). */
  endpoint: string;
  projectId: string;
  /** AK/SK (preferred) or a token; undefined when they are to come from HUAWEICLOUD_CREDENTIALS_SECRET. */
  credentials: HuaweiCredentials | undefined;
}

export interface Config {
  connection: ConnectionConfig;
  /** AUDIT_QUEUE_URL: where apply sends audit events. */
  auditQueueUrl?: string;
  /** POLICY_FILE, default policies/policy.yaml. */
  policyFile: string;
  webhookSecret?: string;
  /** HUAWEICLOUD_CREDENTIALS_SECRET: a secret (JSON with ak, sk, optional security_token) to read the credentials from. */
  credentialsSecretName?: string;
  /** WEBHOOK_SECRET_NAME: a secret holding the webhook secret. */
  webhookSecretName?: string;
  /** VPCEP_LEASE_TABLE: the DynamoDB table of leases and webhook requests; unset: no leases (one process only). */
  leaseTable?: string;
  /** VPCEP_ENFORCE and VPCEP_MAX_REVOCATIONS. */
  controls: RunControls;
  /** VPCEP_ENFORCE_PARAMETER: the SSM parameter holding the brake, read at each scheduled run. */
  enforceParameterName?: string;
  /** VPCEP_ANNOTATE: accepts and rejects are also written as the connections' descriptions. */
  annotate: boolean;
  /** AWS_LAMBDA_LOG_LEVEL, mapped onto the logger's levels; default info. */
  logLevel: LogLevel;
}

/** Lambda's application log levels (TRACE ... FATAL) onto the logger's four. */
const LAMBDA_LOG_LEVELS: Record<string, LogLevel> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'error',
};

/**
 * Reads the whole configuration. Credentials are required unless
 * HUAWEICLOUD_CREDENTIALS_SECRET names a secret to read them from.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = parseEnv(env);
  const problems: string[] = [];
  const connection = resolveConnection(parsed, {}, problems, parsed.HUAWEICLOUD_CREDENTIALS_SECRET === undefined);
  throwIfProblems(problems);
  return {
    connection: connection as ConnectionConfig,
    auditQueueUrl: parsed.AUDIT_QUEUE_URL,
    policyFile: parsed.POLICY_FILE,
    webhookSecret: parsed.WEBHOOK_SECRET,
    credentialsSecretName: parsed.HUAWEICLOUD_CREDENTIALS_SECRET,
    webhookSecretName: parsed.WEBHOOK_SECRET_NAME,
    leaseTable: parsed.VPCEP_LEASE_TABLE,
    controls: runControls(parsed),
    enforceParameterName: parsed.VPCEP_ENFORCE_PARAMETER,
    annotate: parsed.VPCEP_ANNOTATE === 'true',
    logLevel: LAMBDA_LOG_LEVELS[parsed.AWS_LAMBDA_LOG_LEVEL ?? 'INFO']!,
  };
}

/**
 * The archiver's configuration (it talks to S3 only, not to the VPCEP API): the bucket
 * (ARCHIVE_BUCKET) and the log level.
 */
export function loadArchiverConfig(env: Readonly<Record<string, string | undefined>>): {
  bucket: string;
  logLevel: LogLevel;
} {
  const parsed = parseEnv(env, ['ARCHIVE_BUCKET', 'AWS_LAMBDA_LOG_LEVEL']);
  if (!parsed.ARCHIVE_BUCKET) throwIfProblems(['no archive bucket: set ARCHIVE_BUCKET']);
  return { bucket: parsed.ARCHIVE_BUCKET!, logLevel: LAMBDA_LOG_LEVELS[parsed.AWS_LAMBDA_LOG_LEVEL ?? 'INFO']! };
}

/** The brake and the blast-radius cap (CONTRACT section 1, "Brake and cap"). */
export interface RunControls {
  /** VPCEP_ENFORCE: false makes every run a dry run. */
  enforce: boolean;
  /** VPCEP_MAX_REVOCATIONS (default DEFAULT_MAX_REVOCATIONS): most revocations one run carries out. */
  maxRevocations: number;
}

/**
 * A VPCEP_ENFORCE value read from elsewhere than the environment (the brake's SSM parameter,
 * named by `source`), accepted exactly as the variable is: `true` or `false`, nothing else.
 */
export function parseEnforce(value: string | undefined, source: string): boolean {
  const result = enforceValue.safeParse(value);
  if (!result.success)
    throw new ConfigError(
      `${source} must be ${ENFORCE_VALUES.map((v) => `"${v}"`).join(' or ')}, as VPCEP_ENFORCE; got ${shortJson(value ?? null, { max: 40 })}`,
    );
  return result.data === 'true';
}

/** The run's pace and time: --max-rate / VPCEP_MAX_RATE and --timeout / VPCEP_TIMEOUT (CONTRACT section 1). */
export interface RunLimits {
  /** Requests per second never to exceed; undefined: adaptive. */
  maxRate?: number;
  /** The run's deadline, from its start (default 30 minutes). */
  timeoutMs: number;
}

/** 30 minutes (CONTRACT section 1). */
export const DEFAULT_RUN_TIMEOUT_MS = 30 * 60_000;

/** The command-line options that override the environment (CONTRACT section 1), as given. */
export interface CliOverrides {
  endpoint?: string;
  region?: string;
  projectId?: string;
  /** --max-rate, overriding VPCEP_MAX_RATE. */
  maxRate?: string;
  /** --timeout, overriding VPCEP_TIMEOUT. */
  timeout?: string;
}

/** What a CLI command that calls the API reads: the connection (credentials required) and the run's limits. */
export interface ApiCommandConfig {
  connection: ConnectionConfig & { credentials: HuaweiCredentials };
  limits: RunLimits;
}

/**
 * What `plan` and `apply` read, the same for both (a plan previews the apply that the same
 * configuration makes): the API's, the brake and the cap, the lease table, the audit queue.
 */
export interface ReviewCommandConfig extends ApiCommandConfig {
  controls: RunControls;
  /** VPCEP_LEASE_TABLE: leases are taken when it names a table (CONTRACT section 1, "Leases"). */
  leaseTable?: string;
  /** AUDIT_QUEUE_URL: where `apply` sends its audit events. */
  auditQueueUrl?: string;
  /** VPCEP_ANNOTATE: `apply` also writes its accepts and rejects as the connections' descriptions. */
  annotate: boolean;
}

const API_VARIABLES: (keyof Env)[] = [
  'VPCEP_ENDPOINT',
  'HUAWEICLOUD_SDK_REGION',
  'HUAWEICLOUD_SDK_PROJECT_ID',
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'HUAWEICLOUD_SDK_AUTH_TOKEN',
  'VPCEP_MAX_RATE',
  'VPCEP_TIMEOUT',
];

/**
 * The configuration of a CLI command that only reads the API (services, connections,
 * whitelist), read once; a command-line option overrides its variable. Throws ConfigError
 * naming every missing or bad setting (option or variable) and its value, never a secret's.
 */
export function loadApiCommandConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: CliOverrides = {},
): ApiCommandConfig {
  return resolveApiCommand(parseEnv(env, API_VARIABLES), overrides);
}

/** The configuration of `plan` and `apply`, read once per command; errors as loadApiCommandConfig's. */
export function loadReviewCommandConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: CliOverrides = {},
): ReviewCommandConfig {
  const parsed = parseEnv(env, [
    ...API_VARIABLES,
    'VPCEP_ENFORCE',
    'VPCEP_MAX_REVOCATIONS',
    'VPCEP_LEASE_TABLE',
    'AUDIT_QUEUE_URL',
    'VPCEP_ANNOTATE',
  ]);
  return {
    ...resolveApiCommand(parsed, overrides),
    controls: runControls(parsed),
    annotate: parsed.VPCEP_ANNOTATE === 'true',
    ...(parsed.VPCEP_LEASE_TABLE !== undefined && { leaseTable: parsed.VPCEP_LEASE_TABLE }),
    ...(parsed.AUDIT_QUEUE_URL !== undefined && { auditQueueUrl: parsed.AUDIT_QUEUE_URL }),
  };
}

function resolveApiCommand(parsed: Env, overrides: CliOverrides): ApiCommandConfig {
  const problems: string[] = [];
  const connection = resolveConnection(parsed, overrides, problems, true);
  const limits = resolveLimits(parsed, overrides, problems);
  throwIfProblems(problems);
  return { connection: connection as ApiCommandConfig['connection'], limits };
}

function runControls(parsed: Env): RunControls {
  return { enforce: parsed.VPCEP_ENFORCE === 'true', maxRevocations: Number(parsed.VPCEP_MAX_REVOCATIONS) };
}

/** The run limits; a command-line value overrides its variable. A bad value is a problem naming it and where it was. */
function resolveLimits(parsed: Env, overrides: CliOverrides, problems: string[]): RunLimits {
  const rateOption = unsetIfEmpty(overrides.maxRate);
  const timeoutOption = unsetIfEmpty(overrides.timeout);
  const [rateText, rateSource] =
    rateOption !== undefined ? [rateOption, '--max-rate'] : [parsed.VPCEP_MAX_RATE, 'VPCEP_MAX_RATE'];
  const [timeoutText, timeoutSource] =
    timeoutOption !== undefined ? [timeoutOption, '--timeout'] : [parsed.VPCEP_TIMEOUT, 'VPCEP_TIMEOUT'];
  let maxRate: number | undefined;
  if (rateText !== undefined) {
    maxRate = readRate(rateText);
    if (maxRate === undefined) problems.push(`${rateSource} ${JSON.stringify(rateText)} is not ${RATE_EXPECTED}`);
  }
  let timeoutMs = DEFAULT_RUN_TIMEOUT_MS;
  if (timeoutText !== undefined) {
    const ms = readRunTimeout(timeoutText);
    if (ms === undefined)
      problems.push(`${timeoutSource} ${JSON.stringify(timeoutText)} is not ${RUN_TIMEOUT_EXPECTED}`);
    else timeoutMs = ms;
  }
  return { ...(maxRate !== undefined && { maxRate }), timeoutMs };
}

/** A decimal number as people write it: digits with at most one point (`40`, `2.5`, `.5`); no sign, no exponent. */
export const DECIMAL_PATTERN = /^(\d+(\.\d*)?|\.\d+)$/;

/** What --max-rate and VPCEP_MAX_RATE take. */
export const RATE_EXPECTED = 'a rate: requests per second, a number above 0 and at most 100000 (e.g. 40)';

/** A rate (--max-rate, VPCEP_MAX_RATE) in requests a second: a decimal number above 0, at most 100,000. */
export function readRate(text: string): number | undefined {
  const n = DECIMAL_PATTERN.test(text.trim()) ? Number(text) : NaN;
  return n > 0 && n <= 100_000 ? n : undefined;
}

/** What --timeout and VPCEP_TIMEOUT take. */
export const RUN_TIMEOUT_EXPECTED = 'a duration from 1s to 24h (e.g. 30m, 90s, 2h; a bare number is seconds)';

/** A run's deadline (--timeout, VPCEP_TIMEOUT) in milliseconds: a duration from 1 s to 24 h. */
export function readRunTimeout(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms >= 1000 && ms <= 24 * 3_600_000 ? ms : undefined;
}

/** `30m`, `90s`, `1h`, `1500ms`, or a bare number of seconds, in milliseconds; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** The simulator's secret key from VPCEP_SIMULATOR_SK (so that it is not on the command line, which `ps` shows). */
export function loadSimulatorSecretKey(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return parseEnv(env, ['VPCEP_SIMULATOR_SK']).VPCEP_SIMULATOR_SK;
}

const SECRET_VARIABLES = new Set([
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'HUAWEICLOUD_SDK_AUTH_TOKEN',
  'WEBHOOK_SECRET',
  'VPCEP_SIMULATOR_SK',
]);
/** `https://vpcep.<region>.myhuaweicloud.com` (CONTRACT.md section 1). */
export function regionEndpoint(region: string): string {
  return `https://vpcep.${region}.myhuaweicloud.com`;
}

function parseEnv(env: Readonly<Record<string, string | undefined>>, only?: (keyof Env)[]): Env {
  const input = only ? Object.fromEntries(only.map((k) => [k, env[k]])) : env;
  const result = envSchema.safeParse(input);
  if (!result.success) {
    throwIfProblems(
      result.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        // Name the bad value, except for variables that hold a secret.
        const got = SECRET_VARIABLES.has(key) || typeof input[key] !== 'string' ? '' : `; got ${shortJson(input[key])}`;
        return `${describeIssue(issue)}${got}`;
      }),
    );
  }
  return result.data as Env;
}

function resolveConnection(
  env: Env,
  overrides: CliOverrides,
  problems: string[],
  credentialsRequired: boolean,
): Partial<ConnectionConfig> {
  const endpoint = resolveEndpoint(env, overrides, problems);
  const projectIdOption = unsetIfEmpty(overrides.projectId);
  const projectId = projectIdOption ?? env.HUAWEICLOUD_SDK_PROJECT_ID;
  if (projectId === undefined) problems.push('no project id: set HUAWEICLOUD_SDK_PROJECT_ID or pass --project-id');
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(projectId))
    problems.push(
      `${projectIdOption !== undefined ? '--project-id' : 'HUAWEICLOUD_SDK_PROJECT_ID'} "${projectId}" is not a project id (letters, digits, "-" and "_")`,
    );

  let credentials: ConnectionConfig['credentials'];
  const {
    HUAWEICLOUD_SDK_AK: ak,
    HUAWEICLOUD_SDK_SK: sk,
    HUAWEICLOUD_SDK_SECURITY_TOKEN: securityToken,
    HUAWEICLOUD_SDK_AUTH_TOKEN: token,
  } = env;
  if (ak !== undefined || sk !== undefined) {
    if (ak === undefined) problems.push('HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not: set both');
    else if (sk === undefined) problems.push('HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not: set both');
    else credentials = securityToken === undefined ? { ak, sk } : { ak, sk, securityToken };
  } else if (securityToken !== undefined) {
    problems.push(
      'HUAWEICLOUD_SDK_SECURITY_TOKEN is set without HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (it goes with temporary AK/SK)',
    );
  } else if (token !== undefined) {
    credentials = { token };
  } else if (credentialsRequired) {
    problems.push('no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_AUTH_TOKEN)');
  }
  return { endpoint, projectId, credentials };
}

function resolveEndpoint(env: Env, overrides: CliOverrides, problems: string[]): string | undefined {
  // An explicit option wins over the environment; an endpoint wins over a region at the same level.
  const candidates: [string | undefined, string][] = [
    [unsetIfEmpty(overrides.endpoint), '--endpoint'],
    [regionOption(overrides.region, problems), '--region'],
    [env.VPCEP_ENDPOINT, 'VPCEP_ENDPOINT'],
    [env.HUAWEICLOUD_SDK_REGION && regionEndpoint(env.HUAWEICLOUD_SDK_REGION), 'HUAWEICLOUD_SDK_REGION'],
  ];
  const chosen = candidates.find(([value]) => value !== undefined);
  if (!chosen?.[0]) {
    problems.push('no endpoint: set VPCEP_ENDPOINT or HUAWEICLOUD_SDK_REGION, or pass --endpoint or --region');
    return undefined;
  }
  try {
    return checkEndpoint(chosen[0], chosen[1]).toString().replace(/\/+$/, '');
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
}

function regionOption(option: string | undefined, problems: string[]): string | undefined {
  const region = unsetIfEmpty(option);
  if (region === undefined) return undefined;
  if (/^[a-z0-9-]+$/.test(region)) return regionEndpoint(region);
  problems.push(`--region "${region}" is not a region name such as tr-west-1`);
  return undefined;
}

function throwIfProblems(problems: string[]): void {
  if (problems.length === 0) return;
  throw new ConfigError(
    problems.length === 1 ? `configuration: ${problems[0]}` : `configuration:\n  - ${problems.join('\n  - ')}`,
  );
}
