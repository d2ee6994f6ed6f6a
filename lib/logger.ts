import { Writable } from 'node:stream';

import { Clock, systemClock } from './time';

/**
 * Structured logs: one JSON object per line (what CloudWatch and `jq` read best). Fields whose
 * name says they hold a secret are replaced before anything is written, so that a careless
 * `logger.info('x', { headers })` cannot leak a credential.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the run id). */
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY =
  /^(authorization|x-auth-token|x-security-token|ak|sk|secret|password|token|security_token|signature|x-vpcep-signature|webhook_secret|.*_sk|.*secret.*)$/i;

export function createJsonLogger(options: {
  stream: Writable;
  level?: LogLevel;
  fields?: LogFields;
  clock?: Clock;
}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const clock = options.clock ?? systemClock;
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      options.stream.write(
        `${JSON.stringify(redact({ time: clock().toISOString(), level, msg, ...base, ...fields }))}\n`,
      );
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return make(options.fields ?? {});
}

/** A logger that drops everything (tests, library defaults). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

/** Replaces values of secret-looking keys at any depth; errors become their name and message. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return {
      name: value.name,
      message: value.message,
      ...('code' in value && { code: (value as { code: unknown }).code }),
    };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
  );
}
