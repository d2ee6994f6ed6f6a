import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { AuditEvent } from '../../../lib/audit/event';

/**
 * A real SQS-compatible server (fauxqs) on 127.0.0.1, in a child process so that a test can
 * stop it mid-run like a queue outage. fauxqs is ESM on Node >= 22.5: the child runs on the
 * same (pinned) Node as the tests.
 */
export interface LocalSqs {
  endpoint: string;
  port: number;
  client(): SQSClient;
  createQueue(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The settings that send a CLI run's (or a function's) audit events to `queueUrl` on the local
 * server: the queue, and the AWS SDK's endpoint, region and dummy credentials for SQS.
 */
export function auditQueueEnv(sqs: LocalSqs, queueUrl: string): Record<string, string> {
  return {
    AUDIT_QUEUE_URL: queueUrl,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}

export interface LocalSqsOptions {
  /** Fixed port (a restart reuses the port of the first start); default any free port. */
  port?: number;
  /** Keep queues and messages in SQLite here, so a restarted server still has them. */
  dataDir?: string;
}

export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const settings = JSON.stringify({
    port: options.port ?? 0,
    host: '127.0.0.1',
    logger: false,
    ...(options.dataDir && { dataDir: options.dataDir }),
  });
  const script = `
    const { startFauxqs } = await import('fauxqs');
    const server = await startFauxqs(${settings});
    console.log(server.address);
    process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
  `;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {
    // Run from the project root so the child resolves the project's fauxqs.
    cwd: resolve(__dirname, '../../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`fauxqs exited with ${code}`))),
  ])) as [string];
  const endpoint = line.trim().replace('localhost', '127.0.0.1');
  const clients: SQSClient[] = [];
  const client = () => {
    const c = new SQSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
    });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    client,
    async createQueue(name) {
      const attributes: Record<string, string> = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
      await client().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      // fauxqs names queues sqs.<region>.<host>:<port>/..., which is no valid host with an IP
      // address; it also serves the path form on its own address, which works everywhere.
      return `${endpoint}/000000000000/${name}`;
    },
    async stop() {
      clients.forEach((c) => c.destroy());
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** Reads every message of a queue back (until it is empty), deleting as it goes. */
export async function drain(
  client: SQSClient,
  queueUrl: string,
): Promise<{ body: AuditEvent; attributes: Record<string, string | undefined>; groupId?: string }[]> {
  const out: { body: AuditEvent; attributes: Record<string, string | undefined>; groupId?: string }[] = [];
  for (let empty = 0; empty < 2;) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    const msgs = res.Messages ?? [];
    if (msgs.length === 0) {
      empty++;
      continue;
    }
    for (const m of msgs) {
      out.push({
        body: JSON.parse(m.Body!),
        attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
        groupId: m.Attributes?.MessageGroupId,
      });
    }
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return out;
}
