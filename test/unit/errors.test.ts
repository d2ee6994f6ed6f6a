import { AppError, ConfigError, UsageError } from '../../lib/errors';

describe('AppError', () => {
  it('keeps code, fault, retryable and cause', () => {
    const cause = new Error('socket hang up');
    const err = new AppError('call failed', { code: 'NET', fault: 'api', retryable: true, cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AppError');
    expect(err.code).toBe('NET');
    expect(err.fault).toBe('api');
    expect(err.retryable).toBe(true);
    expect(err.cause).toBe(cause);
  });

  it("marks usage and config errors as the user's fault and not retryable", () => {
    const usage = new UsageError('--scope must be one of sweep, compliance (got "daily")');
    const config = new ConfigError('HUAWEICLOUD_SDK_PROJECT_ID is not set');
    for (const err of [usage, config]) {
      expect(err).toBeInstanceOf(AppError);
      expect(err.fault).toBe('user');
      expect(err.retryable).toBe(false);
    }
    expect(usage.name).toBe('UsageError');
    expect(config.code).toBe('CONFIG');
  });
});
