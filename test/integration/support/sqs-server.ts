import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * A real SQS-compatible server (fauxqs) on 127.0.0.1, in a child process so that a test can
 * stop it mid-run like a queue outage. fauxqs is ESM on Node >= 22.5: the child runs on the
 * same (pinned) Node as the tests.
 */
export interface LocalSqs {
  endpoint: string;
  client(): SQSClient;
  createQueue(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const script = `
    const { startFauxqs } = await import('fauxqs');
    const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
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
    const c = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createQueue(name) {
      const attributes: Record<string, string> = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
      const out = await client().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return out.QueueUrl!;
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
