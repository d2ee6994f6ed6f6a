import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { AppError } from '../errors';

/**
 * What the lease table's users share: the one DynamoDB call they make (`send`), the test for a
 * refused condition, and errors that name the table. The table has one key attribute, `pk`
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
export function isConditionFailed(err: unknown): err is Error & { Item?: Item } {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * An error of the table itself (throttled, missing, no permission, unreachable), naming the
 * table, the operation and the key; the SDK's own error is the cause. Never contains a
 * credential: AWS error messages name the principal's ARN at most.
 */
export function tableError(tableName: string, operation: string, key: string, err: unknown): AppError {
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
  clock?: () => Date;
}

/** A consistent read of one item by key; `what` names it in the error ("the lease", "the webhook request"). */
export async function readItem(
  client: DynamoDbSend,
  tableName: string,
  key: string,
  what: string,
): Promise<Item | undefined> {
  try {
    return (
      await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }))
    ).Item;
  } catch (err) {
    throw tableError(tableName, `reading ${what}`, key, err);
  }
}

/** A store's view of the table: its client and name, the clock (the system's unless given), and reads of `what`. */
export function openTable(
  options: DynamoDbTableOptions,
  what: string,
): Required<DynamoDbTableOptions> & { read: (key: string) => Promise<Item | undefined> } {
  const { client, tableName } = options;
  return {
    client,
    tableName,
    clock: options.clock ?? (() => new Date()),
    read: (key) => readItem(client, tableName, key, what),
  };
}
