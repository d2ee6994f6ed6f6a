import { runCaptured } from '../support/capture';
import { OWNER, PARTNER, PAYMENTS } from '../support/ids';
import { parseJson, PlanJson } from '../support/json';
import { paymentsPolicy } from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

/**
 * A `failed` service or connection (reference 4.2.2, 4.2.5, 4.2.6): the simulator lists its
 * `error`, the client keeps it, and compliance reports a failed service as drift
 * `service-failed` with that error (CONTRACT sections 2 and 6).
 */
const AK = 'TESTAKFAILED00000001';
const SK = 'test-secret-key-failed';
const ERROR = [{ error_code: 'EndPoint.3001', error_message: 'Failed to create a port.' }];

const files = tempFiles('vpcep-failed-', { 'policy.yaml': paymentsPolicy({ allow: [{ domain: PARTNER }] }) });

const start = simulatorPerTest();
const failedWorld = () =>
  start({
    credentials: { ak: AK, sk: SK },
    state: {
      domain_id: OWNER,
      services: [
        {
          id: PAYMENTS,
          service_name: 'payments',
          status: 'failed',
          error: ERROR,
          connections: [
            { id: 'ep-failed', domain_id: PARTNER, status: 'failed' },
            { id: 'ep-ok', domain_id: PARTNER, status: 'accepted' },
          ],
          permissions: [{ id: 'w-1', permission: `iam:domain::${PARTNER}` }],
        },
      ],
    },
  });

describe('a failed service or connection', () => {
  it('is listed with the API error by the client (services, connections)', async () => {
    const sim = await failedWorld();
    const services = await runCaptured(['services', '--json'], apiEnv(sim, { ak: AK, sk: SK }));
    expect(services.code).toBe(0);
    expect(parseJson<{ id: string; status: string; error?: unknown }[]>(services.out)).toEqual([
      expect.objectContaining({ id: PAYMENTS, status: 'failed', error: ERROR }),
    ]);

    const connections = await runCaptured(['connections', PAYMENTS, '--json'], apiEnv(sim, { ak: AK, sk: SK }));
    expect(connections.code).toBe(0);
    const listed = parseJson<{ id: string; error?: unknown }[]>(connections.out);
    // 4.2.6: the error is listed only in status failed, here the simulator's default one.
    expect(listed.find((c) => c.id === 'ep-failed')?.error).toEqual([
      { error_code: 'EndPoint.0001', error_message: 'System error. Please retry.' },
    ]);
    expect(listed.find((c) => c.id === 'ep-ok')).not.toHaveProperty('error');
  });

  it('is reported by compliance as drift service-failed, with the error', async () => {
    const sim = await failedWorld();
    const run = await runCaptured(
      ['plan', '--policy', files.path('policy.yaml'), '--scope', 'compliance', '--json'],
      apiEnv(sim, { ak: AK, sk: SK }),
    );
    expect(run.code).toBe(0);
    const drift = parseJson<PlanJson>(run.out).drift;
    expect(drift).toContainEqual({
      kind: 'service-failed',
      service_id: PAYMENTS,
      rule: 'payments',
      error: ERROR,
      detail: `service payments (${PAYMENTS}) is in status failed (EndPoint.3001: Failed to create a port.)`,
    });
  });
});
