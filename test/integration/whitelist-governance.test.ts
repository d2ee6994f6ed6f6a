import { Simulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { DENIED, OWNER, PARTNER, PAYMENTS, STRANGER } from '../support/ids';
import { ApplyJson, parseJson, PlanJson } from '../support/json';
import { paymentsPolicy } from '../support/scenarios';
import { simulatorPerTest, tempFiles } from '../support/simulator';
import { startTamperingProxy, TamperingProxy } from './support/tampering-proxy';

/**
 * Whitelist records the policy language does not govern never block the rest (CONTRACT 2):
 * a record such as `organizations:orgPath::...` is left alone and reported; a governed record
 * padded with spaces or in another case is removed exactly as the API listed it; and when the
 * API refuses a removal batch, the batch is split so the refused record fails alone.
 */
const TOKEN = 'whitelist-governance-token';
const ORG = 'organizations:orgPath::o-abc123/r-root/ou-payments';
const PADDED = ` IAM:Domain::${STRANGER} `;
const PERMISSIONS = [`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`, ORG, PADDED, `iam:domain::${DENIED}`];

const files = tempFiles('vpcep-whitelist-', {
  'policy.yaml': paymentsPolicy({ allow: [{ domain: PARTNER }], deny: [DENIED] }),
});

const start = simulatorPerTest();
const world = () =>
  start({
    tokens: [TOKEN],
    state: {
      domain_id: OWNER,
      services: [
        {
          id: PAYMENTS,
          service_name: 'payments',
          permissions: PERMISSIONS.map((permission, i) => ({ id: `w-${i}`, permission })),
        },
      ],
    },
  });

const env = (sim: Simulator, url = sim.url) => ({
  VPCEP_ENDPOINT: url,
  HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
  HUAWEICLOUD_SDK_AUTH_TOKEN: TOKEN,
});
const policyArgs = () => ['--policy', files.path('policy.yaml')];
const auditArgs = () => ['--audit-file', files.path('audit.jsonl')];
const whitelistOf = (sim: Simulator) => sim.state().services[0]!.permissions.map((p) => p.permission);
const removals = (actions: { type: string; permission?: string }[]) =>
  actions.filter((a) => a.type === 'whitelist.remove').map((a) => a.permission);

describe('whitelist records the policy does not govern', () => {
  it('plan and apply agree: governed records removed exactly as listed, the others left alone and reported', async () => {
    const sim = await world();
    const plan = await runCaptured(['plan', ...policyArgs(), '--scope', 'compliance', '--json'], env(sim));
    expect(plan.code).toBe(0);
    const planned = parseJson<PlanJson>(plan.out);
    expect(removals(planned.actions)).toEqual([PADDED, `iam:domain::${DENIED}`]);
    expect(planned.drift.filter((d) => d.kind === 'whitelist-unmanaged').map((d) => d.permission)).toEqual([ORG]);

    const apply = await runCaptured(['apply', ...policyArgs(), ...auditArgs(), '--json'], env(sim));
    expect(apply.code).toBe(0);
    const applied = parseJson<ApplyJson>(apply.out).actions;
    expect(applied.map((a) => [a.type, a.permission, a.outcome])).toEqual([
      ['whitelist.remove', PADDED, 'succeeded'],
      ['whitelist.remove', `iam:domain::${DENIED}`, 'succeeded'],
    ]);
    expect(whitelistOf(sim)).toEqual([`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`, ORG]);

    const again = await runCaptured(['apply', ...policyArgs(), ...auditArgs(), '--json'], env(sim));
    expect(again.code).toBe(0);
    expect(parseJson<ApplyJson>(again.out).actions).toEqual([]);
  });

  describe('behind an API that refuses to remove one record', () => {
    let proxy: TamperingProxy | undefined;
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });

    it('splits the refused batch: the refused record fails alone, the other is removed', async () => {
      const sim = await world();
      const refuses = (body: unknown) => (body as { permissions?: string[] }).permissions?.includes(PADDED) === true;
      proxy = await startTamperingProxy(sim.url, async (req) =>
        req.method === 'POST' && req.path.endsWith('/permissions/action') && refuses(req.body)
          ? { status: 400, body: { error_code: 'EndPoint.3002', error_msg: 'Invalid permission.' } }
          : undefined,
      );
      const apply = await runCaptured(['apply', ...policyArgs(), ...auditArgs(), '--json'], env(sim, proxy.url));
      expect(apply.code).toBe(1);
      const applied = parseJson<ApplyJson>(apply.out).actions;
      expect(applied.map((a) => [a.permission, a.outcome, a.error?.code])).toEqual([
        [PADDED, 'failed', 'EndPoint.3002'],
        [`iam:domain::${DENIED}`, 'succeeded', undefined],
      ]);
      const batches = proxy.seen
        .filter((r) => r.method === 'POST')
        .map((r) => (r.body as { permissions: string[] }).permissions);
      expect(batches).toEqual([[PADDED, `iam:domain::${DENIED}`], [PADDED], [`iam:domain::${DENIED}`]]);
      expect(whitelistOf(sim)).toEqual([`iam:domain::${OWNER}`, `iam:domain::${PARTNER}`, ORG, PADDED]);
    });
  });
});
