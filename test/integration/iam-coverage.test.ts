import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

import { createCliContext } from '../../lib/cli/context';
import { runCli } from '../../lib/cli/program';
import { createReviewHandler } from '../../lib/lambda/review-webhook';
import { coldStart } from '../../lib/lambda/setup';
import { silentLogger } from '../../lib/logger';
import { loadSimulatorStateFile, startSimulator } from '../../lib/simulator';
import { operationForRoute, OPERATIONS } from '../../lib/vpcep/operations';
import { signWebhook } from '../../lib/webhook/signature';

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
const AK = 'IAMCOVERAGEAK0000001';
const SK = 'iam-coverage-secret';

it('every call of a sweep, a compliance run and a webhook review is allowed by policies/huawei-iam-policy.json', async () => {
  const state = await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json'));
  const sim = await startSimulator({ state, credentials: { ak: AK, sk: SK } });
  try {
    const env = {
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      VPCEP_ENDPOINT: sim.url,
      HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
    };
    const policy = join(ROOT, 'policies/examples/demo-policy.yaml');
    // The webhook reviews in scope sweep: with the sweep, it must need only the sweep-only policy.
    const sweepRoutes = new Set<string>();
    for (const scope of ['sweep', 'compliance']) {
      const ctx = createCliContext({ env, stdout: new PassThrough(), stderr: new PassThrough() });
      expect(await runCli(['apply', '--policy', policy, '--scope', scope, '--audit-file', '/dev/null'], ctx)).toBe(0);
      if (scope === 'sweep') sim.log().forEach((e) => sweepRoutes.add(e.route));
    }
    const beforeWebhook = sim.log().length;

    const handler = createReviewHandler(
      coldStart({ ...env, WEBHOOK_SECRET: 'whsec', POLICY_FILE: policy }, { logger: silentLogger }),
    );
    const body = JSON.stringify({ service_id: state.services[0]!.id });
    const ts = String(Math.floor(Date.now() / 1000));
    const event = {
      headers: {
        'content-type': 'application/json',
        'x-vpcep-timestamp': ts,
        'x-vpcep-signature': signWebhook('whsec', ts, body),
      },
      body,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 20_000 } as unknown as Context;
    expect((await handler(event, context)).statusCode).toBe(200);
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
