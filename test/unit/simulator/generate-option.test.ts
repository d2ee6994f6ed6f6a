import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';

import { simulatorCommand } from '../../../lib/cli/commands/simulator';
import { createCliContext } from '../../../lib/cli/context';
import { generateState, loadSimulatorStateFile, parseGenerateSpec } from '../../../lib/simulator';

describe('parseGenerateSpec (simulator --generate services=N,pending=M[,seed=S])', () => {
  it('gives N services with M pending connections each, in the default project of a state file', () => {
    const state = generateState(parseGenerateSpec('services=3,pending=4,seed=9'));
    expect(state.project_id).toBe('0a1b2c3d4e5f60718293a4b5c6d7e8f9');
    expect(state.services.map((s) => s.connections.map((c) => c.status))).toEqual(
      Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => 'pendingAcceptance')),
    );
    expect(generateState(parseGenerateSpec('seed=9, pending=4, services=3'))).toEqual(state);
    expect(generateState(parseGenerateSpec('services=3,pending=4,seed=10'))).not.toEqual(state);
  });

  it.each([
    ['services=3', 'pending is missing'],
    ['services=3,pending=1,servcies=2', 'unknown key servcies'],
    ['services=0,pending=1', 'services=0 is out of range (1 to 100000)'],
    ['services=3,pending=-1', 'cannot read "pending=-1"'],
    [
      'services=100000,pending=10000',
      'services x pending = 1000000000 connections, more than the 2000000 the simulator holds in memory',
    ],
    ['services=3,pending=1,pending=2', 'pending is given twice'],
    ['200', 'cannot read "200"; expected services=N,pending=M[,seed=S]'],
  ])('refuses %j, saying %j', (spec, message) => {
    expect(() => parseGenerateSpec(spec)).toThrow(message);
  });
});

describe('vpcep-approver simulator --generate / --save', () => {
  const run = (args: string[]) => {
    const ctx = createCliContext({ env: {}, stdout: new PassThrough(), stderr: new PassThrough() });
    const program = new Command('vpcep-approver').exitOverride();
    simulatorCommand(() => Promise.resolve())(program, ctx);
    return program.parseAsync(['simulator', ...args], { from: 'user' });
  };

  it('refuses --generate with --state, and --save without --generate', async () => {
    await expect(
      run(['--generate', 'services=1,pending=1', '--state', 'policies/examples/demo-state.json']),
    ).rejects.toThrow('--state and --generate both give the starting state: give one');
    await expect(run(['--save', 'x.json'])).rejects.toThrow('--save goes with --generate');
  });

  it('--save writes the generated state as a state file that --state reads back as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcep-generate-'));
    try {
      const file = join(dir, 'nested', 'state.json');
      await run(['--generate', 'services=2,pending=3,seed=5', '--save', file]);
      expect(await loadSimulatorStateFile(file)).toEqual(
        generateState(parseGenerateSpec('services=2,pending=3,seed=5')),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
