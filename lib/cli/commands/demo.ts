import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';

import { DEFAULT_MAX_REVOCATIONS } from '../../config';
import { createRunDepsFactory } from '../../deps';
import { runReview, RunSummary } from '../../engine/run';
import { silentLogger } from '../../logger';
import { isWildcardPermission, permissionDomain } from '../../model';
import { loadPolicyFile } from '../../policy/load';
import { Scope, SCOPES } from '../../policy/plan';
import { loadSimulatorStateFile, SimulatorState, startSimulator } from '../../simulator';
import { CliContext } from '../context';
import { formatTable } from '../output';

const ROOT = resolve(__dirname, '../../..');
export const DEMO_STATE = join(ROOT, 'policies/examples/demo-state.json');
export const DEMO_POLICY = join(ROOT, 'policies/examples/demo-policy.yaml');

/**
 * `vpcep-approver demo` (what `npm start` runs): the embedded simulator with a built-in scenario,
 * a sweep and a compliance run with a bundled policy, over signed HTTP exactly as against the
 * real API, and a before/after account of what happened and where the audit events went.
 */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'run a sweep and a compliance run against the embedded simulator with a bundled policy, and show what happened',
    )
    .option('--out <dir>', 'folder for the audit events (JSON Lines)', 'out')
    .action(async (options: { out: string }) => {
      const loaded = await loadPolicyFile(DEMO_POLICY);
      const initial = await loadSimulatorStateFile(DEMO_STATE);
      // Fresh credentials each run: the demo signs every request like a real deployment would.
      const credentials = {
        ak: `DEMO${randomBytes(8).toString('hex').toUpperCase()}`,
        sk: randomBytes(24).toString('base64url'),
      };
      const sim = await startSimulator({ state: initial, credentials });
      const auditFile = resolve(options.out, 'demo-audit.jsonl');
      await mkdir(options.out, { recursive: true });
      await rm(auditFile, { force: true });
      const w = (s = '') => ctx.stdout.write(`${s}\n`);
      try {
        w('vpcep-approver demo');
        w(`  simulator ${sim.url} (project ${sim.projectId}), state ${relative(DEMO_STATE)}`);
        w(`  policy    ${relative(DEMO_POLICY)}`);
        for (const warning of loaded.warnings) w(`  note      ${warning.path}: ${warning.message}`);
        w();
        const before = sim.state();
        const summaries: [Scope, RunSummary][] = [];
        const runDeps = createRunDepsFactory({
          connection: { endpoint: sim.url, projectId: sim.projectId },
          audit: { file: auditFile },
          fallback: ctx.stderr,
        });
        for (const scope of SCOPES) {
          const deps = runDeps({ credentials, logger: silentLogger });
          const summary = await runReview(deps, loaded.policy, {
            run: {
              runId: randomUUID(),
              projectId: sim.projectId,
              trigger: 'cli',
              dryRun: false,
              policySha256: loaded.sha256,
            },
            scope,
            revocationCap: { max: DEFAULT_MAX_REVOCATIONS, lifted: false },
          });
          await deps.auditor.close();
          summaries.push([scope, summary]);
          w(
            `== ${scope === 'sweep' ? '1. Sweep (the every-5-minutes job)' : '2. Compliance run (the daily job)'}: ${deps.client.stats().requests} signed API calls`,
          );
          w(renderRun(summary));
        }
        w('== 3. Before and after');
        w(renderBeforeAfter(before, sim.state()));
        const events = (await readFile(auditFile, 'utf8'))
          .trimEnd()
          .split('\n')
          .map((l) => (JSON.parse(l) as { type: string }).type);
        const byType = [...new Set(events)].map((t) => `${events.filter((e) => e === t).length} ${t}`).join(', ');
        w(`Audit: ${events.length} CloudEvents appended to ${relative(auditFile)}: ${byType}.`);
        w('Try it on your own policy: npx vpcep-approver validate <file>, then plan/apply (see README).');
        if (summaries.some(([, s]) => s.failed)) ctx.exitCode = 1;
      } finally {
        await sim.stop();
      }
    });
}

function renderRun(summary: RunSummary): string {
  const out: string[] = [];
  if (summary.actions.length > 0) {
    out.push(
      formatTable(summary.actions, [
        { header: 'ACTION', value: (a) => a.type },
        { header: 'RULE', value: (a) => a.rule },
        {
          header: 'TARGET',
          value: (a) =>
            a.endpoint_id
              ? `endpoint ${short(a.endpoint_id)}`
              : a.permission
                ? `whitelist ${short(permissionDomain(a.permission) ?? a.permission)}`
                : '-',
        },
        { header: 'OUTCOME', value: (a) => a.outcome },
        { header: 'REASON', value: (a) => a.reason },
      ]).trimEnd(),
    );
  } else out.push('no actions');
  if (summary.left_pending.length > 0) {
    out.push('', 'left pending:');
    out.push(
      formatTable(summary.left_pending, [
        { header: 'RULE', value: (p) => p.rule },
        { header: 'ENDPOINT', value: (p) => short(p.endpoint_id) },
        { header: 'REASON', value: (p) => p.reason },
      ]).trimEnd(),
    );
  }
  if (summary.drift.length > 0) {
    out.push('', 'drift found (state before this run):');
    out.push(
      formatTable(summary.drift, [
        { header: 'KIND', value: (d) => d.kind },
        { header: 'RULE / SERVICE', value: (d) => d.rule ?? `service ${short(d.service_id)}` },
        { header: 'DETAIL', value: (d) => d.detail },
      ]).trimEnd(),
    );
  }
  return `${out.join('\n')}\n`;
}

function renderBeforeAfter(before: SimulatorState, after: SimulatorState): string {
  const rows: { service: string; item: string; domain: string; before: string; after: string }[] = [];
  for (const svc of before.services) {
    const now = after.services.find((s) => s.id === svc.id)!;
    rows.push({
      service: svc.service_name,
      item: 'approval_enabled',
      domain: '',
      before: String(svc.approval_enabled),
      after: String(now.approval_enabled),
    });
    for (const c of svc.connections) {
      rows.push({
        service: svc.service_name,
        item: `connection ${short(c.id)}`,
        domain: short(c.domain_id),
        before: c.status,
        after: now.connections.find((x) => x.id === c.id)?.status ?? 'gone',
      });
    }
    const perms = new Set([...svc.permissions, ...now.permissions].map((p) => p.permission));
    for (const p of perms) {
      const had = svc.permissions.some((x) => x.permission === p);
      const has = now.permissions.some((x) => x.permission === p);
      rows.push({
        service: svc.service_name,
        item: `whitelist ${isWildcardPermission(p) ? '*' : 'record'}`,
        domain: isWildcardPermission(p) ? '' : short(permissionDomain(p) ?? p),
        before: had ? 'present' : '-',
        after: has ? 'present' : '-',
      });
    }
  }
  return formatTable(rows, [
    { header: 'SERVICE', value: (r) => r.service },
    { header: 'WHAT', value: (r) => r.item },
    { header: 'DOMAIN', value: (r) => r.domain },
    { header: 'BEFORE', value: (r) => r.before },
    { header: 'AFTER', value: (r) => (r.after === r.before ? r.after : `${r.after}  <- changed`) },
  ]);
}

function short(id: string | undefined): string {
  return id === undefined ? '-' : id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function relative(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}
