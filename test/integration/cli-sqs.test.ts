import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';

import { Simulator, SimulatorStateInput, startSimulator } from '../../lib/simulator';
import { runCliProcess, spawnCli } from '../support/cli-process';
import { PARTNER } from '../support/ids';
import { ApplyJson, FallbackLine, parseJson } from '../support/json';
import { apiEnv } from '../support/simulator';
import { auditQueueEnv, drain, LocalSqs, startLocalSqs } from './support/sqs-server';

/**
 * `apply` with AUDIT_QUEUE_URL, as a separate process with only the documented environment:
 * the AWS SDK finds the local SQS-compatible server through AWS_ENDPOINT_URL_SQS.
 */
const AK = 'TESTAKSQS00000000001';
const SK = 'test-secret-key-sqs';
const PROJECT = 'b0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';

/** `services` services named pay-N, each with `perService` pending connections from the partner. */
function state(services: number, perService: number): SimulatorStateInput {
  return {
    project_id: PROJECT,
    services: Array.from({ length: services }, (_, s) => ({
      id: `svc-${String(s).padStart(3, '0')}`,
      service_name: `pay-${s}`,
      approval_enabled: true,
      connections: Array.from({ length: perService }, (_, c) => ({
        id: `ep-${s}-${c}`,
        domain_id: PARTNER,
        status: 'pendingAcceptance',
        created_at: `2026-11-01T00:${String(c).padStart(2, '0')}:00Z`,
      })),
      permissions: [{ id: `perm-${s}`, permission: `iam:domain::${PARTNER}` }],
    })),
  };
}

let policyFile: string;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vpcep-cli-sqs-'));
  policyFile = join(dir, 'policy.yaml');
  await writeFile(
    policyFile,
    `version: 1\nservices:\n  - match: { name: "pay-*" }\n    allow:\n      - domain: ${PARTNER}\n`,
  );
});

function env(sim: Simulator, sqs: LocalSqs, queueUrl: string): Record<string, string> {
  return {
    ...apiEnv(sim, { ak: AK, sk: SK }),
    ...auditQueueEnv(sqs, queueUrl),
  };
}

const accepted = (sim: Simulator) =>
  sim.state().services.flatMap((s) => s.connections.filter((c) => c.status === 'accepted').map((c) => c.id));

describe('apply with AUDIT_QUEUE_URL (real CLI process, local SQS-compatible server)', () => {
  let sim: Simulator;
  let sqs: LocalSqs;
  afterEach(async () => {
    await sim?.stop();
    await sqs?.stop();
  });

  it.each(['audit', 'audit.fifo'])('delivers one event per action and the run event to the %s queue', async (name) => {
    sim = await startSimulator({ state: state(3, 4), credentials: { ak: AK, sk: SK } });
    sqs = await startLocalSqs();
    const queueUrl = await sqs.createQueue(name);
    const run = await runCliProcess(['apply', '--policy', policyFile, '--json'], env(sim, sqs, queueUrl));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(parseJson<ApplyJson>(run.stdout).actions).toHaveLength(12);
    const received = await drain(sqs.client(), queueUrl);
    const actionEvents = received.filter((r) => r.body.type === 'vpcep.connection.accept');
    expect(actionEvents.map((r) => r.body.data.endpoint_id).sort()).toEqual(accepted(sim).sort());
    expect(
      actionEvents.every((r) => r.body.data.outcome === 'succeeded' && r.attributes.type === 'vpcep.connection.accept'),
    ).toBe(true);
    expect(received.filter((r) => r.body.type === 'vpcep.run.completed')).toHaveLength(1);
    expect(received).toHaveLength(13);
    if (name.endsWith('.fifo')) expect(actionEvents.every((r) => r.groupId === r.body.data.service_id)).toBe(true);
  });

  it('refuses to start when AUDIT_QUEUE_URL is set but no AWS region is', async () => {
    sim = await startSimulator({ state: state(1, 1), credentials: { ak: AK, sk: SK } });
    sqs = await startLocalSqs();
    const queueUrl = await sqs.createQueue('no-region');
    const { AWS_REGION: _region, ...withoutRegion } = env(sim, sqs, queueUrl);
    // An empty HOME: no ~/.aws/config of the machine can supply a region.
    const run = await runCliProcess(['apply', '--policy', policyFile], {
      ...withoutRegion,
      HOME: await mkdtemp(join(tmpdir(), 'home-')),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AUDIT_QUEUE_URL is set \(.*\) but no AWS region is: set AWS_REGION/);
    expect(sim.log()).toEqual([]);
  });

  it('when the queue goes away mid-run: unsent events go to stderr as fallback, no new action starts, and the run fails', async () => {
    const services = 30;
    const perService = 5;
    sim = await startSimulator({
      state: state(services, perService),
      credentials: { ak: AK, sk: SK },
      faults: { latencyMs: 40 },
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'fauxqs-'));
    sqs = await startLocalSqs({ dataDir });
    const queueUrl = await sqs.createQueue('audit');
    const { done } = spawnCli(['apply', '--policy', policyFile, '--concurrency', '2'], env(sim, sqs, queueUrl));

    // Take the queue down once the run is well under way.
    while (accepted(sim).length < 20) await new Promise((r) => setTimeout(r, 20));
    const port = sqs.port;
    await sqs.stop();
    const run = await done;

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: audit trail failed: audit sink sqs:.* failed/);
    const fallback = fallbackLines(run.stderr);
    expect(fallback.length).toBeGreaterThan(0);

    // No new action started after the failure: most connections are still pending.
    const done_ = accepted(sim);
    expect(done_.length).toBeLessThan(services * perService);

    // Nothing lost: every action taken has its event in the queue (read back after a restart
    // from the server's own storage) or in the fallback lines.
    sqs = await startLocalSqs({ dataDir, port });
    const delivered = (await drain(sqs.client(), queueUrl)).map((r) => r.body.data.endpoint_id);
    const recorded = new Set([...delivered, ...fallback.map((f) => f.event.data.endpoint_id)]);
    expect(done_.filter((id) => !recorded.has(id))).toEqual([]);
  });

  it('when the queue is deleted mid-run, the run still closes: compliance.report and run.completed join the fallback lines', async () => {
    sim = await startSimulator({ state: state(30, 5), credentials: { ak: AK, sk: SK }, faults: { latencyMs: 40 } });
    sqs = await startLocalSqs();
    const queueUrl = await sqs.createQueue('audit-deleted');
    const { done } = spawnCli(
      ['apply', '--policy', policyFile, '--concurrency', '2', '--scope', 'compliance'],
      env(sim, sqs, queueUrl),
    );
    while (accepted(sim).length < 20) await new Promise((r) => setTimeout(r, 20));
    await sqs.client().send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    const run = await done;

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: audit trail failed: audit sink sqs:.* failed/);
    expect(fallbackLines(run.stderr).slice(-2)).toEqual([
      expect.objectContaining({ fallback: true, event: expect.objectContaining({ type: 'vpcep.compliance.report' }) }),
      expect.objectContaining({ fallback: true, event: expect.objectContaining({ type: 'vpcep.run.completed' }) }),
    ]);
  });
});

/** The events a run wrote to stderr because the trail failed (`{"fallback":true,...}` lines). */
function fallbackLines(stderr: string) {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{"fallback":true'))
    .map((l) => parseJson<FallbackLine>(l));
}
