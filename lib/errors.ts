/**
 * Application errors. Every error a person or a program may see (a bad input, a failing API, a
 * failed run) is an AppError: it carries a stable `code`, who is at fault (`user` input, the
 * remote `api`, or an `internal` bug), whether retrying can help, and its cause. Messages name
 * the bad value and where it came from; they never contain a secret. A plain Error is thrown only
 * for a broken invariant of the code itself (the simulator's route table, say): a bug to fix, not
 * a condition to handle.
 */
export type Fault = 'user' | 'api' | 'internal';

export interface AppErrorOptions {
  code: string;
  fault?: Fault;
  retryable?: boolean;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly fault: Fault;
  readonly retryable: boolean;

  constructor(message: string, options: AppErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.fault = options.fault ?? 'internal';
    this.retryable = options.retryable ?? false;
  }
}

/** Bad input from a person: arguments, environment, a policy file. Never retryable. */
export class UsageError extends AppError {
  constructor(message: string, code = 'USAGE', cause?: unknown) {
    super(message, { code, fault: 'user', retryable: false, cause });
  }
}

/** Configuration (environment or options) that cannot work, e.g. a missing project id. */
export class ConfigError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'CONFIG', fault: 'user', retryable: false, cause });
  }
}
