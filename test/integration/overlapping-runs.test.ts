import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createDynamoDbLeaseStore } from '../../lib/lease/dynamodb-lease-store';
import { leaseKey } from '../../lib/lease/lease';
import { Simulator, SimulatorStateInput, startSimulator } from '../../lib/simulator';
import { createVpcepClient } from '../../lib/vpcep/client';
import { createNodeFetch } from '../../lib/vpcep/http';
import { runCaptured } from '../support/capture';
import { runCliProcess } from '../support/cli-process';
import { PARTNER, PAYMENTS as PAY, STRANGER } from '../support/ids';
import { ApplyJson, parseJson, readJsonLines } from '../support/json';
import { paymentsPolicy, paymentsScenario } from '../support/scenarios';
import { apiEnv, gateOn } from '../support/simulator';
import { LOCAL_AWS_ENV, localDynamoDb } from './support/dynamodb-server';

/**
 * Runs that overlap on one service, reproduced deterministically: the simulator's gate holds one
 * request of one run while the other run (or a person) changes the state, then lets it go.
 */
const AK = 'TESTAKOVERLAP0000001';
const SK = 'test-secret-key-overlap';
const PROJECT = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const CONNECTIONS_ROUTE = 'GET /v1/{project_id}/vpc-endpoint-services/{service_id}/connections';

const POLICY = paymentsPolicy({
  defaults: { over_limit: 'reject', unlisted_pending: 'reject' },
  allow: [{ domain: PARTNER, max_connections: 2 }],
});

function state(connections: NonNullable<SimulatorStateInput['services']>[number]['connections']): SimulatorStateInput {
  const permissions = [{ id: 'perm-partner', permission: `iam:domain::${PARTNER}` }];
  return paymentsScenario({ approval_enabled: true, connections, permissions }, [], PROJECT);
}

let dir: string;
let policyFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-overlap-'));
  policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, POLICY);
});

const env = (sim: Simulator) => apiEnv(sim, { ak: AK, sk: SK });
const statusOf = (sim: Simulator, id: string) => sim.state().services[0]!.connections.find((c) => c.id === id)?.status;
const rejects = (sim: Simulator) =>
  sim.log().filter((e) => e.method === 'POST' && e.mutated && e.path.endsWith('/connections/action'));

describe('overlapping runs on one service', () => {
  let sim: Simulator;
  afterEach(async () => {
    await sim?.stop();
  });

  it('a sweep that reads the partner pending, then accepted by another sweep, rejects nothing', async () => {
    // Run A's accepted-connections listing is held until run B has accepted both connections.
    const hold = gateOn((r) => r.route === CONNECTIONS_ROUTE && r.query.get('status') === 'accepted');
    sim = await startSimulator({
      state: state([
        { id: 'ep-partner-1', domain_id: PARTNER, status: 'pendingAcceptance', created_at: '2026-11-02T10:00:00Z' },
        { id: 'ep-partner-2', domain_id: PARTNER, status: 'pendingAcceptance', created_at: '2026-11-03T10:00:00Z' },
      ]),
      credentials: { ak: AK, sk: SK },
      gate: hold.gate,
    });
    const runA = runCaptured(
      ['apply', '--policy', policyFile, '--audit-file', join(dir, 'a.jsonl'), '--json'],
      env(sim),
    );
    await hold.arrival; // A has read both connections as pending and now waits on its accepted read
    const runB = await runCaptured(
      ['apply', '--policy', policyFile, '--audit-file', join(dir, 'b.jsonl'), '--json'],
      env(sim),
    );
    expect(runB.code).toBe(0);
    expect(parseJson<ApplyJson>(runB.out).actions.map((a: { type: string }) => a.type)).toEqual([
      'connection.accept',
      'connection.accept',
    ]);
    hold.release();
    const a = await runA;

    expect(a.code).toBe(0);
    expect(parseJson<ApplyJson>(a.out).actions).toEqual([]); // both seen accepted: nothing to do
    expect(statusOf(sim, 'ep-partner-1')).toBe('accepted');
    expect(statusOf(sim, 'ep-partner-2')).toBe('accepted');
    expect(sim.log().filter((e) => e.mutated)).toHaveLength(2); // B's two accepts, nothing else
    expect((await readJsonLines(join(dir, 'a.jsonl'))).map((e) => e.type)).toEqual(['vpcep.run.completed']);
  });

  it('does not reject a pending connection that a person accepted after the listing', async () => {
    // The sweep's re-read of the connection it is about to reject is held while a person accepts it.
    const hold = gateOn((r) => r.route === CONNECTIONS_ROUTE && r.query.get('id') === 'ep-stranger');
    sim = await startSimulator({
      state: state([
        { id: 'ep-stranger', domain_id: STRANGER, status: 'pendingAcceptance', created_at: '2026-11-02T10:00:00Z' },
      ]),
      credentials: { ak: AK, sk: SK },
      gate: hold.gate,
    });
    const auditFile = join(dir, 'person.jsonl');
    const sweep = runCaptured(['apply', '--policy', policyFile, '--audit-file', auditFile, '--json'], env(sim));
    await hold.arrival;
    const person = createVpcepClient({
      endpoint: sim.url,
      projectId: PROJECT,
      credentials: { ak: AK, sk: SK },
      fetch: createNodeFetch(),
    });
    await person.acceptOrReject(PAY, 'ep-stranger', 'receive');
    hold.release();
    const result = await sweep;

    expect(result.code).toBe(0);
    expect(parseJson<ApplyJson>(result.out).actions).toEqual([]); // the reject was withdrawn: nothing was done
    expect(statusOf(sim, 'ep-stranger')).toBe('accepted');
    expect(rejects(sim)).toHaveLength(1); // the person's accept only
    expect((await readJsonLines(auditFile)).map((e) => e.type)).toEqual(['vpcep.run.completed']);
  });
});

describe('apply with VPCEP_LEASE_TABLE', () => {
  let sim: Simulator;
  const dynamo = localDynamoDb();
  afterEach(async () => sim?.stop());

  it('skips a service another run holds (exit 0, nothing done), and acts once the lease is free', async () => {
    sim = await startSimulator({
      state: state([
        { id: 'ep-partner-1', domain_id: PARTNER, status: 'pendingAcceptance', created_at: '2026-11-02T10:00:00Z' },
      ]),
      credentials: { ak: AK, sk: SK },
    });
    const leases = createDynamoDbLeaseStore({ client: dynamo.client, tableName: dynamo.tableName });
    const key = leaseKey(PROJECT, PAY);
    await leases.acquire(key, 'run-of-the-schedule', new Date(Date.now() + 60_000));
    const processEnv = {
      ...env(sim),
      ...LOCAL_AWS_ENV,
      VPCEP_LEASE_TABLE: dynamo.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    const auditFile = join(dir, 'leased.jsonl');

    const skipped = await runCliProcess(
      ['apply', '--policy', policyFile, '--audit-file', auditFile, '--json'],
      processEnv,
    );
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      actions: [],
      skipped: [{ service_id: PAY, note: 'being reviewed by run run-of-the-schedule' }],
    });
    expect(skipped.stderr).toContain(`note: ${PAY} skipped: being reviewed by run run-of-the-schedule`);
    expect(sim.log().filter((e) => e.mutated)).toEqual([]);

    await leases.release(key, 'run-of-the-schedule');
    const applied = await runCliProcess(
      ['apply', '--policy', policyFile, '--audit-file', auditFile, '--json'],
      processEnv,
    );
    expect(applied.code).toBe(0);
    expect(parseJson<ApplyJson>(applied.stdout).actions.map((a: { type: string }) => a.type)).toEqual([
      'connection.accept',
    ]);
    expect(statusOf(sim, 'ep-partner-1')).toBe('accepted');
    // Released at the end: anyone may take it now.
    expect(await leases.acquire(key, 'next-run', new Date(Date.now() + 1000))).toEqual({ acquired: true });
  });
});
