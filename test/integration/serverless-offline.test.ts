import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';

import { loadSimulatorStateFile, Simulator, startSimulator } from '../../lib/simulator';
import { signWebhook } from '../../lib/webhook/signature';
import { apiEnv } from '../support/simulator';
import { LocalDynamoDb, startLocalDynamoDb } from './support/dynamodb-server';

/**
 * `npx serverless offline --stage local` (CONTRACT section 4) serves POST /review on a local
 * port, configured by environment variables alone, as the README's walkthrough runs it, with
 * the lease table on a local DynamoDB-compatible server (dynalite).
 */
const ROOT = path.resolve(__dirname, '../..');
const AK = 'OFFLINEAK00000000001';
const SK = 'offline-secret-key';
const SECRET = 'offline-webhook-secret';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('serverless offline --stage local', () => {
  let sim: Simulator;
  let db: LocalDynamoDb;
  let offline: ChildProcess | undefined;
  let output = '';
  let url: string;
  // One instance for every test here: it takes seconds to start, and its worker threads are slow on two cores.
  beforeAll(async () => {
    sim = await startSimulator({
      state: await loadSimulatorStateFile(path.join(ROOT, 'policies/examples/demo-state.json')),
      credentials: { ak: AK, sk: SK },
    });
    db = await startLocalDynamoDb();
    const [httpPort, lambdaPort] = [await freePort(), await freePort()];
    offline = spawn(
      path.join(ROOT, 'node_modules/.bin/serverless'),
      ['offline', '--stage', 'local', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
      {
        cwd: ROOT,
        env: {
          PATH: `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
          HOME: process.env.HOME ?? '/tmp',
          ...apiEnv(sim, { ak: AK, sk: SK }),
          WEBHOOK_SECRET: SECRET,
          POLICY_FILE: 'policies/examples/demo-policy.yaml',
          // The lease table on dynalite: webhook requests are idempotent across the worker threads.
          VPCEP_LEASE_TABLE: db.tableName,
          AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
          // osls reads AWS settings even offline; nothing is sent to AWS (DynamoDB goes to dynalite).
          AWS_REGION: 'eu-central-1',
          AWS_ACCESS_KEY_ID: 'offline',
          AWS_SECRET_ACCESS_KEY: 'offline',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    offline.stdout!.on('data', (d) => (output += d));
    offline.stderr!.on('data', (d) => (output += d));
    const started = Date.now();
    while (!output.includes('Server ready')) {
      if (offline.exitCode !== null) throw new Error(`serverless offline exited early:\n${output}`);
      if (Date.now() - started > 60_000) throw new Error(`serverless offline did not start in 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    url = `http://127.0.0.1:${httpPort}/review`;
  }, 90_000);
  afterAll(async () => {
    if (offline && offline.exitCode === null) {
      offline.kill('SIGTERM');
      await once(offline, 'exit');
    }
    await sim?.stop();
    await db?.stop();
  });

  const post = (body: string, ts: string) =>
    fetch(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-vpcep-timestamp': ts,
        'x-vpcep-signature': signWebhook(SECRET, ts, body),
      },
    });

  it('serves POST /review: a signed request is reviewed, an unsigned one is refused', async () => {
    const body = JSON.stringify({ service_id: '4189d3c2-8882-4871-a3c2-d380272eed88' });
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = await post(body, ts);
    expect(signed.status).toBe(200);
    const answer = (await signed.json()) as { run_id: string; actions: { type: string; outcome: string }[] };
    expect(answer.actions.map((a) => `${a.type} ${a.outcome}`)).toContain('connection.accept succeeded');

    const before = sim.log().length;
    const unsigned = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    expect(sim.log().length).toBe(before);
  }, 60_000);

  it('reviews 20 concurrent copies of one signed request once (the lease table): the rest get 409 or the first answer', async () => {
    // analytics: the sweep replaces its "*" whitelist record by the allowed partner's (two actions).
    const body = JSON.stringify({ service_id: '5133655d-0e28-4090-b669-13f87b355c78' });
    const ts = String(Math.floor(Date.now() / 1000));
    const mutationsBefore = sim.log().filter((e) => e.method !== 'GET').length;
    const runsBefore = auditEvents(output).filter((e) => e.type === 'vpcep.run.completed').length;
    // Slower API calls keep the first review running while its copies arrive. (On two cores the
    // worker threads that serve the copies start so slowly that most copies get the first answer.)
    sim.setFaults({ latencyMs: 150 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await post(body, ts);
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
      }),
    );
    expect(answers.every((a) => a.status === 200 || a.status === 409 || a.status === 401)).toBe(true);
    const oks = answers.filter((a) => a.status === 200);
    expect(oks.length).toBeGreaterThanOrEqual(1);
    expect(new Set(oks.map((a) => a.body)).size).toBe(1);
    const { run_id: runId, actions } = JSON.parse(oks[0]!.body) as {
      run_id: string;
      actions: { type: string; outcome: string }[];
    };
    expect(actions.map((a) => `${a.type} ${a.outcome}`).sort()).toEqual([
      'whitelist.add succeeded',
      'whitelist.remove succeeded',
    ]);
    for (const busy of answers.filter((a) => a.status === 409)) {
      expect(JSON.parse(busy.body)).toMatchObject({ error: 'in_progress' });
      expect(Number(busy.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // One review: the API changed twice, and the function's audit trail (stderr, no queue here)
    // gained one run.completed, from the run that answered.
    expect(sim.log().filter((e) => e.method !== 'GET').length - mutationsBefore).toBe(2);
    const runs = auditEvents(output).filter((e) => e.type === 'vpcep.run.completed');
    expect(runs.slice(runsBefore).map((e) => e.data.run_id)).toEqual([runId]);
  }, 60_000);
});

/** The audit events the function printed (one JSON object per line, among the plugin's own output). */
function auditEvents(text: string): { type: string; data: { run_id?: string } }[] {
  return text
    .split('\n')
    .map((line) => line.slice(line.indexOf('{')))
    .filter((line) => line.startsWith('{"specversion"'))
    .map((line) => JSON.parse(line) as { type: string; data: { run_id?: string } });
}
