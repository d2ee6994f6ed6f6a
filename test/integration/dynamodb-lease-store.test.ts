import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

import { createLeaseStore } from '../../lib/deps';
import { createDynamoDbLeaseStore } from '../../lib/lease/dynamodb-lease-store';
import { LEASE_TABLE_ACTIONS } from '../../lib/lease/dynamodb-table';
import { leaseKey, LeaseStore } from '../../lib/lease/lease';
import { createDynamoDbWebhookRequestStore } from '../../lib/webhook/dynamodb-request-store';
import { manualClock } from '../support/clock';
import { PROJECT } from '../support/ids';
import { LOCAL_AWS_ENV, localDynamoDb } from './support/dynamodb-server';

// The DynamoDB lease store against a real DynamoDB-compatible server (dynalite on 127.0.0.1).
// Each "container" has its own client and store; they share only the table, as Lambda
// containers do. Time is an injected clock, moved by the test.

const T0 = Date.UTC(2026, 11, 2, 18, 0, 0);

const db = localDynamoDb();
const { clock, at, set: setClock } = manualClock(T0);

let keys = 0;
const freshKey = () => leaseKey(PROJECT, `4189d3c2-8882-4871-a3c2-${String(++keys).padStart(12, '0')}`);
const storeOf = (client = db.client, tableName = db.tableName): LeaseStore =>
  createDynamoDbLeaseStore({ client, tableName, clock });

describe('createDynamoDbLeaseStore()', () => {
  it('lets exactly one of 50 concurrent acquires of one key win; the others learn the holder and its expiry', async () => {
    // Five containers with ten concurrent reviews each; three keys, so a lucky ordering cannot pass.
    const stores = Array.from({ length: 5 }, () => storeOf(db.newClient()));
    for (let round = 0; round < 3; round++) {
      const key = freshKey();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 5]!.acquire(key, `run-${round}-${i}`, at(60))),
      );
      const winners = results.flatMap((r, i) => (r.acquired ? [`run-${round}-${i}`] : []));
      expect(winners).toHaveLength(1);
      const losers = results.filter((r) => !r.acquired);
      expect(losers).toHaveLength(49);
      expect(
        losers.every((r) => !r.acquired && r.holder === winners[0] && r.expiresAt.getTime() === at(60).getTime()),
      ).toBe(true);
    }
  });

  it('stores pk, holder, expires_at (epoch ms), ttl (epoch s) and acquired_at', async () => {
    const key = freshKey();
    expect(await storeOf().acquire(key, 'run-a', new Date(T0 + 60_500))).toEqual({ acquired: true });
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
    );
    expect(Item).toEqual({
      pk: { S: key },
      holder: { S: 'run-a' },
      expires_at: { N: String(T0 + 60_500) },
      // Rounded up: TTL must never remove a lease before it expires.
      ttl: { N: String(T0 / 1000 + 61) },
      acquired_at: { S: new Date(T0).toISOString() },
    });
  });

  it('takes over a lease whose holder let it expire, and the old holder can then neither renew nor release it', async () => {
    const key = freshKey();
    const [a, b, c] = [storeOf(db.newClient()), storeOf(db.newClient()), storeOf(db.newClient())];
    expect(await a.acquire(key, 'run-a', at(10))).toEqual({ acquired: true });
    setClock(at(5));
    expect(await b.acquire(key, 'run-b', at(70))).toEqual({ acquired: false, holder: 'run-a', expiresAt: at(10) });
    // At its expiry the lease is still held (expires_at < now frees it).
    setClock(at(10));
    expect(await b.acquire(key, 'run-b', at(70))).toMatchObject({ acquired: false, holder: 'run-a' });
    setClock(at(11));
    expect(await b.acquire(key, 'run-b', at(70))).toEqual({ acquired: true });
    expect(await a.renew(key, 'run-a', at(100))).toBe(false);
    await a.release(key, 'run-a');
    expect(await c.acquire(key, 'run-c', at(100))).toEqual({ acquired: false, holder: 'run-b', expiresAt: at(70) });
  });

  it('renews only for the holder', async () => {
    const key = freshKey();
    const [a, b] = [storeOf(db.newClient()), storeOf(db.newClient())];
    await a.acquire(key, 'run-a', at(30));
    expect(await b.renew(key, 'run-b', at(300))).toBe(false);
    expect(await a.renew(key, 'run-a', at(50))).toBe(true);
    setClock(at(40));
    // Still held: the renewal moved expires_at from 30 s to 50 s.
    expect(await b.acquire(key, 'run-b', at(100))).toEqual({ acquired: false, holder: 'run-a', expiresAt: at(50) });
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
    );
    expect(Item?.ttl).toEqual({ N: String(T0 / 1000 + 50) });
    // Nothing to renew: never taken.
    expect(await a.renew(freshKey(), 'run-a', at(50))).toBe(false);
  });

  it('keeps a held lease when another holder releases it; the holder releases it for the next one', async () => {
    const key = freshKey();
    const [a, b] = [storeOf(db.newClient()), storeOf(db.newClient())];
    await a.acquire(key, 'run-a', at(60));
    await b.release(key, 'run-b');
    expect(await b.acquire(key, 'run-b', at(60))).toMatchObject({ acquired: false, holder: 'run-a' });
    await a.release(key, 'run-a');
    expect(await b.acquire(key, 'run-b', at(60))).toEqual({ acquired: true });
    // Releasing a lease nobody holds is not an error.
    await a.release(freshKey(), 'run-a');
  });

  it('extends the lease when its holder acquires it again', async () => {
    const key = freshKey();
    const [a, b] = [storeOf(db.newClient()), storeOf(db.newClient())];
    await a.acquire(key, 'run-a', at(10));
    expect(await a.acquire(key, 'run-a', at(90))).toEqual({ acquired: true });
    setClock(at(30));
    expect(await b.acquire(key, 'run-b', at(90))).toEqual({ acquired: false, holder: 'run-a', expiresAt: at(90) });
  });

  it('names the table, the operation and the key when the table cannot be used', async () => {
    const store = storeOf(db.client, 'no-such-table');
    const key = freshKey();
    await expect(store.acquire(key, 'run-a', at(60))).rejects.toThrow(
      `DynamoDB table "no-such-table": acquiring the lease of "${key}" failed: ResourceNotFoundException`,
    );
    await expect(store.renew(key, 'run-a', at(60))).rejects.toThrow(/"no-such-table": renewing the lease/);
    await expect(store.release(key, 'run-a')).rejects.toThrow(/"no-such-table": releasing the lease/);
  });

  it('refuses to treat an item without holder or expiry as a lease', async () => {
    const key = freshKey();
    await db.client.send(
      new PutItemCommand({ TableName: db.tableName, Item: { pk: { S: key }, holder: { S: 'someone' } } }),
    );
    await expect(storeOf().acquire(key, 'run-a', at(60))).rejects.toThrow(
      `the item "${key}" is not a lease (holder "someone", expires_at null)`,
    );
  });
});

describe('createLeaseStore() (lib/deps)', () => {
  it('finds the table through the AWS SDK defaults, so AWS_ENDPOINT_URL_DYNAMODB points it at a local server', async () => {
    const env = { ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const key = freshKey();
      const store = createLeaseStore(db.tableName, { clock });
      expect(await store.acquire(key, 'run-a', at(60))).toEqual({ acquired: true });
      expect(await storeOf().acquire(key, 'run-b', at(60))).toMatchObject({ acquired: false, holder: 'run-a' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('LEASE_TABLE_ACTIONS', () => {
  it('names every DynamoDB action the lease and webhook stores call', async () => {
    const used = new Set<string>();
    // Records the action of each command sent (PutItemCommand -> dynamodb:PutItem), then sends it.
    const client = {
      send: ((command: { constructor: { name: string } }) => {
        used.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
        return db.client.send(command as never);
      }) as typeof db.client.send,
    };
    const leases = createDynamoDbLeaseStore({ client, tableName: db.tableName, clock });
    const key = freshKey();
    await leases.acquire(key, 'run-a', at(60));
    await leases.acquire(key, 'run-b', at(60));
    await leases.renew(key, 'run-a', at(90));
    await leases.release(key, 'run-a');
    const requests = createDynamoDbWebhookRequestStore({ client, tableName: db.tableName, clock });
    const signature = `sha256=${'e'.repeat(64)}`;
    await requests.claim(signature, 'run-a', at(35));
    await requests.claim(signature, 'run-b', at(35));
    await requests.complete(signature, 'run-a', { statusCode: 200, body: '{}' }, at(660));
    await requests.abandon(signature, 'run-a');
    expect([...used].sort()).toEqual([...LEASE_TABLE_ACTIONS].sort());
  });
});
