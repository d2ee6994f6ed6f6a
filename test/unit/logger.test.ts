import { createJsonLogger, redact } from '../../lib/logger';
import { captureStream } from '../support/capture';

describe('createJsonLogger()', () => {
  it('writes one JSON object per line with level, message, child fields and time', () => {
    const out = captureStream();
    const log = createJsonLogger({ stream: out.stream, clock: () => new Date('2026-01-01T00:00:00Z') }).child({
      run_id: 'r1',
    });
    log.info('service reviewed', { service_id: 's1', actions: 2 });
    log.debug('not shown at info');
    expect(out.json()).toEqual([
      {
        time: '2026-01-01T00:00:00.000Z',
        level: 'info',
        msg: 'service reviewed',
        run_id: 'r1',
        service_id: 's1',
        actions: 2,
      },
    ]);
  });

  it('never writes a secret, whatever the field is called or how deep it is', () => {
    const out = captureStream();
    const log = createJsonLogger({ stream: out.stream });
    log.error('call failed', {
      request: { headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK, Signature=abc', 'X-Security-Token': 'tok' } },
      sk: 'SECRETKEY',
      webhookSecret: 'x',
    });
    const text = JSON.stringify(out.json());
    for (const secret of ['Signature=abc', 'tok', 'SECRETKEY', '"x"']) expect(text).not.toContain(secret);
    expect(out.json<{ request: { headers: Record<string, string> } }>()[0]!.request.headers.Authorization).toBe(
      '[redacted]',
    );
  });
});

describe('redact()', () => {
  it('turns errors into name and message', () => {
    expect(redact({ err: new TypeError('bad') })).toEqual({ err: { name: 'TypeError', message: 'bad' } });
  });
});
