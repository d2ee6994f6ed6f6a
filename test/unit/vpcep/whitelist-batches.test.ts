import { AppError } from '../../../lib/errors';
import { createVpcepClient } from '../../../lib/vpcep/client';
import { toActionError, VpcepApiError } from '../../../lib/vpcep/errors';
import { updateWhitelistInHalves } from '../../../lib/vpcep/whitelist-batches';
import { PAYMENTS as SERVICE } from '../../support/ids';
import { AK, fakeFetch, NOW, PROJECT, RecordedRequest, Responder, SK } from './fake-fetch';

const record = (n: number) => `iam:domain::${String(n).padStart(32, '0')}`;
const sent = (req: RecordedRequest) => (req.body as { permissions: string[] }).permissions;

function client(handler: Responder) {
  const fake = fakeFetch(handler);
  const c = createVpcepClient({
    endpoint: 'https://vpcep.tr-west-1.myhuaweicloud.com',
    projectId: PROJECT,
    credentials: { ak: AK, sk: SK },
    fetch: fake.fetch,
    clock: () => NOW,
    sleep: async () => {},
    retry: { maxAttempts: 1 },
  });
  return { client: c, requests: fake.requests };
}

const answer = (req: RecordedRequest) => ({ body: { permissions: sent(req) } });
const refuse = (status: number, code: string, msg: string) => ({
  status,
  body: { error_code: code, error_msg: msg },
});

describe("the client's whitelist batches (4.2.9)", () => {
  it('halves a batch the API refuses for its size (EndPoint.0016) until it takes each part', async () => {
    const t = client((req) =>
      sent(req).length > 2
        ? refuse(400, 'EndPoint.0016', 'The number of batch operated resources exceeded the limit.')
        : answer(req),
    );
    const refused = await t.client.updateWhitelistRecords(SERVICE, 'add', [1, 2, 3, 4, 5].map(record));
    expect(refused.size).toBe(0);
    expect(t.requests.map((r) => sent(r).length)).toEqual([5, 3, 2, 1, 2]);
  });

  it('halves a removal the API refuses as such, so the record it will not remove fails alone', async () => {
    const t = client((req) =>
      sent(req).includes(record(3)) ? refuse(400, 'EndPoint.3002', 'Invalid permission.') : answer(req),
    );
    const refused = await t.client.updateWhitelistRecords(SERVICE, 'remove', [1, 2, 3, 4].map(record));
    expect([...refused]).toEqual([[record(3), { code: 'EndPoint.3002', message: 'Invalid permission.', status: 400 }]]);
    expect(t.requests.map((r) => sent(r).length)).toEqual([4, 2, 2, 1, 1]);
  });

  it('does not split an addition the API refuses as such: every record has the error, after one call', async () => {
    const t = client(() => refuse(400, 'EndPoint.3002', 'Invalid permission.'));
    const refused = await t.client.updateWhitelistRecords(SERVICE, 'add', [1, 2].map(record));
    expect([...refused.keys()]).toEqual([record(1), record(2)]);
    expect(t.requests).toHaveLength(1);
  });

  it('does not split for throttling, nor once the run is interrupted', async () => {
    const throttled = new VpcepApiError('throttled', {
      operation: 'updateWhitelist',
      status: 400,
      errorCode: 'EndPoint.0022',
      errorMsg: 'Too many requests.',
      retryable: true,
    });
    const calls: number[] = [];
    const update = async (batch: string[]) => {
      calls.push(batch.length);
      throw throttled;
    };
    const refused = await updateWhitelistInHalves(update, 'remove', [1, 2].map(record));
    expect(refused.get(record(2))).toEqual({ code: 'EndPoint.0022', message: 'Too many requests.', status: 400 });
    const tooLarge = new VpcepApiError('too large', { operation: 'updateWhitelist', status: 413, retryable: false });
    const aborted = AbortSignal.abort();
    await updateWhitelistInHalves(
      async (batch) => {
        calls.push(batch.length);
        throw tooLarge;
      },
      'add',
      [1, 2].map(record),
      aborted,
    );
    expect(calls).toEqual([2, 2]);
  });
});

describe('toActionError()', () => {
  it("says what the API said of a call, the client's own code when the API said nothing, and the program's code of its own errors", () => {
    const answered = new VpcepApiError('updateService (PUT ...) failed: HTTP 500 EndPoint.0001: System error.', {
      operation: 'updateService',
      status: 500,
      errorCode: 'EndPoint.0001',
      errorMsg: 'System error.',
      retryable: true,
    });
    expect(toActionError(answered)).toEqual({ code: 'EndPoint.0001', message: 'System error.', status: 500 });
    const notSent = new VpcepApiError('acceptOrReject not sent: the run was interrupted', {
      operation: 'acceptOrReject',
      retryable: false,
      code: 'INTERRUPTED',
    });
    expect(toActionError(notSent)).toEqual({
      code: 'INTERRUPTED',
      message: 'acceptOrReject not sent: the run was interrupted',
    });
    expect(
      toActionError(new AppError('table unreachable', { code: 'LEASE_STORE', fault: 'api', retryable: true })),
    ).toEqual({
      code: 'LEASE_STORE',
      message: 'table unreachable',
    });
    expect(toActionError(new Error('boom'))).toEqual({ code: 'ERROR', message: 'boom' });
  });
});
