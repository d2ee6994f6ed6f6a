import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';

import { simulatorCommand } from '../../../lib/cli/commands/simulator';
import { createCliContext } from '../../../lib/cli/context';
import { signRequest } from '../../../lib/vpcep/sign';
import { captureCli } from '../../support/capture';

describe('vpcep-approver simulator', () => {
  it('prints its base URL first, serves signed requests with the state file, and stops when told', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const ctx = createCliContext({ env: {}, stdout, stderr });
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const program = new Command('vpcep-approver').exitOverride();
    simulatorCommand(() => stopped)(program, ctx);
    const running = program.parseAsync(
      ['simulator', '--state', 'policies/examples/demo-state.json', '--ak', 'AK', '--sk', 'SK'],
      { from: 'user' },
    );
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const url = out.split('\n')[0]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const target = `${url}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/vpc-endpoint-services`;
    const signed = await fetch(target, {
      headers: signRequest({ method: 'GET', url: target, headers: {} }, { ak: 'AK', sk: 'SK' }),
    });
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as { total_count: number }).total_count).toBe(3);
    expect((await fetch(target)).status).toBe(401);
    release();
    await running;
    await expect(fetch(target)).rejects.toThrow();
  });

  function start(args: string[], env: Record<string, string> = {}) {
    const { ctx, out, err } = captureCli(env);
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const program = new Command('vpcep-approver').exitOverride();
    program.configureOutput({ writeOut: (t) => ctx.stdout.write(t), writeErr: (t) => ctx.stderr.write(t) });
    simulatorCommand(() => stopped)(program, ctx);
    const running = program.parseAsync(['simulator', ...args], { from: 'user' });
    let failed: Error | undefined;
    running.catch((e: unknown) => (failed = e instanceof Error ? e : new Error(String(e))));
    return {
      running,
      release,
      out,
      err,
      async url() {
        while (!out().includes('\n')) {
          if (failed !== undefined) throw failed;
          await new Promise((r) => setTimeout(r, 10));
        }
        return out().split('\n')[0]!;
      },
    };
  }

  it('says which port is taken when it is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(start(['--port', String(port)]).running).rejects.toThrow(
        `port ${port} is already in use on 127.0.0.1`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('injects the faults given on the command line', async () => {
    const sim = start([
      '--state',
      'policies/examples/demo-state.json',
      '--error-rate',
      '1',
      '--latency',
      '0',
      '--fault-seed',
      '7',
    ]);
    const target = `${await sim.url()}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/vpc-endpoint-services`;
    const res = await fetch(target);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error_code: 'EndPoint.0001' });
    expect(sim.err()).toContain('faults: error rate 1, latency 0 ms, seed 7');
    sim.release();
    await sim.running;
  });

  it('answers over the rate limit with the gateway throttling error', async () => {
    const sim = start(['--rate-limit', '1', '--throttle-rate', '0']);
    const target = `${await sim.url()}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/vpc-endpoint-services`;
    const statuses: number[] = [];
    // Twenty requests in a row do not each get a one-second window of their own: some are over the limit.
    for (let i = 0; i < 20; i++) statuses.push((await fetch(target)).status);
    expect(statuses).toContain(429);
    sim.release();
    await sim.running;
  });

  it('limits one operation with --route-limit beside a shared --rate-limit per minute, naming each limit', async () => {
    const sim = start([
      '--state',
      'policies/examples/demo-state.json',
      '--rate-limit',
      '20/minute',
      '--route-limit',
      'listServices=1/minute',
      '--count-refused',
    ]);
    const base = `${await sim.url()}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
    const statuses = [];
    for (const path of ['/vpc-endpoint-services', '/vpc-endpoint-services', '/quotas'])
      statuses.push((await fetch(`${base}${path}`)).status);
    expect(statuses).toEqual([200, 429, 200]);
    expect(await (await fetch(`${base}/vpc-endpoint-services`)).json()).toEqual({
      error_code: 'APIGW.0308',
      error_msg: 'The throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 minute',
    });
    expect(sim.err()).toContain(
      'faults: rate limit 20 a minute shared by all operations, route limits listServices 1 a minute, refused requests counted',
    );
    sim.release();
    await sim.running;
  });

  it.each([
    [['--error-rate', '2'], /--error-rate.*"2" is not a rate/],
    [['--throttle-rate', 'x'], /--throttle-rate.*"x" is not a rate/],
    [['--rate-limit', '0'], /--rate-limit "0" is not a limit: a positive integer of requests/],
    [['--rate-limit', '5/hour'], /--rate-limit "5\/hour" is not a limit/],
    [
      ['--route-limit', 'listServices=5'],
      /--route-limit "listServices=5" is not OPERATION=N\/second or OPERATION=N\/minute/,
    ],
    [
      ['--route-limit', 'approve=5/second'],
      /is not OPERATION=N.*OPERATION one of listServices, createService, .*getQuotas\)/,
    ],
    [
      ['--route-limit', 'listServices=1/second', '--route-limit', 'listServices=2/minute'],
      /--route-limit gives listServices more than one limit: give one per operation/,
    ],
    [['--count-refused'], /--count-refused goes with --rate-limit or --route-limit/],
    [['--latency', '-5'], /--latency.*"-5" is not a duration/],
    [['--fault-seed', '1.5'], /--fault-seed.*"1.5" is not an integer/],
  ])('refuses %j', async (args, message) => {
    // The UsageError the program prints as `error: ...` (test/unit/cli/options.test.ts).
    await expect(start(args).running).rejects.toThrow(message);
  });

  it('documents the fault options in --help', async () => {
    const sim = start(['--help']);
    await expect(sim.running).rejects.toThrow();
    for (const option of [
      '--fault-seed <n>',
      '--error-rate <r>',
      '--throttle-rate <r>',
      '--inject-on <which>',
      '--rate-limit <n[/unit]>',
      '--route-limit <operation=n/unit>',
      '--count-refused',
      '--retry-after <s>',
      '--latency <ms>',
      '--sk-file <path>',
      'VPCEP_SIMULATOR_SK',
    ])
      expect(sim.out()).toContain(option);
  });

  it('refuses --ak without --sk', async () => {
    const ctx = createCliContext({ env: {}, stdout: new PassThrough(), stderr: new PassThrough() });
    const program = new Command('vpcep-approver').exitOverride();
    simulatorCommand(() => Promise.resolve())(program, ctx);
    await expect(program.parseAsync(['simulator', '--ak', 'AK'], { from: 'user' })).rejects.toThrow(
      /--ak and its secret key go together/,
    );
  });

  async function signedStatus(url: string, sk: string): Promise<number> {
    const target = `${url}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/vpc-endpoint-services`;
    return (
      await fetch(target, { headers: signRequest({ method: 'GET', url: target, headers: {} }, { ak: 'AK', sk }) })
    ).status;
  }

  it('takes the secret key from --sk-file or VPCEP_SIMULATOR_SK, so that ps does not show it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcep-sk-'));
    const file = join(dir, 'sk');
    await writeFile(file, 'file-secret\n', { mode: 0o600 });
    for (const [args, env, sk] of [
      [['--ak', 'AK', '--sk-file', file], {}, 'file-secret'],
      [['--ak', 'AK'], { VPCEP_SIMULATOR_SK: 'env-secret' }, 'env-secret'],
    ] as const) {
      const sim = start(['--state', 'policies/examples/demo-state.json', ...args], { ...env });
      const url = await sim.url();
      expect(await signedStatus(url, sk)).toBe(200);
      expect(await signedStatus(url, 'other')).toBe(401);
      expect(sim.err()).not.toContain(sk);
      sim.release();
      await sim.running;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a secret key given twice, and an unreadable --sk-file naming it', async () => {
    const twice = start(['--ak', 'AK', '--sk', 'a'], { VPCEP_SIMULATOR_SK: 'b' });
    await expect(twice.running).rejects.toThrow('the secret key is given more than once (--sk, VPCEP_SIMULATOR_SK)');
    const missing = start(['--ak', 'AK', '--sk-file', '/nonexistent/sk']);
    await expect(missing.running).rejects.toThrow('--sk-file /nonexistent/sk: cannot read it (ENOENT)');
  });

  it('sends Retry-After with the rate limit only when asked, and injects faults on writes only with --inject-on write', async () => {
    const sim = start([
      '--state',
      'policies/examples/demo-state.json',
      '--rate-limit',
      '1',
      '--retry-after',
      '2',
      '--error-rate',
      '1',
      '--inject-on',
      'write',
    ]);
    const base = `${await sim.url()}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
    const read = await fetch(`${base}/vpc-endpoint-services`);
    expect(read.status).toBe(200);
    const limited = await fetch(`${base}/vpc-endpoint-services`);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    expect(sim.err()).toContain(
      'rate limit 1 a second shared by all operations, Retry-After 2 s, errors and throttling on writes only',
    );
    sim.release();
    await sim.running;
  });
});
