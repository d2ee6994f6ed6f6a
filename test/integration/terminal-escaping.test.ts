import { runCaptured } from '../support/capture';
import { PAYMENTS, STRANGER, UNMANAGED } from '../support/ids';
import { paymentsScenario, scenarioConnection } from '../support/scenarios';
import { apiEnv, simulatorPerTest, tempFiles } from '../support/simulator';

/**
 * Strings from outside in the terminal (CONTRACT 1, output): a service name from the API and a
 * rule label from the policy, each with a newline and an ANSI colour sequence, are printed by
 * `plan` as one table row each, the newline shown as `\n` and ESC as `\u001b`, so they can
 * neither forge a row nor recolour the terminal.
 */
const CREDS = { ak: 'ESCAPEAK000000000001', sk: 'escape-secret' };
const HOSTILE_SERVICE = 'internal\nconnection.accept  forged-row\u001b[31m';
const HOSTILE_LABEL = 'pay\n\u001b[31mred\u001b[0m';

describe('plan in the terminal', () => {
  const start = simulatorPerTest();
  const files = tempFiles('vpcep-escape-', {
    'hostile.yaml': `version: 1\ndefaults:\n  whitelist: off\nservices:\n  - rule: ${JSON.stringify(HOSTILE_LABEL)}\n    match: { id: ${PAYMENTS} }\n`,
  });

  it('prints a hostile service name and rule label on their row, escaped', async () => {
    const sim = await start({
      state: paymentsScenario({ connections: [scenarioConnection(1, STRANGER)] }, [
        { id: UNMANAGED, service_name: HOSTILE_SERVICE },
      ]),
      credentials: CREDS,
    });
    const run = await runCaptured(
      ['plan', '--policy', files.path('hostile.yaml'), '--scope', 'compliance'],
      apiEnv(sim, CREDS),
    );
    expect(run.code).toBe(0);
    expect(run.out).not.toContain('\u001b');
    expect(run.out).not.toContain('forged-row\n');
    const lines = run.out.split('\n');
    // The left-pending row: the label stays on the connection's line.
    expect(lines.filter((l) => l.includes(scenarioConnection(1, STRANGER).id))).toEqual([
      expect.stringContaining('pay\\n\\u001b[31mred\\u001b[0m'),
    ]);
    // The unmanaged drift row: the service name stays on the service's line.
    expect(lines.filter((l) => l.startsWith('unmanaged'))).toEqual([
      expect.stringContaining(`internal\\nconnection.accept  forged-row\\u001b[31m (${UNMANAGED})`),
    ]);
    expect(lines.filter((l) => l.includes('forged-row'))).toHaveLength(1);
  });
});
