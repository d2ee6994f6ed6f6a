import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadSimulatorStateFile, Simulator, startSimulator } from '../../lib/simulator';
import { signWebhook } from '../../lib/webhook/signature';

/**
 * `npx serverless offline --stage local` (CONTRACT section 4) serves POST /review on a local
 * port, configured by environment variables alone, as the README's walkthrough runs it.
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
  let offline: ChildProcess | undefined;
  afterAll(async () => {
    if (offline && offline.exitCode === null) {
      offline.kill('SIGTERM');
      await once(offline, 'exit');
    }
    await sim?.stop();
  });

  it('serves POST /review: a signed request is reviewed, an unsigned one is refused', async () => {
    sim = await startSimulator({ state: await loadSimulatorStateFile(path.join(ROOT, 'policies/examples/demo-state.json')), credentials: { ak: AK, sk: SK } });
    const [httpPort, lambdaPort] = [await freePort(), await freePort()];
    offline = spawn(path.join(ROOT, 'node_modules/.bin/serverless'), ['offline', '--stage', 'local', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)], {
      cwd: ROOT,
      env: {
        PATH: `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '/tmp',
        VPCEP_ENDPOINT: sim.url,
        HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
        HUAWEICLOUD_SDK_AK: AK,
        HUAWEICLOUD_SDK_SK: SK,
        WEBHOOK_SECRET: SECRET,
        POLICY_FILE: 'policies/examples/demo-policy.yaml',
        // osls reads AWS settings even offline; nothing is sent to AWS.
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'offline',
        AWS_SECRET_ACCESS_KEY: 'offline',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    offline.stdout!.on('data', (d) => (output += d));
    offline.stderr!.on('data', (d) => (output += d));
    const started = Date.now();
    while (!output.includes('Server ready')) {
      if (offline.exitCode !== null) throw new Error(`serverless offline exited early:\n${output}`);
      if (Date.now() - started > 60_000) throw new Error(`serverless offline did not start in 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const url = `http://127.0.0.1:${httpPort}/review`;
    const body = JSON.stringify({ service_id: '4189d3c2-8882-4871-a3c2-d380272eed88' });
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-vpcep-timestamp': ts, 'x-vpcep-signature': signWebhook(SECRET, ts, body) } });
    expect(signed.status).toBe(200);
    const answer = (await signed.json()) as { run_id: string; actions: { type: string; outcome: string }[] };
    expect(answer.actions.map((a) => `${a.type} ${a.outcome}`)).toContain('connection.accept succeeded');

    const before = sim.log().length;
    const unsigned = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    expect(sim.log().length).toBe(before);
  }, 90_000);
});
