import { Command } from 'commander';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
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
    const running = program.parseAsync(['simulator', '--state', 'policies/examples/demo-state.json', '--ak', 'AK', '--sk', 'SK'], { from: 'user' });
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const url = out.split('\n')[0]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const target = `${url}/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/vpc-endpoint-services`;
    const signed = await fetch(target, { headers: signRequest({ method: 'GET', url: target, headers: {} }, { ak: 'AK', sk: 'SK' }) });
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as { total_count: number }).total_count).toBe(3);
    expect((await fetch(target)).status).toBe(401);
    release();
    await running;
    await expect(fetch(target)).rejects.toThrow();
  });

  function start(args: string[]) {
    const { ctx, out, err } = captureCli();
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const program = new Command('vpcep-approver').exitOverride();
    program.configureOutput({ writeOut: (t) => ctx.stdout.write(t), writeErr: (t) => ctx.stderr.write(t) });
    simulatorCommand(() => stopped)(program, ctx);
    const running = program.parseAsync(['simulator', ...args], { from: 'user' });
    let failed: unknown;
    running.catch((e: unknown) => (failed = e ?? 'failed'));
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
      await expect(start(['--port', String(port)]).running).rejects.toThrow(`port ${port} is already in use on 127.0.0.1`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('injects the faults given on the command line', async () => {
    const sim = start(['--state', 'policies/examples/demo-state.json', '--error-rate', '1', '--latency', '0', '--fault-seed', '7']);
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

  it.each([
    [['--error-rate', '2'], /--error-rate.*"2" is not a rate/],
    [['--throttle-rate', 'x'], /--throttle-rate.*"x" is not a rate/],
    [['--rate-limit', '0'], /--rate-limit.*"0" is not a positive integer/],
    [['--latency', '-5'], /--latency.*"-5" is not a duration/],
    [['--fault-seed', '1.5'], /--fault-seed.*"1.5" is not an integer/],
  ])('refuses %j', async (args, message) => {
    const sim = start(args);
    await expect(sim.running).rejects.toThrow();
    expect(sim.err()).toMatch(message);
  });

  it('documents the fault options in --help', async () => {
    const sim = start(['--help']);
    await expect(sim.running).rejects.toThrow();
    for (const option of ['--fault-seed <n>', '--error-rate <r>', '--throttle-rate <r>', '--rate-limit <n>', '--latency <ms>']) expect(sim.out()).toContain(option);
  });

  it('refuses --ak without --sk', async () => {
    const ctx = createCliContext({ env: {}, stdout: new PassThrough(), stderr: new PassThrough() });
    const program = new Command('vpcep-approver').exitOverride();
    simulatorCommand(() => Promise.resolve())(program, ctx);
    await expect(program.parseAsync(['simulator', '--ak', 'AK'], { from: 'user' })).rejects.toThrow(/--ak and --sk go together/);
  });
});
