import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';

import { AppError } from '../errors';
import { Clock, systemClock } from '../time';

/**
 * What the lease table's stores (leases, webhook requests) share: the one DynamoDB call they
 * make (`send`), their two kinds of conditional write (putOrSettle to take an item another
 * process may hold, writeIfStillHeld to change or drop one's own), consistent reads, and errors
 * that name the table. The table has one key attribute, `pk`
 * (string), and TTL on `ttl` (epoch seconds); TTL only cleans up, since DynamoDB deletes expired
 * items late (typically within days) and local servers may not at all, so every condition compares
 * `expires_at` (epoch milliseconds) with the caller's clock instead.
 */
export type DynamoDbSend = Pick<DynamoDBClient, 'send'>;

/**
 * Every DynamoDB action the lease table's stores call (leases and webhook requests), for the
 * functions' IAM role: grant these on the table and nothing else.
 */
export const LEASE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** An item as the low-level client reads and writes it. */
export type Item = Record<string, AttributeValue>;

/** Whether `err` is DynamoDB refusing a ConditionExpression (the write did not happen). */
function isConditionFailed(err: unknown): err is Error & { Item?: Item } {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * An error of the table itself (throttled, missing, no permission, unreachable), naming the
 * table, the operation and the key; the SDK's own error is the cause. Never contains a
 * credential: AWS error messages name the principal's ARN at most.
 */
function tableError(tableName: string, operation: string, key: string, err: unknown): AppError {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const retryable =
    typeof err === 'object' &&
    err !== null &&
    '$retryable' in err &&
    Boolean((err as { $retryable?: unknown }).$retryable);
  return new AppError(`DynamoDB table "${tableName}": ${operation} of "${key}" failed: ${name}: ${message}`, {
    code: 'LEASE_TABLE',
    fault: 'api',
    retryable,
    cause: err,
  });
}

/** A string attribute, or undefined when absent or of another type. */
export function stringOf(item: Item | undefined, name: string): string | undefined {
  const value = item?.[name];
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

/** A number attribute, or undefined when absent, of another type or not a finite number. */
export function numberOf(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name];
  if (!value || !('N' in value) || typeof value.N !== 'string') return undefined;
  const n = Number(value.N);
  return Number.isFinite(n) ? n : undefined;
}

/** `expires_at` (epoch ms) and `ttl` (epoch s, rounded up so TTL never removes a live item). */
export function expiryAttributes(expiresAt: Date): { expires_at: AttributeValue; ttl: AttributeValue } {
  return { expires_at: { N: String(expiresAt.getTime()) }, ttl: { N: String(Math.ceil(expiresAt.getTime() / 1000)) } };
}

/** What a store on the lease table is built from (lib/deps.ts makes the client with the AWS SDK's defaults). */
export interface DynamoDbTableOptions {
  client: DynamoDbSend;
  tableName: string;
  /** The clock the conditions compare `expires_at` with. */
  clock?: Clock;
}

/** A consistent read of one item by key; `what` names it in the error ("the lease", "the webhook request"). */
async function readItem(client: DynamoDbSend, tableName: string, key: string, what: string): Promise<Item | undefined> {
  try {
    return (
      await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }))
    ).Item;
  } catch (err) {
    throw tableError(tableName, `reading ${what}`, key, err);
  }
}

/** A store's view of the table (openTable). */
export type OpenTable = Required<DynamoDbTableOptions> & { read: (key: string) => Promise<Item | undefined> };

/** A store's view of the table: its client and name, the clock (the system's unless given), and reads of `what`. */
export function openTable(options: DynamoDbTableOptions, what: string): OpenTable {
  const { client, tableName } = options;
  return {
    client,
    tableName,
    clock: options.clock ?? systemClock,
    read: (key) => readItem(client, tableName, key, what),
  };
}

/** How often a put that loses races to items that then vanish is tried before giving up (each round needs another process to win). */
const MAX_PUT_ROUNDS = 5;

/**
 * A conditional PutItem that another process may stand in the way of (acquiring a lease,
 * claiming a webhook request). When the condition fails, `settle` gets the item in the way
 * (from the refusal, with ReturnValuesOnConditionCheckFailure, or read back where the server
 * does not send it) and returns the answer; undefined means the item went away meanwhile
 * (released, expired), and the put is tried again, a few times at most. `put` builds the item
 * and its condition for the instant of each try. Errors of the table itself name it (`doing`).
 */
export async function putOrSettle<T>(
  table: OpenTable,
  options: {
    key: string;
    doing: string;
    put: (now: Date) => Omit<PutItemCommandInput, 'TableName'>;
    settle: (current: Item | undefined, now: Date) => T | undefined;
    done: T;
    giveUp: (rounds: number) => string;
  },
): Promise<T> {
  for (let round = 1; ; round++) {
    const now = table.clock();
    try {
      await table.client.send(
        new PutItemCommand({
          TableName: table.tableName,
          ...options.put(now),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return options.done;
    } catch (err) {
      if (!isConditionFailed(err)) throw tableError(table.tableName, options.doing, options.key, err);
      const answer = options.settle(err.Item ?? (await table.read(options.key)), now);
      if (answer !== undefined) return answer;
      if (round >= MAX_PUT_ROUNDS)
        throw new AppError(`DynamoDB table "${table.tableName}": ${options.giveUp(round)}`, {
          code: 'LEASE_TABLE',
          fault: 'api',
          retryable: true,
        });
    }
  }
}

/**
 * A conditional UpdateItem or DeleteItem on the item `key` (renew, release, complete, abandon):
 * true when it was done, false when its condition did not hold (the item is not, or no longer,
 * the caller's); any other error is thrown naming the table and what was being done.
 */
export async function writeIfStillHeld(
  table: OpenTable,
  doing: string,
  key: string,
  command: UpdateItemCommand | DeleteItemCommand,
): Promise<boolean> {
  try {
    await table.client.send(command);
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw tableError(table.tableName, doing, key, err);
  }
}
