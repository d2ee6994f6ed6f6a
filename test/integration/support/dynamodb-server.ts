import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

// dynalite ships no types: a function returning a node http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/**
 * A real DynamoDB-compatible server (dynalite, in memory) on 127.0.0.1 at a free port, with the
 * lease table created as serverless.yml defines it: key attribute `pk` (string), on demand.
 * dynalite runs in the test's process; it answers from the event loop, so anything that leaves
 * the loop free (an in-process handler, a child process) can use it.
 */
export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** A client for the server (dummy credentials; closed by stop()). */
  client: DynamoDBClient;
  tableName: string;
  /** Another client, e.g. one per simulated container (closed by stop()). */
  newClient(): DynamoDBClient;
  stop(): Promise<void>;
}

/** The dummy credentials and region the clients of the local server use. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

export async function startLocalDynamoDb(options: { tableName?: string } = {}): Promise<LocalDynamoDb> {
  const tableName = options.tableName ?? 'vpcep-approver-test-leases';
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = new DynamoDBClient({
      endpoint,
      region: LOCAL_AWS_ENV.AWS_REGION,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    endpoint,
    client,
    tableName,
    newClient,
    async stop() {
      clients.forEach((c) => c.destroy());
      // Keep-alive sockets of other processes (serverless offline) would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * A local DynamoDB for the test file: started before its tests, stopped after them. The object
 * returned stands for it from beforeAll on.
 */
export function localDynamoDb(options: { useForSdkDefaults?: boolean } = {}): LocalDynamoDb {
  let db: LocalDynamoDb | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    if (!options.useForSdkDefaults) return;
    for (const [k, v] of Object.entries({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await db?.stop();
  });
  const started = () => {
    if (!db) throw new Error('localDynamoDb: used before beforeAll');
    return db;
  };
  return {
    get endpoint() {
      return started().endpoint;
    },
    get client() {
      return started().client;
    },
    get tableName() {
      return started().tableName;
    },
    newClient: () => started().newClient(),
    stop: () => started().stop(),
  };
}

/**
 * localDynamoDb() with the AWS SDK's defaults (region, credentials, endpoint) pointed at it while
 * the test file runs, as the deployed functions' DynamoDB client takes them.
 */
export const localDynamoDbForSdkDefaults = (): LocalDynamoDb => localDynamoDb({ useForSdkDefaults: true });
