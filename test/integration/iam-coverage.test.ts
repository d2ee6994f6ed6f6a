import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ANNOTATION_OPERATIONS } from '../../lib/engine/annotate';
import { EXECUTORS } from '../../lib/engine/executors';
import { SURVEY_OPERATIONS } from '../../lib/engine/survey';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { coldStart } from '../../lib/lambda/setup';
import { silentLogger } from '../../lib/logger';
import { loadSimulatorStateFile, startSimulator } from '../../lib/simulator';
import { operationForRoute, OperationName, OPERATIONS } from '../../lib/vpcep/operations';
import { runCaptured } from '../support/capture';
import { lambdaContext, signedReviewEvent } from '../support/lambda';
import { apiEnv } from '../support/simulator';

/**
 * The least-privilege Huawei IAM policies must cover every call the automation makes: sweeps and
 * compliance runs (here through the CLI, the same engine the schedules run) and the webhook.
 * Huawei IAM authorizes in two ways, and each has its files: role/policy-based
 * (policies/huawei-iam-policy*.json, the section 6 actions) and identity policy-based
 * (policies/huawei-identity-policy*.json, the actions of each API page). The operations the
 * engine may call are declared: its reads (SURVEY_OPERATIONS), each executor's (the executor
 * table) and, with VPCEP_ANNOTATE (on here, against a simulator that offers the API), the
 * description call (ANNOTATION_OPERATIONS); the client's operations table names both actions of each. The runs must call nothing
 * undeclared, and the full policies must allow exactly the declared operations.
 */
type Flavour = 'iamAction' | 'identityAction';

/** Every operation the engine declares it may call. */
const DECLARED = new Set<OperationName>([
  ...SURVEY_OPERATIONS,
  ...Object.values(EXECUTORS).flatMap((e) => e.operations),
  ...ANNOTATION_OPERATIONS,
]);

/** The operation the simulator served at `route` ("METHOD /path/template"), or the route when it is none. */
function operationOf(route: string): string {
  const [method, template] = route.split(' ') as [string, string];
  return operationForRoute(method, template) ?? `unmapped route ${route}`;
}

function actionOf(operation: string, flavour: Flavour): string {
  return (
    (operation in OPERATIONS && OPERATIONS[operation as OperationName][flavour]) || `no ${flavour} for ${operation}`
  );
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
    const sim = await startSimulator({ state, credentials: CREDS, extensions: ['connection-description'] });
    try {
      const env = { ...apiEnv(sim, CREDS), VPCEP_ANNOTATE: 'true' };
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

  it('the runs call only the operations the survey and the executor table declare, and each of them', () => {
    const called = new Set(routes.map(operationOf));
    expect([...called].filter((o) => !DECLARED.has(o as OperationName))).toEqual([]);
    expect(called).toEqual(DECLARED);
  });

  it.each(FLAVOURS)(
    '%s: policies/%s allows the declared operations and nothing else, %s those of sweeps',
    (flavour, full, sweep) => {
      const fullActions = policyActions(full);
      const sweepActions = policyActions(sweep);
      expect(sweepRoutes.map((r) => actionOf(operationOf(r), flavour)).filter((a) => !sweepActions.has(a))).toEqual([]);
      expect(new Set([...DECLARED].map((o) => actionOf(o, flavour)))).toEqual(fullActions);
    },
  );
});
