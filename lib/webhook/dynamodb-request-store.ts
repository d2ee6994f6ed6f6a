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
} from '../lease/dynamodb-table';
import { WebhookClaim, webhookRecordKey, WebhookRequestStore } from './request-store';

/**
 * Webhook request records in the lease table (one table for the deployment: same key `pk`, same
 * TTL attribute `ttl`), one item per signed request:
 *
 * | attribute       | type | meaning |
 * |-----------------|------|---------|
 * | `pk`            | S    | `webhook#<sha256 of the signature>` (webhookRecordKey) |
 * | `holder`        | S    | the run id of the invocation that claimed it |
 * | `state`         | S    | `in_progress` or `completed` |
 * | `expires_at`    | N    | epoch ms: the claim's end while in progress; the keeping time once completed |
 * | `ttl`           | N    | epoch seconds, for TTL clean-up only |
 * | `claimed_at`    | S    | ISO time of the claim |
 * | `answer_status` | N    | completed: the HTTP status of the first answer |
 * | `answer_body`   | S    | completed: its JSON body (absent when too large to keep) |
 *
 * Cost: two writes per signed request (claim, complete), each 1 WRU per KB of the item; copies
 * refused cost 1 WRU each. At webhook volumes (thousands a month) this is cents.
 */

/** Creates a WebhookRequestStore on the lease table (conditional writes; see the layout above). */
export function createDynamoDbWebhookRequestStore(options: DynamoDbTableOptions): WebhookRequestStore {
  const table = openTable(options, 'the webhook request');
  const { tableName } = table;

  return {
    // async: whatever throws while a write is built is a rejection, as the store's contract has it.
    claim: async (signature, holder, until) => {
      const key = webhookRecordKey(signature);
      return putOrSettle<WebhookClaim>(table, {
        key,
        doing: 'claiming the webhook request',
        put: (now) => ({
          Item: {
            pk: { S: key },
            holder: { S: holder },
            state: { S: 'in_progress' },
            ...expiryAttributes(until),
            claimed_at: { S: now.toISOString() },
          },
          // A record counts until expires_at; TTL may delete it much later (or never, locally).
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
          ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } },
        }),
        // The record found answers the claim; gone or expired meanwhile, claim again.
        settle: (current, now) => parseRecord(tableName, key, current, now),
        done: { state: 'claimed' },
        giveUp: (rounds) => `the webhook request "${key}" changed ${rounds} times while being claimed; giving up`,
      });
    },

    complete: async (signature, holder, answer, keepUntil) => {
      const key = webhookRecordKey(signature);
      const values: Item = { ':holder': { S: holder }, ':completed': { S: 'completed' } };
      const { expires_at, ttl } = expiryAttributes(keepUntil);
      Object.assign(values, { ':expires_at': expires_at, ':ttl': ttl });
      let set = '#state = :completed, expires_at = :expires_at, #ttl = :ttl';
      if (answer) {
        Object.assign(values, { ':status': { N: String(answer.statusCode) }, ':body': { S: answer.body } });
        set += ', answer_status = :status, answer_body = :body';
      }
      return writeIfStillHeld(
        table,
        'completing the webhook request',
        key,
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          UpdateExpression: `SET ${set}`,
          ConditionExpression: 'holder = :holder',
          // STATE and TTL are reserved words in DynamoDB expressions.
          ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
        }),
      );
    },

    // Not ours any more, or already completed: nothing to give up.
    abandon: async (signature, holder) => {
      const key = webhookRecordKey(signature);
      await writeIfStillHeld(
        table,
        'abandoning the webhook request',
        key,
        new DeleteItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          ConditionExpression: 'holder = :holder AND #state = :in_progress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':holder': { S: holder }, ':in_progress': { S: 'in_progress' } },
        }),
      );
    },
  };
}

/** The live record found, or undefined when there is none (gone or expired: claim again). */
function parseRecord(tableName: string, key: string, item: Item | undefined, now: Date): WebhookClaim | undefined {
  if (!item) return undefined;
  const holder = stringOf(item, 'holder');
  const state = stringOf(item, 'state');
  const expiresAt = numberOf(item, 'expires_at');
  if (holder === undefined || expiresAt === undefined || (state !== 'in_progress' && state !== 'completed')) {
    throw new AppError(
      `DynamoDB table "${tableName}": the item "${key}" is not a webhook request record (holder ${JSON.stringify(holder ?? null)}, state ${JSON.stringify(state ?? null)})`,
      { code: 'LEASE_TABLE', fault: 'internal' },
    );
  }
  if (expiresAt < now.getTime()) return undefined;
  if (state === 'in_progress') return { state, holder, until: new Date(expiresAt) };
  const statusCode = numberOf(item, 'answer_status');
  const body = stringOf(item, 'answer_body');
  return { state, holder, ...(statusCode !== undefined && body !== undefined && { answer: { statusCode, body } }) };
}
