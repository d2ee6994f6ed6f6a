import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { coldStart } from '../../lib/lambda/setup';
import { silentLogger } from '../../lib/logger';
import { loadSimulatorStateFile, startSimulator } from '../../lib/simulator';
import { operationForRoute, OPERATIONS } from '../../lib/vpcep/operations';
import { runCaptured } from '../support/capture';
import { lambdaContext, signedReviewEvent } from '../support/lambda';
import { apiEnv } from '../support/simulator';

/**
 * The least-privilege Huawei IAM policy must cover every call the automation makes: sweeps and
 * compliance runs (here through the CLI, the same engine the schedules run) and the webhook.
 * Each route the simulator served is looked up in the client's operations table, which names
 * the IAM action of section 6 of the API reference for each operation.
 */
function iamActionOf(route: string): string {
  const [method, template] = route.split(' ') as [string, string];
  const operation = operationForRoute(method, template);
  return (operation && OPERATIONS[operation].iamAction) ?? `unmapped route ${route}`;
}

const ROOT = join(__dirname, '../..');
const policyActions = (file: string) =>
  new Set(
    (
      JSON.parse(readFileSync(join(ROOT, 'policies', file), 'utf8')) as { Statement: { Action: string[] }[] }
    ).Statement.flatMap((s) => s.Action),
  );
const iamActions = policyActions('huawei-iam-policy.json');
const sweepActions = policyActions('huawei-iam-policy-sweep.json');
const CREDS = { ak: 'IAMCOVERAGEAK0000001', sk: 'iam-coverage-secret' };

it('every call of a sweep, a compliance run and a webhook review is allowed by policies/huawei-iam-policy.json', async () => {
  const state = await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json'));
  const sim = await startSimulator({ state, credentials: CREDS });
  try {
    const env = apiEnv(sim, CREDS);
    const policy = join(ROOT, 'policies/examples/demo-policy.yaml');
    // The webhook reviews in scope sweep: with the sweep, it must need only the sweep-only policy.
    const sweepRoutes = new Set<string>();
    for (const scope of ['sweep', 'compliance']) {
      const run = await runCaptured(['apply', '--policy', policy, '--scope', scope, '--audit-file', '/dev/null'], env);
      expect(run.code).toBe(0);
      if (scope === 'sweep') sim.log().forEach((e) => sweepRoutes.add(e.route));
    }
    const beforeWebhook = sim.log().length;

    const handler = createReviewHandler(
      coldStart({ ...env, WEBHOOK_SECRET: 'whsec', POLICY_FILE: policy }, { logger: silentLogger }),
    );
    const event = signedReviewEvent({ service_id: state.services[0]!.id }, { secret: 'whsec' });
    expect((await handler(event, lambdaContext('review', { remainingMs: 20_000 }))).statusCode).toBe(200);
    sim
      .log()
      .slice(beforeWebhook)
      .forEach((e) => sweepRoutes.add(e.route));
    const sweepNeeded = [...sweepRoutes].map(iamActionOf);
    expect(sweepNeeded.filter((a) => !sweepActions.has(a))).toEqual([]);

    const routes = [...new Set(sim.log().map((e) => e.route))];
    const needed = routes.map(iamActionOf);
    expect(needed.filter((a) => !iamActions.has(a))).toEqual([]);
    // The run did exercise the mutating calls the policy grants.
    expect(new Set(needed)).toEqual(new Set([...iamActions]));
  } finally {
    await sim.stop();
  }
});
