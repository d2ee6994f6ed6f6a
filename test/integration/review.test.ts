import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Simulator, startSimulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { DENIED, OWNER, PARTNER, PAYMENTS as PAY, STRANGER } from '../support/ids';
import { ApplyJson, parseJson, PlanJson, readJsonLines } from '../support/json';
import {
  UNMANAGED_ANALYTICS as OTHER,
  CONTRACT_POLICY as POLICY,
  CONTRACT_PROJECT as PROJECT,
  contractScenario as scenario,
} from '../support/scenarios';
import { apiEnv } from '../support/simulator';

/**
 * plan / apply end to end: the real CLI, the real client, signed HTTP to the simulator.
 * The scenario has one of every decision of CONTRACT section 2 for a sweep.
 */
const AK = 'TESTAKREVIEW00000001';
const SK = 'test-secret-key-review';

/** The decisions the contract calls for in the scenario. */
const EXPECTED_ACTIONS = [
  ['connection.accept', 'ep-partner-1'],
  ['connection.reject', 'ep-partner-2'], // over_limit: reject (1 accepted + 1 accepted now = max 2)
  ['connection.reject', 'ep-denied'],
  ['whitelist.add', `iam:domain::${PARTNER}`],
  ['whitelist.remove', `iam:domain::${DENIED}`],
];

let dir: string;
let policyFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-review-'));
  policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, POLICY);
});

function cli(sim: Simulator, args: string[]) {
  return runCaptured(args, apiEnv(sim, { ak: AK, sk: SK }));
}

function statusOf(sim: Simulator, endpointId: string): string | undefined {
  for (const s of sim.state().services) for (const c of s.connections) if (c.id === endpointId) return c.status;
  return undefined;
}
const permissionsOf = (sim: Simulator, serviceId: string) =>
  sim
    .state()
    .services.find((s) => s.id === serviceId)!
    .permissions.map((p) => p.permission)
    .sort();
const mutations = (sim: Simulator) => sim.log().filter((e) => e.mutated);

describe('vpcep-approver apply / plan against the simulator', () => {
  let sim: Simulator;
  afterEach(async () => {
    await sim?.stop();
  });

  it('applies exactly the decisions of the contract, audits each, and does nothing the second time', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const auditFile = join(dir, 'sweep.jsonl');
    const first = await cli(sim, ['apply', '--policy', policyFile, '--audit-file', auditFile, '--json']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const result = parseJson<ApplyJson>(first.out);
    expect(
      result.actions.map((a: { type: string; endpoint_id?: string; permission?: string }) => [
        a.type,
        a.endpoint_id ?? a.permission,
      ]),
    ).toEqual(EXPECTED_ACTIONS);
    expect(result.actions.every((a: { outcome: string }) => a.outcome === 'succeeded')).toBe(true);
    expect(result.left_pending).toEqual([
      expect.objectContaining({ service_id: PAY, endpoint_id: 'ep-stranger', domain_id: STRANGER, rule: 'payments' }),
    ]);
    expect(result.drift).toEqual([]);

    expect(statusOf(sim, 'ep-partner-1')).toBe('accepted');
    expect(statusOf(sim, 'ep-partner-2')).toBe('rejected');
    expect(statusOf(sim, 'ep-denied')).toBe('rejected');
    expect(statusOf(sim, 'ep-stranger')).toBe('pendingAcceptance');
    expect(statusOf(sim, 'ep-other')).toBe('pendingAcceptance'); // unmanaged: untouched
    expect(permissionsOf(sim, PAY)).toEqual([`iam:domain::${PARTNER}`, `iam:domain::${OWNER}`]);
    expect(permissionsOf(sim, OTHER)).toEqual(['*']);
    // 3 accept/reject calls (4.2.7) + one whitelist add + one remove (4.2.9).
    expect(mutations(sim)).toHaveLength(5);
    expect(sim.log().filter((e) => e.path.includes(OTHER))).toEqual([]); // unmanaged: never read

    const events = await readJsonLines(auditFile);
    // One event per action, in the order the calls finished, then the run's closing event.
    expect(
      events
        .slice(0, -1)
        .map((e) => `${e.type} ${e.data.endpoint_id ?? e.data.permission} ${e.data.outcome}`)
        .sort(),
    ).toEqual(EXPECTED_ACTIONS.map(([type, target]) => `vpcep.${type} ${target} succeeded`).sort());
    expect(events.at(-1)).toMatchObject({
      type: 'vpcep.run.completed',
      data: { counts: { 'connection.accept': { succeeded: 1 } }, left_pending_count: 1 },
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.every((e) => e.source === `vpcep-approver/${PROJECT}` && e.data.trigger === 'cli')).toBe(true);

    const again = await cli(sim, ['apply', '--policy', policyFile, '--audit-file', auditFile, '--json']);
    expect(again.code).toBe(0);
    expect(parseJson<ApplyJson>(again.out).actions).toEqual([]);
    expect(mutations(sim)).toHaveLength(5);
  });

  it('--dry-run changes nothing and records planned events', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const before = sim.state();
    const auditFile = join(dir, 'dry.jsonl');
    const run = await cli(sim, ['apply', '--policy', policyFile, '--dry-run', '--audit-file', auditFile, '--json']);
    expect(run.code).toBe(0);
    expect(parseJson<ApplyJson>(run.out).actions.map((a: { outcome: string }) => a.outcome)).toEqual(
      Array(EXPECTED_ACTIONS.length).fill('planned'),
    );
    expect(mutations(sim)).toEqual([]);
    expect(sim.state()).toEqual(before);
    const events = await readJsonLines(auditFile);
    expect(events.filter((e) => e.type !== 'vpcep.run.completed').map((e) => [e.data.outcome, e.data.dry_run])).toEqual(
      Array(EXPECTED_ACTIONS.length).fill(['planned', true]),
    );
  });

  it('plan prints the actions without outcome, changes nothing, and exits 2 with --detailed-exitcode', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const plan = await cli(sim, ['plan', '--policy', policyFile, '--json', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    const doc = parseJson<PlanJson>(plan.out);
    expect(Object.keys(doc)).toEqual(['actions', 'left_pending', 'drift', 'skipped']); // CONTRACT 1: skipped services (leases) are listed too
    expect(doc.actions.map((a: { type: string }) => a.type)).toEqual(EXPECTED_ACTIONS.map(([t]) => t));
    expect(doc.actions.every((a: object) => !('outcome' in a))).toBe(true);
    // CONTRACT 1: connection actions and left_pending entries carry the connection's created_at, as listed.
    const createdAt = (id: string) =>
      sim
        .state()
        .services.flatMap((s) => s.connections)
        .find((c) => c.id === id)!.created_at;
    const connections = doc.actions.filter((a) => a.endpoint_id !== undefined);
    expect(connections.map((a) => a.created_at)).toEqual(connections.map((a) => createdAt(a.endpoint_id!)));
    expect(doc.left_pending.map((p) => p.created_at)).toEqual(doc.left_pending.map((p) => createdAt(p.endpoint_id)));
    expect(mutations(sim)).toEqual([]);

    const table = await cli(sim, ['plan', '--policy', policyFile]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^Plan \(scope sweep\): 2 service\(s\), 1 managed, 1 unmanaged/);
    expect(table.out).toMatch(/connection\.accept\s+4189d3c2-8882-4871-a3c2-d380272eed88\s+ep-partner-1/);
    expect(table.out).toMatch(/Left pending \(1\):/);
  });

  it('compliance: reports drift, revokes nothing with revoke: never, and turns approval on', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    await cli(sim, ['apply', '--policy', policyFile, '--audit-file', join(dir, 'c1.jsonl')]);
    const auditFile = join(dir, 'compliance.jsonl');
    const run = await cli(sim, [
      'apply',
      '--policy',
      policyFile,
      '--scope',
      'compliance',
      '--audit-file',
      auditFile,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const doc = parseJson<ApplyJson>(run.out);
    expect(doc.actions).toEqual([]);
    expect(doc.drift.map((d: { kind: string; service_id: string }) => [d.kind, d.service_id])).toEqual([
      ['unmanaged', OTHER],
    ]);
    const events = await readJsonLines(auditFile);
    expect(events.map((e) => e.type)).toEqual(['vpcep.compliance.report', 'vpcep.run.completed']);
  });

  it('refuses to apply without an audit destination, naming both ways to give one', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const run = await cli(sim, ['apply', '--policy', policyFile]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--audit-file PATH or set AUDIT_QUEUE_URL/);
    expect(mutations(sim)).toEqual([]);
  });

  it('a run refused by the API still leaves its run.completed event, and exits 1 saying why', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: 'another-secret' } });
    const auditFile = join(dir, 'refused.jsonl');
    const run = await cli(sim, ['apply', '--policy', policyFile, '--audit-file', auditFile]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/error: cannot list the endpoint services: APIGW\.0301: /);
    expect(run.err).not.toContain(SK);
    const events = await readJsonLines(auditFile);
    expect(events.map((e) => [e.type, e.data.error?.code])).toEqual([['vpcep.run.completed', 'APIGW.0301']]);
  });

  it('plan --json when the services cannot be listed: the usual document with an error, exit 1', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: 'another-secret' } });
    for (const args of [
      ['plan', '--detailed-exitcode'],
      ['apply', '--audit-file', join(dir, 'refused-json.jsonl')],
    ]) {
      const run = await cli(sim, [...args, '--policy', policyFile, '--json']);
      expect(run.code).toBe(1);
      const doc = parseJson<PlanJson & { error?: { code: string; message: string } }>(run.out);
      expect(doc).toEqual({
        actions: [],
        left_pending: [],
        drift: [],
        skipped: [],
        error: { code: 'APIGW.0301', message: expect.stringMatching(/./) },
      });
      expect(run.out).not.toContain(SK);
    }
  });

  it('plan in text when the services cannot be listed: never says every service is as the policy wants it', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: 'another-secret' } });
    const run = await cli(sim, ['plan', '--policy', policyFile]);
    expect(run.code).toBe(1);
    expect(run.out).not.toContain('as the policy wants it');
    expect(run.out).toContain('No actions: the endpoint services could not be listed');
  });

  it('checks AUDIT_QUEUE_URL before reading or changing anything', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const run = await runCaptured(['apply', '--policy', policyFile], {
      ...apiEnv(sim, { ak: AK, sk: SK }),
      AUDIT_QUEUE_URL: 'not-a-url',
    });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/AUDIT_QUEUE_URL: expected the URL of an SQS queue; got "not-a-url"/);
    expect(sim.log()).toEqual([]);
  });

  it('writes its audit trail to a device such as /dev/null without complaint', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    const run = await cli(sim, ['apply', '--policy', policyFile, '--dry-run', '--audit-file', '/dev/null']);
    expect([run.code, run.err]).toEqual([0, '']);
  });

  it('with 20% injected 500s and 20% throttling ends in the same state, each action audited once per outcome', async () => {
    const clean = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK } });
    await cli(clean, ['apply', '--policy', policyFile, '--audit-file', join(dir, 'clean.jsonl')]);
    const wanted = clean.state();
    await clean.stop();

    sim = await startSimulator({
      state: scenario(),
      credentials: { ak: AK, sk: SK },
      faults: { seed: 7, errorRate: 0.2, throttleRate: 0.2 },
    });
    const auditFile = join(dir, 'faults.jsonl');
    const run = await cli(sim, ['apply', '--policy', policyFile, '--audit-file', auditFile, '--json']);
    expect(run.code).toBe(0);
    expect(sim.stats().faults.error).toBeGreaterThan(0);
    expect(sim.stats().faults.throttle).toBeGreaterThan(0);
    const strip = (s: ReturnType<Simulator['state']>) =>
      s.services.map((svc) => ({
        id: svc.id,
        c: svc.connections.map((c) => [c.id, c.status]),
        p: svc.permissions.map((p) => p.permission).sort(),
      }));
    expect(strip(sim.state())).toEqual(strip(wanted));
    const events = (await readJsonLines(auditFile)).filter((e) => e.type !== 'vpcep.run.completed');
    const keys = events.map((e) => `${e.id}/${e.data.outcome}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(events).toHaveLength(EXPECTED_ACTIONS.length);
  });

  it('two overlapping sweeps end in the right state and report no failure for work the other did', async () => {
    sim = await startSimulator({ state: scenario(), credentials: { ak: AK, sk: SK }, faults: { latencyMs: 20 } });
    const [a, b] = await Promise.all([
      cli(sim, ['apply', '--policy', policyFile, '--audit-file', join(dir, 'a.jsonl'), '--json']),
      cli(sim, ['apply', '--policy', policyFile, '--audit-file', join(dir, 'b.jsonl'), '--json']),
    ]);
    expect([a.code, b.code, a.err, b.err]).toEqual([0, 0, '', '']);
    for (const r of [a, b])
      expect(parseJson<ApplyJson>(r.out).actions.every((x: { outcome: string }) => x.outcome === 'succeeded')).toBe(
        true,
      );
    expect(statusOf(sim, 'ep-partner-1')).toBe('accepted');
    expect(statusOf(sim, 'ep-partner-2')).toBe('rejected');
    expect(statusOf(sim, 'ep-denied')).toBe('rejected');
    expect(permissionsOf(sim, PAY)).toEqual([`iam:domain::${PARTNER}`, `iam:domain::${OWNER}`]);
  });
});
