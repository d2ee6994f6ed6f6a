import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

import { AppError } from '../errors';
import {
  DynamoDbTableOptions,
  expiryAttributes,
  Item,
  numberOf,
  openTable,
  putOrSettle,
  stringOf,
  writeIfStillHeld,
} from './dynamodb-table';
import { LeaseResult, LeaseStore } from './lease';

/**
 * Leases in a DynamoDB table (CONTRACT section 1, "Leases"), one item per lease:
 *
 * | attribute     | type | meaning |
 * |---------------|------|---------|
 * | `pk`          | S    | the lease key, `<project_id>/<service_id>` (leaseKey) |
 * | `holder`      | S    | who holds it: the run id |
 * | `expires_at`  | N    | epoch milliseconds; past it, anyone may take the lease |
 * | `ttl`         | N    | epoch seconds (`expires_at` rounded up): TTL cleans up, never decides |
 * | `acquired_at` | S    | ISO time of the last acquire, for people reading the table |
 *
 * Every change is one conditional write, so two processes can never both hold a lease: DynamoDB
 * applies conditional writes on one item one at a time. The conditions compare `expires_at` with
 * this process's clock; clocks of Lambda hosts agree to well under the 30 s a lease outlives its
 * holder's deadline (LEASE_GRACE_MS).
 *
 * What it costs in requests (items are under 1 KB, so each write is 1 write request unit): a
 * service's lease takes 2 WRU per review that takes it (acquire + release); a refused acquire
 * 1 WRU (plus 1 read unit where the server does not return the item with the refusal, as dynalite
 * does not). What that comes to in money at 10,000 services is worked out in the README ("The
 * lease table"), where the prices it assumes can be kept current.
 */

/**
 * Creates a LeaseStore on a DynamoDB table with key attribute `pk` (see the table layout above).
 * Acquire is a PutItem with `attribute_not_exists(pk) OR expires_at < :now OR holder = :holder`;
 * renew an UpdateItem and release a DeleteItem, both on `holder = :holder`. A refused acquire
 * learns the holder from the refusal (ReturnValuesOnConditionCheckFailure) or, where the server
 * does not send it, from a consistent GetItem. Any other error is thrown naming the table.
 */
export function createDynamoDbLeaseStore(options: DynamoDbTableOptions): LeaseStore {
  const table = openTable(options, 'the lease');
  const { tableName } = table;

  return {
    // async: whatever throws while the write is built is a rejection, as the LeaseStore contract has it.
    acquire: async (key, holder, expiresAt) =>
      putOrSettle<LeaseResult>(table, {
        key,
        doing: 'acquiring the lease',
        put: (now) => ({
          Item: {
            pk: { S: key },
            holder: { S: holder },
            ...expiryAttributes(expiresAt),
            acquired_at: { S: now.toISOString() },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': { N: String(now.getTime()) }, ':holder': { S: holder } },
        }),
        settle: (current, now) => {
          const currentHolder = stringOf(current, 'holder');
          const currentExpiry = numberOf(current, 'expires_at');
          // Held by someone else and not expired at the time of the write: that is the answer.
          if (
            currentHolder !== undefined &&
            currentExpiry !== undefined &&
            currentHolder !== holder &&
            currentExpiry >= now.getTime()
          ) {
            return { acquired: false, holder: currentHolder, expiresAt: new Date(currentExpiry) };
          }
          if (current !== undefined && (currentHolder === undefined || currentExpiry === undefined)) {
            throw new AppError(
              `DynamoDB table "${tableName}": the item "${key}" is not a lease (holder ${JSON.stringify(currentHolder ?? null)}, expires_at ${JSON.stringify(currentExpiry ?? null)})`,
              { code: 'LEASE_TABLE', fault: 'internal' },
            );
          }
          // Released or expired between the refused write and the read: try again.
          return undefined;
        },
        done: { acquired: true },
        giveUp: (rounds) => `the lease "${key}" changed hands ${rounds} times while being acquired; giving up`,
      }),

    renew: async (key, holder, expiresAt) =>
      writeIfStillHeld(
        table,
        'renewing the lease',
        key,
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          // TTL is a reserved word in DynamoDB expressions.
          UpdateExpression: 'SET expires_at = :expires_at, #ttl = :ttl',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':holder': { S: holder }, ...prefixed(expiryAttributes(expiresAt)) },
        }),
      ),

    // Not (or no longer) ours: another holder took it after it expired; leave theirs alone.
    release: async (key, holder) => {
      await writeIfStillHeld(
        table,
        'releasing the lease',
        key,
        new DeleteItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    },
  };
}

function prefixed(attributes: Item): Item {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [`:${name}`, value]));
}
