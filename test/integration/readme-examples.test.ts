import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bundleSizes } from '../../bench/bundle-sizes';
import { generateState, loadSimulatorStateFile, startSimulator } from '../../lib/simulator';
import { runCaptured } from '../support/capture';
import { ROOT, spawnCli } from '../support/cli-process';
import { apiEnv, tempFiles } from '../support/simulator';
import { startLocalDynamoDb } from './support/dynamodb-server';

/**
 * The README's examples run as written: each test reads its example from README.md itself, so
 * the README cannot drift from what the program does. Where an example names a fixed port or an
 * output file, the test uses a free port and a temporary file instead; nothing else is changed.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const LINES = README.split('\n');

/** The README line that starts with `prefix` and does not contain `unless` (there must be exactly one). */
function readmeLine(prefix: string, unless?: string): string {
  const found = LINES.filter((l) => l.startsWith(prefix) && (unless === undefined || !l.includes(unless)));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The arguments of a `npx vpcep-approver ...` line, without its trailing `# comment`. */
function cliArgs(line: string): string[] {
  return line
    .replace(/\s+#.*$/, '')
    .replace(/^npx vpcep-approver\s+/, '')
    .split(/\s+/);
}

/** The text of the first fenced block after `marker`. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  expect(at).toBeGreaterThanOrEqual(0);
  const open = README.indexOf('```', at);
  const start = README.indexOf('\n', open) + 1;
  return README.slice(start, README.indexOf('```', start));
}

/** A pattern for a README line: `...` any text, `N` a number, every other character itself. */
function shape(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\\\.\\\.\\\./g, '.+').replace(/\bN\b/g, '\\d+')}$`);
}

/** The value an `export NAME=value` line of `block` gives NAME. */
function exported(block: string, name: string): string {
  const match = new RegExp(`^export .*\\b${name}=(\\S+)`, 'm').exec(block);
  expect(match).not.toBeNull();
  return match![1]!;
}

const CREDS = { ak: 'AK', sk: 'SK' };
const files = tempFiles('vpcep-readme-', {
  'my-policy.yaml': [
    'version: 1',
    'services:',
    '  - rule: partners',
    '    match: { name: "partner-*" }',
    '    allow:',
    '      - domain: 5fc973eea581490997e82ea11a1df31f',
    '  - rule: closed',
    '    match: { name: "svc-*" }',
    '    allow: []',
    '',
  ].join('\n'),
});

describe('README: Writing a policy', () => {
  it('shows policies/partners.yaml as it is', () => {
    expect(blockAfter('A real example\n(`policies/partners.yaml`)')).toBe(
      readFileSync(join(ROOT, 'policies/partners.yaml'), 'utf8'),
    );
  });

  it('shows what validate prints for policies/examples/broken-policy.yaml, and its exit status', async () => {
    const line = readmeLine('npx vpcep-approver validate policies/examples/broken-policy.yaml ', '--json');
    const shown: string[] = [];
    for (const l of LINES.slice(LINES.indexOf(line) + 1)) {
      if (!l.startsWith('# ')) break;
      shown.push(l.slice(2));
    }
    expect(shown).toHaveLength(3); // the summary and the two errors
    const run = await runCaptured(cliArgs(line));
    expect(line).toContain('exit 1');
    expect(run.code).toBe(1);
    expect(run.out.trimEnd().split('\n')).toEqual(shown);

    const json = await runCaptured(
      cliArgs(readmeLine('npx vpcep-approver validate policies/examples/broken-policy.yaml --json')),
    );
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ valid: false, errors: [{}, {}], warnings: [] });
  });

  it('shows a policy warning as plan prints it', async () => {
    const example = blockAfter('each on stderr before they start').trim();
    const sim = await startSimulator({
      state: generateState({ services: 1, connectionsPerService: 0 }),
      credentials: CREDS,
    });
    try {
      const policy = files.path('my-policy.yaml');
      const run = await runCaptured(['plan', '--policy', policy], apiEnv(sim, CREDS));
      expect(run.code).toBe(0);
      const pattern = shape(
        example.replace('my-policy.yaml', policy).replace(/\(line \d+, column \d+\)$/, '(line N, column N)'),
      );
      expect(run.err.split('\n').filter((l) => pattern.test(l))).toHaveLength(1);
    } finally {
      await sim.stop();
    }
  });
});

describe('README: When the API fails or throttles', () => {
  it.each([['plan'], ['apply', '--audit-file', '/dev/null']])(
    'shows the throttling warning as %s prints it',
    async (...command) => {
      const quoted = /log lines \(JSON, one a line\) such as\s+`([^`]+)`/.exec(README)?.[1];
      expect(quoted).toBeDefined();
      const sim = await startSimulator({
        state: generateState({ services: 2, connectionsPerService: 1 }),
        credentials: CREDS,
        faults: { rateLimitPerSecond: 2 },
      });
      try {
        const run = await runCaptured([...command, '--policy', files.path('my-policy.yaml')], apiEnv(sim, CREDS));
        expect(run.code).toBe(0);
        const throttled = run.err.split('\n').filter((l) => l.includes('429'));
        expect(throttled.length).toBeGreaterThan(0);
        for (const l of throttled) expect(l).toMatch(shape(quoted!));
      } finally {
        await sim.stop();
      }
    },
  );
});

describe('README: Rehearsing on the embedded simulator', () => {
  it('the --generate example starts on the state it describes and --save keeps it', async () => {
    const line = readmeLine('npx vpcep-approver simulator --port 4010 --generate ');
    const described = LINES[LINES.indexOf(line) + 1]!;
    const [, services, first, last, pending] =
      /^# (\d+) services \((\S+) to (\S+)\), ([\d,]+) pending connections/.exec(described)!;
    const dir = mkdtempSync(join(tmpdir(), 'vpcep-readme-generate-'));
    const args = cliArgs(line);
    args[args.indexOf('--port') + 1] = '0';
    args[args.indexOf('--save') + 1] = join(dir, 'state.json');
    const { child, done } = spawnCli(args, {});
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('close', () => reject(new Error(`the simulator ended before printing its URL`)));
      });
      // The CLI settings the README gives for the simulator reach the generated project.
      const settings = blockAfter('Point the CLI at it');
      const env = {
        VPCEP_ENDPOINT: url,
        HUAWEICLOUD_SDK_PROJECT_ID: exported(settings, 'HUAWEICLOUD_SDK_PROJECT_ID'),
        HUAWEICLOUD_SDK_AK: exported(settings, 'HUAWEICLOUD_SDK_AK'),
        HUAWEICLOUD_SDK_SK: exported(settings, 'HUAWEICLOUD_SDK_SK'),
      };
      const listed = await runCaptured(['services', '--json'], env);
      expect(listed.code).toBe(0);
      const names = (JSON.parse(listed.out) as { service_name: string }[]).map((s) => s.service_name).sort();
      expect([names.length, names[0], names[names.length - 1]]).toEqual([Number(services), first, last]);

      const saved = await loadSimulatorStateFile(join(dir, 'state.json'));
      const connections = saved.services.flatMap((s) => s.connections);
      expect(saved.services).toHaveLength(Number(services));
      expect(connections.filter((c) => c.status === 'pendingAcceptance')).toHaveLength(
        Number(pending!.replace(',', '')),
      );
      expect(connections).toHaveLength(Number(pending!.replace(',', '')));
    } finally {
      child.kill('SIGINT');
      await done;
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await done).code).toBe(0);
  });
});

describe('README: Calling the webhook (the local lease table)', () => {
  it('exports the dummy AWS credentials a run needs to use the local table it creates', async () => {
    const block = blockAfter('Locally, with any\nDynamoDB-compatible server');
    const exportsAt = block.indexOf('export AWS_ACCESS_KEY_ID=');
    expect(exportsAt).toBeGreaterThanOrEqual(0);
    expect(exportsAt).toBeLessThan(block.indexOf('aws dynamodb create-table'));
    const table = /--table-name (\S+)/.exec(block)![1]!;
    expect(block).toContain(`VPCEP_LEASE_TABLE=${table}`);

    const dynamo = await startLocalDynamoDb({ tableName: table });
    const sim = await startSimulator({
      state: await loadSimulatorStateFile(join(ROOT, 'policies/examples/demo-state.json')),
      credentials: CREDS,
    });
    try {
      // A separate process with only these settings: no AWS credentials from the machine.
      const run = await spawnCli(
        ['apply', '--policy', 'policies/examples/demo-policy.yaml', '--audit-file', files.path('audit.jsonl')],
        {
          ...apiEnv(sim, CREDS),
          AWS_ACCESS_KEY_ID: exported(block, 'AWS_ACCESS_KEY_ID'),
          AWS_SECRET_ACCESS_KEY: exported(block, 'AWS_SECRET_ACCESS_KEY'),
          AWS_REGION: exported(block, 'AWS_REGION'),
          VPCEP_LEASE_TABLE: table,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        },
      ).done;
      expect(run.stderr).not.toMatch(/credential/i);
      expect(run.code).toBe(0);
    } finally {
      await Promise.all([sim.stop(), dynamo.stop()]);
    }
  });
});

describe('README: Deploying', () => {
  it('quotes the bundle sizes npm run bench:bundle measures (within 10%)', async () => {
    const each = /about (\d+) KB of minified code each[^;]*`npm run bench:bundle`/.exec(README)?.[1];
    const archiver = /`archiver` \(fed by the audit queue, about (\d+) KB\)/.exec(README)?.[1];
    expect([each, archiver]).not.toContain(undefined);
    const sizes = new Map((await bundleSizes()).map((b) => [b.name, b.deployed]));
    const quoted: [string, number][] = [
      ['sweep', Number(each)],
      ['compliance', Number(each)],
      ['review', Number(each)],
      ['archiver', Number(archiver)],
    ];
    for (const [name, kb] of quoted) {
      const measured = sizes.get(name)! / 1000;
      expect([name, Math.abs(measured - kb) / measured <= 0.1]).toEqual([name, true]);
    }
  });
});
