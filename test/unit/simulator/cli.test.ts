import { Command } from 'commander';
import { PassThrough } from 'node:stream';
import { simulatorCommand } from '../../../lib/cli/commands/simulator';
import { createCliContext } from '../../../lib/cli/context';
import { signRequest } from '../../../lib/vpcep/sign';

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

  it('refuses --ak without --sk', async () => {
    const ctx = createCliContext({ env: {}, stdout: new PassThrough(), stderr: new PassThrough() });
    const program = new Command('vpcep-approver').exitOverride();
    simulatorCommand(() => Promise.resolve())(program, ctx);
    await expect(program.parseAsync(['simulator', '--ak', 'AK'], { from: 'user' })).rejects.toThrow(/--ak and --sk go together/);
  });
});
