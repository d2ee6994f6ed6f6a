import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

import { createDynamoDbLeaseStore } from '../../../lib/lease/dynamodb-lease-store';
import { DynamoDbSend, Item } from '../../../lib/lease/dynamodb-table';
import { createDynamoDbWebhookRequestStore } from '../../../lib/webhook/dynamodb-request-store';
import { NOW } from '../../support/records';

/** DynamoDB refusing a condition, as the SDK throws it (with the item when the server returns it). */
function conditionFailed(item?: Item): Error {
  return Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    ...(item && { Item: item }),
  });
}

/**
 * A table whose PutItems are refused `refusals` times, each refusal without the item (as dynalite
 * answers) and each read back finding nothing: the item in the way went away meanwhile.
 */
function racingTable(refusals: number) {
  const calls: string[] = [];
  let refused = 0;
  const client: DynamoDbSend = {
    send: (async (command: unknown) => {
      if (command instanceof PutItemCommand) {
        calls.push('put');
        if (refused++ < refusals) throw conditionFailed();
        return {};
      }
      if (command instanceof GetItemCommand) {
        calls.push('get');
        return {};
      }
      throw new Error('unexpected command');
    }) as DynamoDbSend['send'],
  };
  return { client, calls };
}

const later = new Date(NOW.getTime() + 60_000);

describe('conditional puts against other processes (putOrSettle)', () => {
  it('tries again when the item in the way vanished before it could be read, and then succeeds', async () => {
    const table = racingTable(2);
    const leases = createDynamoDbLeaseStore({ client: table.client, tableName: 'leases', clock: () => NOW });
    await expect(leases.acquire('p/s', 'run-1', later)).resolves.toEqual({ acquired: true });
    expect(table.calls).toEqual(['put', 'get', 'put', 'get', 'put']);
  });

  it('gives up after five rounds, naming the table and the key', async () => {
    const table = racingTable(Infinity);
    const leases = createDynamoDbLeaseStore({ client: table.client, tableName: 'leases', clock: () => NOW });
    await expect(leases.acquire('p/s', 'run-1', later)).rejects.toThrow(
      'DynamoDB table "leases": the lease "p/s" changed hands 5 times while being acquired; giving up',
    );
    expect(table.calls.filter((c) => c === 'put')).toHaveLength(5);
  });

  it('answers from the item the refusal returns, without reading it back', async () => {
    const calls: string[] = [];
    const holder = { pk: { S: 'p/s' }, holder: { S: 'run-other' }, expires_at: { N: String(later.getTime()) } };
    const client: DynamoDbSend = {
      send: (async (command: unknown) => {
        calls.push(command instanceof PutItemCommand ? 'put' : 'other');
        throw conditionFailed(holder);
      }) as DynamoDbSend['send'],
    };
    const leases = createDynamoDbLeaseStore({ client, tableName: 'leases', clock: () => NOW });
    await expect(leases.acquire('p/s', 'run-1', later)).resolves.toEqual({
      acquired: false,
      holder: 'run-other',
      expiresAt: later,
    });
    expect(calls).toEqual(['put']);
  });

  it('claims a webhook request again after a vanished record, and gives up the same way', async () => {
    const racing = racingTable(1);
    const requests = createDynamoDbWebhookRequestStore({ client: racing.client, tableName: 't', clock: () => NOW });
    await expect(requests.claim('sig', 'run-1', later)).resolves.toEqual({ state: 'claimed' });
    expect(racing.calls).toEqual(['put', 'get', 'put']);
    const endless = racingTable(Infinity);
    const stuck = createDynamoDbWebhookRequestStore({ client: endless.client, tableName: 't', clock: () => NOW });
    await expect(stuck.claim('sig', 'run-1', later)).rejects.toThrow(/changed 5 times while being claimed; giving up/);
  });

  it('names the table and what it was doing when the table itself fails', async () => {
    const client: DynamoDbSend = {
      send: (async () => {
        throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      }) as DynamoDbSend['send'],
    };
    const leases = createDynamoDbLeaseStore({ client, tableName: 'leases', clock: () => NOW });
    await expect(leases.acquire('p/s', 'run-1', later)).rejects.toThrow(/leases.*acquiring the lease/);
    await expect(leases.renew('p/s', 'run-1', later)).rejects.toThrow(/leases.*renewing the lease/);
  });
});
