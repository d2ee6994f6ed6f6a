import { readFileSync, writeFileSync } from 'node:fs';

import { generateState, parseGenerateSpec } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { DENIED, OWNER, PARTNER, PAYMENTS } from '../support/ids';
import { consumerDomains, generatedStatePolicy, paymentsPolicy, paymentsScenario } from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

/**
 * VPCEP_ANNOTATE (CONTRACT 3, rehearsal): an apply writes its accepts and rejects as the
 * connections' descriptions, one call per service, against a simulator that serves the newer
 * API (`extensions: ['connection-description']`); a person's description is left alone; a
 * region without the API (the simulator without the extension: 404 APIGW.0101) gets one call,
 * one warning, and the run succeeds; plan never annotates.
 */
const CREDS = { ak: 'ANNOTATEAK0000000001', sk: 'annotate-secret' };
const DESCRIBE_ROUTE = 'PUT /v1/{project_id}/vpc-endpoint-services/{service_id}/connections/description';
const NOT_OFFERED = 'the region does not offer connection descriptions';
const PERSON = 'Alice: approved by hand, ticket OPS-12';

const id = (n: number) => `c0000000-0000-4000-8000-00000000000${n}`;
const pending = (n: number, domainId: string, description?: string) => ({
  id: id(n),
  domain_id: domainId,
  status: 'pendingAcceptance' as const,
  marker_id: n,
  created_at: `2026-11-0${n}T10:00:00Z`,
  ...(description !== undefined && { description }),
});

describe('decisions written as connection descriptions (VPCEP_ANNOTATE)', () => {
  const start = simulatorPerTest();
  const files = tempFiles('vpcep-annotate-', {
    'payments.yaml': paymentsPolicy({ allow: [{ domain: PARTNER }, { domain: OWNER }], deny: [DENIED] }),
  });
  const scenario = () =>
    paymentsScenario({
      connections: [
        pending(1, PARTNER),
        pending(2, DENIED, 'vpcep-approver: accepted, rule payments, run an-earlier-one'),
        pending(3, OWNER, PERSON),
      ],
    });
  const described = (sim: { state(): ReturnType<Awaited<ReturnType<typeof start>>['state']> }) =>
    Object.fromEntries(sim.state().services[0]!.connections.map((c) => [c.id, c.description]));
  const apply = (sim: Awaited<ReturnType<typeof start>>, command = 'apply') =>
    runCaptured(
      [
        command,
        '--policy',
        files.path('payments.yaml'),
        '--json',
        ...(command === 'apply' ? ['--audit-file', files.path('audit.jsonl')] : []),
      ],
      {
        ...apiEnv(sim, CREDS),
        VPCEP_ANNOTATE: 'true',
      },
    );

  it('describes the accepted and rejected connections in one call for the service and leaves a person’s text alone', async () => {
    const sim = await start({ state: scenario(), credentials: CREDS, extensions: ['connection-description'] });
    const run = await apply(sim);
    expect(run.code).toBe(0);
    const { actions } = JSON.parse(run.out) as { actions: { type: string; outcome: string }[] };
    const firstEvent = readFileSync(files.path('audit.jsonl'), 'utf8').split('\n')[0]!;
    const runId = (JSON.parse(firstEvent) as { data: { run_id: string } }).data.run_id;
    expect(actions.filter((a) => a.type.startsWith('connection.')).map((a) => [a.type, a.outcome])).toEqual([
      ['connection.accept', 'succeeded'],
      ['connection.reject', 'succeeded'],
      ['connection.accept', 'succeeded'],
    ]);
    expect(described(sim)).toEqual({
      [id(1)]: expect.stringMatching(new RegExp(`^vpcep-approver: accepted, rule payments, .*, run ${runId}$`)),
      [id(2)]: expect.stringMatching(new RegExp(`^vpcep-approver: rejected, rule payments, .*, run ${runId}$`)),
      [id(3)]: PERSON,
    });
    const calls = sim.log().filter((e) => e.route === DESCRIBE_ROUTE);
    expect(calls.map((e) => [e.path.split('/')[4], e.status])).toEqual([[PAYMENTS, 200]]);
    expect(run.err).not.toContain(NOT_OFFERED);
  });

  it('plan and a dry run never annotate', async () => {
    const sim = await start({ state: scenario(), credentials: CREDS, extensions: ['connection-description'] });
    const plan = await apply(sim, 'plan');
    expect([plan.code, plan.err]).toEqual([0, '']);
    const dryRun = await runCaptured(
      ['apply', '--policy', files.path('payments.yaml'), '--dry-run', '--audit-file', files.path('dry.jsonl')],
      { ...apiEnv(sim, CREDS), VPCEP_ANNOTATE: 'true' },
    );
    expect(dryRun.code).toBe(0);
    expect(sim.log().filter((e) => e.route.startsWith('PUT ') || e.route === DESCRIBE_ROUTE)).toEqual([]);
  });

  it('without the API (404 APIGW.0101) the run succeeds, says so once and makes no further description call', async () => {
    const state = generateState(parseGenerateSpec('services=3,pending=2,seed=7'));
    const sim = await start({ state, credentials: CREDS });
    writeFileSync(files.path('generated.yaml'), generatedStatePolicy(state, { allow: consumerDomains(state) }));
    const run = await runCaptured(
      ['apply', '--policy', files.path('generated.yaml'), '--json', '--audit-file', files.path('audit.jsonl')],
      { ...apiEnv(sim, CREDS), VPCEP_ANNOTATE: 'true' },
    );
    expect(run.code).toBe(0);
    const { actions } = JSON.parse(run.out) as { actions: { type: string; outcome: string }[] };
    expect(actions.filter((a) => a.type === 'connection.accept').map((a) => a.outcome)).toEqual(
      Array<string>(6).fill('succeeded'),
    );
    expect(run.err.split(NOT_OFFERED).length - 1).toBe(1);
    const calls = sim.log().filter((e) => e.method === 'PUT' && e.path.endsWith('/connections/description'));
    expect(calls.map((e) => [e.status, e.error_code])).toEqual([[404, 'APIGW.0101']]);
  });
});
