import { GetItemCommand } from '@aws-sdk/client-dynamodb';

import { createDynamoDbWebhookRequestStore } from '../../lib/webhook/dynamodb-request-store';
import { webhookRecordKey, WebhookRequestStore } from '../../lib/webhook/request-store';
import { manualClock } from '../support/clock';
import { localDynamoDb } from './support/dynamodb-server';

// Webhook request records in the lease table, against dynalite on 127.0.0.1. Time is an
// injected clock, moved by the test.

const T0 = Date.UTC(2026, 11, 2, 18, 0, 0);
const db = localDynamoDb();
const { clock, at, set: setClock } = manualClock(T0);

let n = 0;
const freshSignature = () => `sha256=${(++n).toString(16).padStart(64, '0')}`;
const storeOf = (tableName = db.tableName): WebhookRequestStore =>
  createDynamoDbWebhookRequestStore({ client: db.newClient(), tableName, clock });
const itemOf = async (signature: string) =>
  (
    await db.client.send(
      new GetItemCommand({
        TableName: db.tableName,
        Key: { pk: { S: webhookRecordKey(signature) } },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('createDynamoDbWebhookRequestStore()', () => {
  it('lets exactly one of 50 concurrent claims of one signature win; the others see it in progress', async () => {
    const stores = Array.from({ length: 5 }, () => storeOf());
    const signature = freshSignature();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stores[i % 5]!.claim(signature, `run-${i}`, at(35))),
    );
    const winners = results.flatMap((r, i) => (r.state === 'claimed' ? [`run-${i}`] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.state !== 'claimed')).toEqual(
      Array(49).fill({ state: 'in_progress', holder: winners[0], until: at(35) }),
    );
  });

  it('keeps the completed answer for later copies until its keeping time, under a hashed key', async () => {
    const [a, b] = [storeOf(), storeOf()];
    const signature = freshSignature();
    expect(await a.claim(signature, 'run-a', at(35))).toEqual({ state: 'claimed' });
    const answer = { statusCode: 200, body: '{"run_id":"run-a","actions":[],"left_pending":[]}' };
    expect(await a.complete(signature, 'run-a', answer, at(660))).toBe(true);
    setClock(at(600));
    expect(await b.claim(signature, 'run-b', at(635))).toEqual({ state: 'completed', holder: 'run-a', answer });
    expect(await itemOf(signature)).toEqual({
      pk: { S: webhookRecordKey(signature) },
      holder: { S: 'run-a' },
      state: { S: 'completed' },
      expires_at: { N: String(at(660).getTime()) },
      ttl: { N: String(at(660).getTime() / 1000) },
      claimed_at: { S: at(0).toISOString() },
      answer_status: { N: '200' },
      answer_body: { S: answer.body },
    });
    expect(JSON.stringify(await itemOf(signature))).not.toContain(signature.slice(7));
    // Past its keeping time (TTL has not removed it: conditions decide, not TTL).
    setClock(at(661));
    expect(await b.claim(signature, 'run-b', at(700))).toEqual({ state: 'claimed' });
  });

  it('records a completion without an answer (too large to keep) as completed with none', async () => {
    const [a, b] = [storeOf(), storeOf()];
    const signature = freshSignature();
    await a.claim(signature, 'run-a', at(35));
    expect(await a.complete(signature, 'run-a', undefined, at(660))).toBe(true);
    expect(await b.claim(signature, 'run-b', at(35))).toEqual({ state: 'completed', holder: 'run-a' });
  });

  it('lets a copy claim a lapsed claim; the stale holder can then neither complete nor abandon it', async () => {
    const [a, b, c] = [storeOf(), storeOf(), storeOf()];
    const signature = freshSignature();
    await a.claim(signature, 'run-a', at(35));
    setClock(at(35));
    expect(await b.claim(signature, 'run-b', at(70))).toMatchObject({ state: 'in_progress', holder: 'run-a' });
    setClock(at(36));
    expect(await b.claim(signature, 'run-b', at(70))).toEqual({ state: 'claimed' });
    expect(await a.complete(signature, 'run-a', { statusCode: 200, body: '{}' }, at(660))).toBe(false);
    await a.abandon(signature, 'run-a');
    expect(await c.claim(signature, 'run-c', at(70))).toEqual({ state: 'in_progress', holder: 'run-b', until: at(70) });
  });

  it("abandons only the holder's unfinished claim", async () => {
    const [a, b] = [storeOf(), storeOf()];
    const signature = freshSignature();
    await a.claim(signature, 'run-a', at(35));
    await b.abandon(signature, 'run-b');
    expect(await b.claim(signature, 'run-b', at(35))).toMatchObject({ state: 'in_progress' });
    await a.abandon(signature, 'run-a');
    expect(await b.claim(signature, 'run-b', at(35))).toEqual({ state: 'claimed' });
    await b.complete(signature, 'run-b', { statusCode: 404, body: '{"error":"not_found"}' }, at(660));
    // A completed record is never abandoned.
    await b.abandon(signature, 'run-b');
    expect(await a.claim(signature, 'run-a', at(35))).toMatchObject({
      state: 'completed',
      answer: { statusCode: 404 },
    });
  });

  it('names the table when it cannot be used', async () => {
    const store = storeOf('no-such-table');
    const signature = freshSignature();
    await expect(store.claim(signature, 'run-a', at(35))).rejects.toThrow(
      `DynamoDB table "no-such-table": claiming the webhook request of "${webhookRecordKey(signature)}" failed: ResourceNotFoundException`,
    );
    await expect(store.complete(signature, 'run-a', undefined, at(660))).rejects.toThrow(
      /"no-such-table": completing the webhook request/,
    );
    await expect(store.abandon(signature, 'run-a')).rejects.toThrow(/"no-such-table": abandoning the webhook request/);
  });
});
