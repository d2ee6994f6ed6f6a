import { Simulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { OWNER, PARTNER, PAYMENTS } from '../support/ids';
import { ApplyJson, parseJson, readJsonLines } from '../support/json';
import { paymentsPolicy } from '../support/scenarios';
import { simulatorPerTest, tempFiles } from '../support/simulator';
import { ProxiedRequest, ProxyAnswer, startTamperingProxy, TamperingProxy } from './support/tampering-proxy';

/**
 * Nothing is recorded as done that the API did not confirm (CONTRACT section 1): an accept
 * counts as done when 4.2.7's answer lists that endpoint accepted; otherwise one follow-up read
 * of the endpoint decides, and an accept it does not confirm is failed with code UNCONFIRMED.
 * The API is the simulator behind a proxy that answers 4.2.7 as no honest VPCEP would.
 */
const TOKEN = 'unconfirmed-decisions-token';
const ENDPOINT = 'ep-partner-1';
const connection = (status: 'pendingAcceptance' | 'accepted') => ({
  id: ENDPOINT,
  status,
  marker_id: 16777216,
  domain_id: PARTNER,
  created_at: '2026-10-02T00:00:00Z',
  updated_at: '2026-10-02T00:00:00Z',
});
/** The reference's own 4.2.7 example answer: about another endpoint than the one in its request. */
const REFERENCE_EXAMPLE = {
  connections: [
    {
      id: '4189d3c2-8882-4871-a3c2-d380272eed83',
      status: 'accepted',
      marker_id: '422321321312321321',
      domain_id: '6e9dfd51d1124e8d8498dce894923a0d',
      created_at: '2018-01-30T07:42:01Z',
      updated_at: '2018-01-30T07:42:01Z',
    },
  ],
};

const files = tempFiles('vpcep-unconfirmed-', {
  'policy.yaml': paymentsPolicy({ defaults: { whitelist: 'off' }, allow: [{ domain: PARTNER }] }),
});

const start = simulatorPerTest();
const world = () =>
  start({
    tokens: [TOKEN],
    state: {
      domain_id: OWNER,
      services: [{ id: PAYMENTS, service_name: 'payments', connections: [connection('pendingAcceptance')] }],
    },
  });
const statusOf = (sim: Simulator) => sim.state().services[0]!.connections[0]!.status;
const isDecision = (req: ProxiedRequest) => req.method === 'POST' && req.path.endsWith('/connections/action');
const followUpReads = (proxy: TamperingProxy) =>
  proxy.seen.filter((r) => r.method === 'GET' && r.path.endsWith('/connections') && r.query.get('id') === ENDPOINT);

/** Runs `apply` through `url` (the proxy or the simulator itself); its JSON, exit status and audit events. */
async function apply(sim: Simulator, url: string, audit: string) {
  const run = await runCaptured(
    ['apply', '--policy', files.path('policy.yaml'), '--audit-file', files.path(audit), '--json'],
    { VPCEP_ENDPOINT: url, HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId, HUAWEICLOUD_SDK_AUTH_TOKEN: TOKEN },
  );
  const [action] = parseJson<ApplyJson>(run.out).actions;
  const events = await readJsonLines(files.path(audit));
  return { code: run.code, action: action!, event: events.find((e) => e.type === 'vpcep.connection.accept')! };
}

describe('an accept the API answers without confirming it', () => {
  let proxy: TamperingProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  const unapplied: [string, ProxyAnswer['body'], string][] = [
    ['an empty list', { connections: [] }, 'an empty list'],
    [
      'the connection still pendingAcceptance',
      { connections: [connection('pendingAcceptance')] },
      'it pendingAcceptance',
    ],
  ];
  it.each(unapplied)(
    'answered 200 with %s and not carried out: failed UNCONFIRMED after one follow-up read; the next run does it',
    async (_, body, said) => {
      const sim = await world();
      proxy = await startTamperingProxy(sim.url, async (req) => (isDecision(req) ? { status: 200, body } : undefined));
      const first = await apply(sim, proxy.url, `unapplied-${said}.jsonl`);
      expect(first.code).toBe(1);
      expect(first.action).toMatchObject({ type: 'connection.accept', endpoint_id: ENDPOINT, outcome: 'failed' });
      expect(first.action.error).toEqual({
        code: 'UNCONFIRMED',
        message: `the API answered the accept of ${ENDPOINT} with ${said}, and a follow-up read found it pendingAcceptance, not accepted`,
      });
      expect(first.event.data).toMatchObject({ outcome: 'failed', error: { code: 'UNCONFIRMED' } });
      expect(followUpReads(proxy)).toHaveLength(1);
      expect(statusOf(sim)).toBe('pendingAcceptance');

      const next = await apply(sim, sim.url, `next-${said}.jsonl`);
      expect([next.code, next.action.outcome]).toEqual([0, 'succeeded']);
      expect(statusOf(sim)).toBe('accepted');
    },
  );

  it("answered about another endpoint (4.2.7's example) but carried out: succeeded, confirmed by one follow-up read", async () => {
    const sim = await world();
    proxy = await startTamperingProxy(sim.url, async (req, forward) =>
      isDecision(req) ? { ...(await forward()), body: REFERENCE_EXAMPLE } : undefined,
    );
    const run = await apply(sim, proxy.url, 'other-id.jsonl');
    expect(run.code).toBe(0);
    expect(run.action).toMatchObject({ outcome: 'succeeded', note: 'confirmed accepted by a follow-up read' });
    expect(run.event.data).toMatchObject({ outcome: 'succeeded' });
    expect(followUpReads(proxy)).toHaveLength(1);
    expect(statusOf(sim)).toBe('accepted');
  });

  it('answered honestly: succeeded with no further call', async () => {
    const sim = await world();
    proxy = await startTamperingProxy(sim.url, async () => undefined);
    const run = await apply(sim, proxy.url, 'honest.jsonl');
    expect([run.code, run.action.outcome, run.action.note]).toEqual([0, 'succeeded', undefined]);
    expect(followUpReads(proxy)).toEqual([]);
    expect(proxy.seen.findIndex(isDecision)).toBe(proxy.seen.length - 1);
  });
});
