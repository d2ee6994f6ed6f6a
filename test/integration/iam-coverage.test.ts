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
 * The least-privilege Huawei IAM policies must cover every call the automation makes: sweeps and
 * compliance runs (here through the CLI, the same engine the schedules run) and the webhook.
 * Huawei IAM authorizes in two ways, and each has its files: role/policy-based
 * (policies/huawei-iam-policy*.json, the section 6 actions) and identity policy-based
 * (policies/huawei-identity-policy*.json, the actions of each API page). Each route the simulator
 * served is looked up in the client's operations table, which names both actions.
 */
type Flavour = 'iamAction' | 'identityAction';

function actionOf(route: string, flavour: Flavour): string {
  const [method, template] = route.split(' ') as [string, string];
  const operation = operationForRoute(method, template);
  return (operation && OPERATIONS[operation][flavour]) ?? `unmapped route ${route}`;
}

const ROOT = join(__dirname, '../..');
const policyActions = (file: string) =>
  new Set(
    (
      JSON.parse(readFileSync(join(ROOT, 'policies', file), 'utf8')) as { Statement: { Action: string[] }[] }
    ).Statement.flatMap((s) => s.Action),
  );
const FLAVOURS = [
  ['iamAction', 'huawei-iam-policy.json', 'huawei-iam-policy-sweep.json'],
  ['identityAction', 'huawei-identity-policy.json', 'huawei-identity-policy-sweep.json'],
] as const;
const CREDS = { ak: 'IAMCOVERAGEAK0000001', sk: 'iam-coverage-secret' };

describe('the Huawei IAM policies cover every call of a sweep, a compliance run and a webhook review', () => {
  // Routes the runs used: those of sweeps and webhook reviews (which need only the sweep policy), and all.
  let sweepRoutes: string[] = [];
  let routes: string[] = [];
  beforeAll(async () => {
    const state = await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json'));
    const sim = await startSimulator({ state, credentials: CREDS });
    try {
      const env = apiEnv(sim, CREDS);
      const policy = join(ROOT, 'policies/examples/demo-policy.yaml');
      const sweep = new Set<string>();
      for (const scope of ['sweep', 'compliance']) {
        const run = await runCaptured(
          ['apply', '--policy', policy, '--scope', scope, '--audit-file', '/dev/null'],
          env,
        );
        expect(run.code).toBe(0);
        if (scope === 'sweep') sim.log().forEach((e) => sweep.add(e.route));
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
        .forEach((e) => sweep.add(e.route));
      sweepRoutes = [...sweep];
      routes = [...new Set(sim.log().map((e) => e.route))];
    } finally {
      await sim.stop();
    }
  });

  it.each(FLAVOURS)('%s: policies/%s allows them all and nothing else, %s those of sweeps', (flavour, full, sweep) => {
    const fullActions = policyActions(full);
    const sweepActions = policyActions(sweep);
    expect(sweepRoutes.map((r) => actionOf(r, flavour)).filter((a) => !sweepActions.has(a))).toEqual([]);
    const needed = routes.map((r) => actionOf(r, flavour));
    expect(needed.filter((a) => !fullActions.has(a))).toEqual([]);
    // The runs did exercise the mutating calls the policy grants.
    expect(new Set(needed)).toEqual(new Set([...fullActions]));
  });
});
