import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadSimulatorStateFile, Simulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { parseJson } from '../support/json';
import { apiEnv, simulatorPerTest } from '../support/simulator';

/**
 * `plan --against` and `plan --format markdown` end to end: the real CLI and client, signed HTTP
 * to the simulator serving policies/examples/demo-state.json, and two small policies written
 * against it (test/fixtures/policies/change/), the new one with a hostile rule label.
 */
const ROOT = join(__dirname, '../..');
const CREDS = { ak: 'TESTAKAGAINST0000001', sk: 'test-secret-key-against' };
const OLD = 'test/fixtures/policies/change/old.yaml';
const NEW = 'test/fixtures/policies/change/new.yaml';
const HOSTILE = '[x](http://evil) @team <img src=x> | `rm` *bold*';
const PAYMENTS = '4189d3c2-8882-4871-a3c2-d380272eed88';
const ANALYTICS = '5133655d-0e28-4090-b669-13f87b355c78';

interface DiffJson {
  added: { type: string; service_id: string; endpoint_id?: string; rule: string; held?: true }[];
  removed: DiffJson['added'];
  changed: { before: DiffJson['added'][number]; after: DiffJson['added'][number] }[];
  left_pending: Record<'added' | 'removed' | 'changed', { endpoint_id: string }[]>;
  drift: Record<'added' | 'removed', { kind: string; service_id: string }[]>;
}

const start = simulatorPerTest();
const demo = async () =>
  start({ state: await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json')), credentials: CREDS });
const plan = (sim: Simulator, args: string[]) => runCaptured(['plan', ...args], apiEnv(sim, CREDS));
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/markdown', name), 'utf8');

describe('plan --against', () => {
  it('lists exactly the decisions the change makes differently, from one read of each listing', async () => {
    const sim = await demo();
    const run = await plan(sim, ['--policy', NEW, '--against', OLD, '--json', '--detailed-exitcode']);
    expect([run.code, run.err]).toEqual([2, expect.not.stringContaining('error')]);
    const diff = parseJson<DiffJson>(run.out);
    const target = (a: DiffJson['added'][number]) => [a.type, a.service_id, a.endpoint_id, a.rule];
    // analytics is managed now: its stranger's accepted connection is revoked.
    expect(diff.added.map(target)).toEqual([
      ['connection.reject', ANALYTICS, '9f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19', HOSTILE],
    ]);
    // The deny entry is gone: the bad actor's connection is no longer rejected but left pending.
    expect(diff.removed.map(target)).toEqual([
      ['connection.reject', PAYMENTS, '03184a04-95d5-4555-86c4-e767a371ff99', 'payments'],
    ]);
    // The pilot partner, rejected as a stranger before, is accepted now.
    expect(diff.changed.map((c) => [target(c.before), target(c.after)])).toEqual([
      [
        ['connection.reject', PAYMENTS, '705290f3-0d00-41f2-aedc-71f09844e879', 'payments'],
        ['connection.accept', PAYMENTS, '705290f3-0d00-41f2-aedc-71f09844e879', 'payments'],
      ],
    ]);
    expect(diff.left_pending).toEqual({
      added: [expect.objectContaining({ endpoint_id: '03184a04-95d5-4555-86c4-e767a371ff99' })],
      removed: [],
      changed: [],
    });
    expect(diff.drift).toEqual({
      added: [expect.objectContaining({ kind: 'accepted-not-allowed', service_id: ANALYTICS })],
      removed: [expect.objectContaining({ kind: 'unmanaged', service_id: ANALYTICS })],
    });
    // One compliance read: no listing was asked for twice, and nothing was changed.
    const reads = sim.log().map((r) => `${r.method} ${r.path}?${r.query}`);
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads).size).toBe(reads.length);
    expect(sim.log().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('finds no difference between a policy and itself: exit 0 with --detailed-exitcode', async () => {
    const sim = await demo();
    const json = await plan(sim, ['--policy', OLD, '--against', OLD, '--json', '--detailed-exitcode']);
    expect(json.code).toBe(0);
    expect(parseJson<DiffJson>(json.out)).toEqual({
      added: [],
      removed: [],
      changed: [],
      left_pending: { added: [], removed: [], changed: [] },
      drift: { added: [], removed: [] },
    });
    const text = await plan(sim, ['--policy', OLD, '--against', OLD]);
    expect(text.out).toContain('No differences: both policies decide the same on this state.');
  });

  it('prints the differences as tables by default', async () => {
    const sim = await demo();
    const run = await plan(sim, ['--policy', NEW, '--against', OLD]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /^Policy change \(scope compliance\): .* 1 added, 1 removed, 1 changed; left pending: 1 added/,
    );
    expect(run.out).toMatch(
      /705290f3-0d00-41f2-aedc-71f09844e879 +connection\.reject, rule payments: .* +connection\.accept, rule payments/,
    );
  });

  it('is refused with apply, with --scope sweep, and --json is refused beside another --format', async () => {
    const sim = await demo();
    const apply = await runCaptured(
      ['apply', '--policy', NEW, '--against', OLD, '--dry-run', '--audit-file', '/dev/null'],
      apiEnv(sim, CREDS),
    );
    expect([apply.code, apply.err]).toEqual([1, expect.stringContaining(`--against ${OLD} is for plan only`)]);
    const sweep = await plan(sim, ['--policy', NEW, '--against', OLD, '--scope', 'sweep']);
    expect([sweep.code, sweep.err]).toEqual([
      1,
      expect.stringContaining('--scope sweep cannot be given with --against'),
    ]);
    const both = await plan(sim, ['--policy', NEW, '--json', '--format', 'markdown']);
    expect([both.code, both.err]).toEqual([1, expect.stringContaining('--json is --format json')]);
    expect(sim.log()).toEqual([]);
  });
});

describe('plan --format markdown', () => {
  it('prints the plan for a pull request: the revocation banner, the decisions by service, every string escaped', async () => {
    const sim = await demo();
    const run = await plan(sim, ['--policy', NEW, '--scope', 'compliance', '--format', 'markdown']);
    expect(run.code).toBe(0);
    expect(run.out).toBe(fixture('plan.md'));
    // The pilot partner's hostile name, in the reason of its accept, is escaped like the label.
    expect(run.out).toContain(
      'domain 0a1b2c3d4e5f60718293a4b5c6d7e8f9 \\(Pilot \\[x\\]\\(http:&#8203;//evil\\) @&#8203;team &lt;img src=x&gt;\\) allowed by',
    );
    for (const raw of ['<img', '](http', '@team', 'http://']) expect(run.out).not.toContain(raw);
  });

  it('with --against, prints what the change decides differently, under the banner of what the cap would hold', async () => {
    const sim = await demo();
    const run = await plan(sim, [
      '--policy',
      NEW,
      '--against',
      OLD,
      '--format',
      'markdown',
      '--allow-revocations',
      '0',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toBe(fixture('plan-against.md'));
    for (const raw of ['<img', '](http', '@team', '| `rm`', 'http://']) expect(run.out).not.toContain(raw);
    expect(run.out).toContain('\\[x\\]\\(http:&#8203;//evil\\) @&#8203;team &lt;img src=x&gt; \\| \\`rm\\` \\*bold\\*');
  });
});
