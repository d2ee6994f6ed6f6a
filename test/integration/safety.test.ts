import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MAX_POLICY_BYTES } from '../../lib/policy/load';
import { Simulator, SimulatorStateInput, startSimulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { runCliProcess, spawnCli } from '../support/cli-process';
import { OWNER, PARTNER } from '../support/ids';
import { ApplyJson, parseJson, PlanJson } from '../support/json';
import { apiEnv } from '../support/simulator';

/**
 * The safety rails of `apply`, end to end against the simulator: the brake, the revocation cap,
 * the audit destination proven first, the truth told when the trail fails mid-run, an
 * interrupted run, and bad input refused before any request.
 */
const AK = 'TESTAKSAFETY00000001';
const SK = 'test-secret-key-safety';
const PROJECT = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';

const hex = (n: number, width = 32) => n.toString(16).padStart(width, '0');
const serviceId = (i: number) => `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`;

/** `services` services named svc-N, each with `accepted` accepted connections from its own partner domains and `pending` pending ones from PARTNER. */
function world(services: number, accepted: number, pending = 0): SimulatorStateInput {
  return {
    project_id: PROJECT,
    domain_id: OWNER,
    services: Array.from({ length: services }, (_, s) => ({
      id: serviceId(s + 1),
      service_name: `svc-${s + 1}`,
      approval_enabled: true,
      connections: [
        ...Array.from({ length: accepted }, (_, c) => ({
          id: `ep-${s + 1}-a${c}`,
          domain_id: hex(1000 + s * 100 + c),
          status: 'accepted' as const,
          created_at: '2026-10-01T00:00:00Z',
        })),
        ...Array.from({ length: pending }, (_, c) => ({
          id: `ep-${s + 1}-p${c}`,
          domain_id: PARTNER,
          status: 'pendingAcceptance' as const,
          created_at: '2026-10-02T00:00:00Z',
        })),
      ],
      permissions: [],
    })),
  };
}

/** Every service's partners allowed (`allowed`), or none of them, with revocation of the unlisted on. */
function policy(allowedDomains: string[]): string {
  return `
version: 1
defaults:
  revoke: unlisted
  whitelist: off
services:
  - rule: all
    match: { name: "svc-*" }
    allow:
      - domain: ${PARTNER}
${allowedDomains.map((d) => `      - domain: "${d}"`).join('\n')}
`;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-safety-'));
});

const env = (sim: Simulator, extra: Record<string, string> = {}) => ({
  ...apiEnv(sim, { ak: AK, sk: SK }),
  ...extra,
});
const mutations = (sim: Simulator) => sim.log().filter((e) => e.mutated);
const lines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; subject: string; data: Record<string, unknown> });
async function writePolicy(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('apply: the brake and the revocation cap', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it('a policy change that would revoke 50 partners revokes none and fails; --allow-revocations 50 carries it out', async () => {
    sim = await startSimulator({ state: world(10, 5), credentials: { ak: AK, sk: SK } });
    const emptied = await writePolicy('emptied.yaml', policy([]));
    const audit = join(dir, 'cap.jsonl');
    const held = await runCaptured(
      ['apply', '--policy', emptied, '--scope', 'compliance', '--audit-file', audit, '--json'],
      env(sim),
    );
    expect(held.code).toBe(1);
    expect(held.err).toMatch(
      /revocations held: the run would revoke 50 connections or whitelist records, more than VPCEP_MAX_REVOCATIONS 10/,
    );
    expect(mutations(sim)).toEqual([]);
    const actions = parseJson<ApplyJson>(held.out).actions;
    expect(actions).toHaveLength(50);
    expect(actions.every((a) => a.type === 'connection.reject' && a.outcome === 'planned' && a.held === true)).toBe(
      true,
    );
    const events = await lines(audit);
    expect(
      events.filter(
        (e) => e.type === 'vpcep.connection.reject' && e.data.outcome === 'planned' && e.data.held === true,
      ),
    ).toHaveLength(50);
    expect(events.find((e) => e.type === 'vpcep.run.completed')!.data).toMatchObject({ revocations_held: 50 });

    const lifted = await runCaptured(
      [
        'apply',
        '--policy',
        emptied,
        '--scope',
        'compliance',
        '--audit-file',
        audit,
        '--allow-revocations',
        '50',
        '--json',
      ],
      env(sim),
    );
    expect(lifted.err).toBe('');
    expect(lifted.code).toBe(0);
    expect(mutations(sim)).toHaveLength(50);
    expect(
      sim
        .state()
        .services.flatMap((s) => s.connections)
        .every((c) => c.status === 'rejected'),
    ).toBe(true);
  });

  it('plan tells the truth about the cap: a warning not a failure, held actions marked, --allow-revocations previews a lifted cap', async () => {
    sim = await startSimulator({ state: world(10, 5), credentials: { ak: AK, sk: SK } });
    const emptied = await writePolicy('plan-emptied.yaml', policy([]));
    const plan = (args: string[], extra: Record<string, string> = {}) =>
      runCaptured(['plan', '--policy', emptied, '--scope', 'compliance', ...args], env(sim, extra));

    const text = await plan([]);
    expect(text.code).toBe(0);
    expect(text.err).toMatch(
      /^warning: apply would hold 50 revocation\(s\), carry out the rest of the plan and fail: the run would revoke 50 connections or whitelist records, more than VPCEP_MAX_REVOCATIONS 10/m,
    );
    expect(text.err).not.toMatch(/^error:/m);
    expect(`${text.out}${text.err}`).not.toMatch(/none was carried out/);
    expect(text.out).toMatch(/^ACTION\s+SERVICE\s+TARGET\s+DOMAIN\s+CAP\s+RULE/m);
    expect(text.out).toMatch(/revocations held: 50/);

    expect((await plan(['--detailed-exitcode'])).code).toBe(2);
    const json = await plan(['--json']);
    expect(json.code).toBe(0);
    const held = parseJson<PlanJson>(json.out).actions;
    expect(held).toHaveLength(50);
    expect(held.every((a) => 'held' in a && a.held === true && !('outcome' in a))).toBe(true);

    // A lifted cap previewed.
    const lifted = await plan(['--json', '--allow-revocations', '50']);
    expect(lifted.code).toBe(0);
    expect(lifted.err).toBe('');
    expect(parseJson<PlanJson>(lifted.out).actions.filter((a) => 'held' in a)).toEqual([]);
    expect(mutations(sim)).toEqual([]);
  });

  it('plan holds what VPCEP_MAX_REVOCATIONS would hold, not what a default of its own would', async () => {
    sim = await startSimulator({ state: world(10, 5), credentials: { ak: AK, sk: SK } });
    // One revocation a service (its first partner is no longer allowed): 10 in all, no service losing half.
    const oneEach = await writePolicy(
      'plan-one-each.yaml',
      policy(Array.from({ length: 10 }, (_, s) => [1, 2, 3, 4].map((c) => hex(1000 + s * 100 + c))).flat()),
    );
    const plan = (extra: Record<string, string>) =>
      runCaptured(['plan', '--policy', oneEach, '--scope', 'compliance', '--json'], env(sim, extra));
    const heldOf = (out: string) => parseJson<PlanJson>(out).actions.filter((a) => 'held' in a).length;
    const nine = await plan({ VPCEP_MAX_REVOCATIONS: '9' });
    expect(nine.code).toBe(0);
    expect(heldOf(nine.out)).toBe(10);
    expect(nine.err).toMatch(/more than VPCEP_MAX_REVOCATIONS 9/);
    const ten = await plan({});
    expect(ten.err).toBe('');
    expect(heldOf(ten.out)).toBe(0);
  });

  it('holds the revocations of a service that would lose more than half of its accepted connections', async () => {
    sim = await startSimulator({ state: world(1, 3), credentials: { ak: AK, sk: SK } });
    const keepOne = await writePolicy('keep-one.yaml', policy([hex(1000)]));
    const result = await runCaptured(
      ['apply', '--policy', keepOne, '--scope', 'compliance', '--audit-file', join(dir, 'share.jsonl')],
      env(sim),
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/would revoke 2 of the 3 accepted connections of service .*, more than half/);
    expect(mutations(sim)).toEqual([]);
  });

  it.each(['*', 'iam:domain::*'])(
    'counts removing the wildcard %j once per domain it shuts out: held under VPCEP_MAX_REVOCATIONS=1, a sweep included',
    async (wildcard) => {
      const state = world(1, 20);
      state.services![0]!.permissions = [{ id: 'w-any', permission: wildcard }];
      sim = await startSimulator({ state, credentials: { ak: AK, sk: SK } });
      const file = await writePolicy(
        'no-wildcard.yaml',
        `version: 1\nservices:\n  - rule: all\n    match: { name: "svc-*" }\n    allow:\n      - domain: ${PARTNER}\n`,
      );
      const audit = join(dir, 'wildcard.jsonl');
      const apply = (extra: string[] = []) =>
        runCaptured(
          ['apply', '--policy', file, '--audit-file', audit, '--json', ...extra],
          env(sim, { VPCEP_MAX_REVOCATIONS: '1' }),
        );
      const held = await apply();
      expect(held.code).toBe(1);
      expect(held.err).toMatch(
        /the run would revoke 20 connections or whitelist records, more than VPCEP_MAX_REVOCATIONS 1/,
      );
      const removal = parseJson<ApplyJson>(held.out).actions.find((a) => a.type === 'whitelist.remove')!;
      expect(removal).toMatchObject({
        permission: wildcard,
        outcome: 'planned',
        held: true,
      });
      expect(sim.state().services[0]!.permissions.map((p) => p.permission)).toContain(wildcard);

      const lifted = await apply(['--allow-revocations', '20']);
      expect(lifted.code).toBe(0);
      expect(sim.state().services[0]!.permissions.map((p) => p.permission)).toEqual([`iam:domain::${PARTNER}`]);
    },
  );

  it('VPCEP_ENFORCE=false makes apply a dry run', async () => {
    sim = await startSimulator({ state: world(2, 0, 2), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('brake.yaml', policy([]));
    const audit = join(dir, 'brake.jsonl');
    const result = await runCaptured(
      ['apply', '--policy', file, '--audit-file', audit, '--json'],
      env(sim, { VPCEP_ENFORCE: 'false' }),
    );
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/VPCEP_ENFORCE=false: this is a dry run/);
    expect(mutations(sim)).toEqual([]);
    expect(parseJson<ApplyJson>(result.out).actions.map((a: { outcome: string }) => a.outcome)).toEqual([
      'planned',
      'planned',
      'planned',
      'planned',
    ]);
    expect((await lines(audit)).find((e) => e.type === 'vpcep.run.completed')!.data).toMatchObject({ dry_run: true });
  });
});

describe('apply: the audit trail', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it('refuses an audit file in a missing folder before any request', async () => {
    sim = await startSimulator({ state: world(1, 0, 2), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('probe.yaml', policy([]));
    const result = await runCaptured(
      ['apply', '--policy', file, '--audit-file', join(dir, 'no-such-folder', 'audit.jsonl')],
      env(sim),
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/apply refused before any call: cannot open the audit file .*no-such-folder.*ENOENT/);
    expect(sim.log()).toEqual([]);
  });

  it('refuses an audit queue that does not answer before any request', async () => {
    sim = await startSimulator({ state: world(1, 0, 2), credentials: { ak: AK, sk: SK } });
    const closed = await closedPort();
    const file = await writePolicy('probe-sqs.yaml', policy([]));
    const queue = `http://127.0.0.1:${closed}/000000000000/audit`;
    // A process of its own: the AWS SDK reads its settings from the real environment.
    const result = await runCliProcess(
      ['apply', '--policy', file],
      env(sim, {
        AUDIT_QUEUE_URL: queue,
        AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${closed}`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_MAX_ATTEMPTS: '1',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`apply refused before any call: cannot reach the audit queue ${queue}`);
    expect(sim.log()).toEqual([]);
  });

  it('when the trail fails mid-run, lists every action carried out with its outcome, names the audit failure and still closes the run', async () => {
    sim = await startSimulator({ state: world(6, 0, 5), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('full.yaml', policy([]));
    // /dev/full opens (so the probe passes) and refuses every write with ENOSPC.
    const result = await runCaptured(
      ['apply', '--policy', file, '--audit-file', '/dev/full', '--json', '--concurrency', '2', '--scope', 'compliance'],
      env(sim),
    );
    expect(result.code).toBe(1);
    const actions = parseJson<ApplyJson>(result.out).actions as { endpoint_id: string; outcome: string }[];
    const changed = mutations(sim);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(30); // it stopped: no action started after the trail failed
    expect(actions.filter((a) => a.outcome === 'succeeded')).toHaveLength(changed.length);
    expect(result.err).toMatch(/error: audit trail failed: audit sink file:\/dev\/full failed: .*ENOSPC/);
    expect(result.err).toMatch(/\d+ action\(s\) were carried out before it failed/);
    expect(result.err).not.toMatch(/deadline/);
    // Every action carried out has its event on stderr as a fallback line: nothing is lost.
    const fallback = result.err
      .split('\n')
      .filter((l) => l.startsWith('{"fallback":true'))
      .map((l) => JSON.parse(l) as { event: { type: string; data: { endpoint_id?: string } } });
    const recorded = new Set(
      fallback.filter((f) => f.event.type === 'vpcep.connection.accept').map((f) => f.event.data.endpoint_id),
    );
    for (const a of actions.filter((x) => x.outcome === 'succeeded')) expect(recorded.has(a.endpoint_id)).toBe(true);
    // The run's end is among them too.
    expect(fallback.slice(-2).map((f) => f.event.type)).toEqual(['vpcep.compliance.report', 'vpcep.run.completed']);
  });
});

describe('apply: interrupted', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it('on SIGINT records every change the API made, ends with run.completed marked interrupted, exits 130', async () => {
    sim = await startSimulator({ state: world(40, 0, 10), credentials: { ak: AK, sk: SK }, faults: { latencyMs: 15 } });
    const file = await writePolicy('interrupt.yaml', policy([]));
    const audit = join(dir, 'interrupted.jsonl');
    const { child, done } = spawnCli(
      ['apply', '--policy', file, '--audit-file', audit, '--concurrency', '4'],
      env(sim),
      { detached: true },
    );
    // Interrupt once a few dozen connections have been accepted, as a person's Ctrl-C would (the whole process group).
    while (sim.stats().mutations < 30) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child.pid!, 'SIGINT');
    const result = await done;

    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted \(SIGINT\)/);
    const accepted = sim
      .state()
      .services.flatMap((s) =>
        s.connections.filter((c) => c.status === 'accepted').map((c) => `${s.id}/connections/${c.id}`),
      );
    expect(accepted.length).toBeGreaterThanOrEqual(30);
    expect(accepted.length).toBeLessThan(400); // it did stop early
    const events = await lines(audit); // every line is valid JSON
    const succeeded = new Set(
      events
        .filter((e) => e.type === 'vpcep.connection.accept' && e.data.outcome === 'succeeded')
        .map((e) => e.subject),
    );
    for (const subject of accepted) expect(succeeded.has(subject)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'vpcep.run.completed',
      data: { interrupted: true, unfinished_reason: 'interrupted' },
    });
  });
});

describe('bad input, refused before any request', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it.each([['8x'], ['0'], ['65'], ['-1'], ['1e3']])('--concurrency %s', async (value) => {
    sim = await startSimulator({ state: world(1, 0, 1), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('c.yaml', policy([]));
    const result = await runCaptured(['plan', '--policy', file, '--concurrency', value], env(sim));
    expect(result.code).toBe(1);
    expect(result.err).toContain(`--concurrency ${JSON.stringify(value)} is not a whole number from 1 to 64`);
    expect(sim.log()).toEqual([]);
  });

  it('--allow-revocations that is not a count', async () => {
    sim = await startSimulator({ state: world(1, 0, 1), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('r.yaml', policy([]));
    const result = await runCaptured(
      ['apply', '--policy', file, '--audit-file', join(dir, 'r.jsonl'), '--allow-revocations', 'all'],
      env(sim),
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain('--allow-revocations "all" is not a whole number, 0 or more');
    expect(sim.log()).toEqual([]);
  });

  it('plan reads the configuration apply reads: a bad AUDIT_QUEUE_URL or VPCEP_ENFORCE fails both, before the policy is read', async () => {
    sim = await startSimulator({ state: world(1, 0, 1), credentials: { ak: AK, sk: SK } });
    const missing = join(dir, 'no-such-policy.yaml');
    for (const command of [['plan'], ['apply', '--audit-file', join(dir, 'q.jsonl')]])
      for (const [extra, message] of [
        [{ AUDIT_QUEUE_URL: 'not a url' }, 'AUDIT_QUEUE_URL: expected the URL of an SQS queue; got "not a url"'],
        [{ VPCEP_ENFORCE: 'yes' }, 'VPCEP_ENFORCE: expected true or false; got "yes"'],
      ] as const) {
        const result = await runCaptured([...command, '--policy', missing], env(sim, extra));
        expect([command[0], result.code, result.err]).toEqual([command[0], 1, `error: configuration: ${message}\n`]);
      }
    expect(sim.log()).toEqual([]);
  });

  it('VPCEP_ENFORCE that is empty, as one that says FALSE, naming the accepted values', async () => {
    sim = await startSimulator({ state: world(1, 0, 1), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('e.yaml', policy([]));
    for (const value of ['', 'FALSE']) {
      const result = await runCaptured(
        ['apply', '--policy', file, '--audit-file', join(dir, 'e.jsonl')],
        env(sim, { VPCEP_ENFORCE: value }),
      );
      expect(result.code).toBe(1);
      expect(result.err).toContain(`VPCEP_ENFORCE: expected true or false; got ${JSON.stringify(value)}`);
    }
    expect(sim.log()).toEqual([]);
  });

  it('a policy file over 1 MiB, with its size', async () => {
    sim = await startSimulator({ state: world(1, 0, 1), credentials: { ak: AK, sk: SK } });
    const big = await writePolicy('big.yaml', `${policy([])}\n# ${'x'.repeat(MAX_POLICY_BYTES)}\n`);
    const result = await runCaptured(['plan', '--policy', big], env(sim));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/policy file .*big\.yaml is \d+ bytes, over the limit of 1048576 bytes \(1 MiB\)/);
    expect(sim.log()).toEqual([]);
    const validated = await runCaptured(['validate', big, '--json']);
    expect(validated.code).toBe(1);
    expect(JSON.parse(validated.out)).toMatchObject({
      valid: false,
      errors: [{ message: expect.stringMatching(/over the limit/) }],
    });
  });
});

describe('a closed stdout', () => {
  let sim: Simulator;
  afterEach(async () => sim?.stop());

  it('`plan | head -1` ends quietly and `apply | head -1` still carries out and records every action', async () => {
    // Enough output (--json, 300 actions) that the pipe closes in the middle of it.
    sim = await startSimulator({ state: world(100, 0, 3), credentials: { ak: AK, sk: SK } });
    const file = await writePolicy('pipe.yaml', policy([]));
    for (const args of [
      ['plan', '--json'],
      ['apply', '--json', '--audit-file', join(dir, 'pipe.jsonl')],
    ]) {
      const { child, done } = spawnCli([...args, '--policy', file], env(sim));
      // Like `head -1`: read the first chunk, then close the pipe.
      child.stdout!.once('data', () => child.stdout!.destroy());
      const result = await done;
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/EPIPE|internal error|Unhandled/);
    }
    expect(mutations(sim)).toHaveLength(300);
    expect((await lines(join(dir, 'pipe.jsonl'))).filter((e) => e.type === 'vpcep.connection.accept')).toHaveLength(
      300,
    );
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
