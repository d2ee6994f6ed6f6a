import { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

import { generateState, Simulator, startSimulator } from '../../lib/simulator';
import { spawnCli } from '../support/cli-process';
import { listen, TestServer } from '../support/http-server';
import { consumerDomains, generatedStatePolicy } from '../support/scenarios';
import { gateOn, tempFiles } from '../support/simulator';

/**
 * Ctrl-C during a run (CONTRACT section 1), sent as a terminal sends it (SIGINT to the CLI's
 * process group): a listing page in flight is cut off and no new page is asked for; an accept
 * already sent runs to its answer and is recorded as what the API answered.
 */
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const AUTH = { HUAWEICLOUD_SDK_AK: 'AKINTERRUPT00000001', HUAWEICLOUD_SDK_SK: 'sk-interrupt' };
const files = tempFiles('vpcep-interrupt-', {
  'all.yaml': 'version: 1\nservices:\n  - rule: all\n    match: { name: "*" }\n    allow: []\n',
});

interface AuditEvent {
  type: string;
  subject?: string;
  data: Record<string, unknown>;
}

async function auditEvents(path: string): Promise<AuditEvent[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEvent);
}

/** Resolves once the child's stderr has said `text`. */
function saying(child: ChildProcess, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve) =>
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    }),
  );
}

/** Ctrl-C: SIGINT to the whole process group. */
const ctrlC = (child: ChildProcess) => process.kill(-child.pid!, 'SIGINT');

describe('SIGINT during a listing that never ends', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('cuts the page in flight off, asks for no other page, and ends the run with its events (exit 130)', async () => {
    let held: (() => void) | undefined;
    const heldPage = new Promise<void>((resolve) => (held = resolve));
    let answerHeld: (() => void) | undefined;
    const fullPage = (offset: number) => ({
      endpoint_services: Array.from({ length: 1000 }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(offset + i).padStart(12, '0')}`,
        approval_enabled: true,
      })),
    });
    // Full pages of new services, no total_count; the third page is held until the test answers it.
    server = await listen((req, res) => {
      const offset = Number(req.query.get('offset') ?? 0);
      if (offset !== 2000) return { body: fullPage(offset) };
      answerHeld = () =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(fullPage(offset)));
      held!();
      return undefined;
    });
    const audit = files.path('listing.jsonl');
    const { child, done } = spawnCli(
      ['apply', '--policy', files.path('all.yaml'), '--audit-file', audit],
      { VPCEP_ENDPOINT: server.url, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT, ...AUTH },
      { detached: true },
    );
    const interrupted = saying(child, 'interrupted (SIGINT)');
    await heldPage;
    const before = server.seen.length;
    ctrlC(child);
    // Once the CLI has taken the signal, the held page is answered: a client still waiting for it
    // would read it and ask for the next page.
    await interrupted;
    answerHeld!();
    const result = await done;

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('listServices (GET');
    expect(result.stderr).toContain('cut off in flight: the run was interrupted');
    expect(server.seen).toHaveLength(before);
    expect(before).toBe(3);
    const events = await auditEvents(audit);
    expect(events.at(-1)).toMatchObject({ type: 'vpcep.run.completed', data: { interrupted: true } });
  });
});

describe('SIGINT during a slow accept', () => {
  let sim: Simulator | undefined;
  afterEach(async () => sim?.stop());

  it('lets the accept run to its answer and records it succeeded, never "outcome unknown"', async () => {
    const state = generateState({ services: 1, connectionsPerService: 1, pendingRatio: 1, domains: 1, seed: 4 });
    const accept = gateOn((r) => r.route.endsWith('/connections/action'));
    sim = await startSimulator({ state, gate: accept.gate });
    const policy = files.path('allow.yaml');
    await writeFile(policy, generatedStatePolicy(state, { allow: consumerDomains(state) }));
    const audit = files.path('accept.jsonl');
    const { child, done } = spawnCli(
      ['apply', '--policy', policy, '--audit-file', audit],
      { VPCEP_ENDPOINT: sim.url, HUAWEICLOUD_SDK_PROJECT_ID: state.project_id, ...AUTH },
      { detached: true },
    );
    const interrupted = saying(child, 'interrupted (SIGINT)');
    await accept.arrival;
    ctrlC(child);
    await interrupted;
    accept.release();
    const result = await done;

    expect(result.code).toBe(130);
    const service = state.services[0]!;
    const connection = service.connections[0]!;
    expect(sim.state().services[0]!.connections[0]!.status).toBe('accepted');
    const events = await auditEvents(audit);
    const accepts = events.filter((e) => e.type === 'vpcep.connection.accept');
    expect(accepts).toHaveLength(1);
    expect(accepts[0]!.subject).toBe(`${service.id}/connections/${connection.id}`);
    expect(accepts[0]!.data.outcome).toBe('succeeded');
    expect(JSON.stringify(events)).not.toContain('outcome unknown');
    expect(events.at(-1)).toMatchObject({ type: 'vpcep.run.completed', data: { interrupted: true } });
  });
});
