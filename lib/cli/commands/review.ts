import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import { AuditSink } from '../../audit/sink';
import { loadAuditConfig } from '../../config';
import { createAuditSink, discardSink } from '../../deps';
import { ActionResult } from '../../engine/review';
import { DEFAULT_CONCURRENCY, RunSummary, runReview } from '../../engine/run';
import { ConfigError, UsageError } from '../../errors';
import { Scope } from '../../policy/evaluate';
import { formatProblem, loadPolicyFile } from '../../policy/load';
import { addConnectionOptions, ConnectionOptions } from '../connection';
import { CliContext } from '../context';
import { formatTable, printJson } from '../output';
import { createCliRunDeps } from '../review-deps';

interface ReviewCommandOptions extends ConnectionOptions {
  policy: string;
  scope: Scope;
  json?: boolean;
  concurrency: number;
}

/**
 * `plan` and `apply` (CONTRACT section 1): read live state, plan with the policy, and print
 * (plan) or carry out and audit (apply) the actions.
 */
export function registerPlanApply(program: Command, ctx: CliContext): void {
  const common = (command: Command) =>
    addConnectionOptions(
      command
        .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
        .addOption(new Option('--scope <scope>', 'sweep: pending connections and whitelists; compliance: everything, with revocation and drift').choices(['sweep', 'compliance']).default('sweep'))
        .option('--json', 'print one JSON document: {"actions", "left_pending", "drift"}')
        .option('--concurrency <n>', 'API calls in flight at once, across all services', positiveInt, DEFAULT_CONCURRENCY),
    );

  common(program.command('plan').description('read live state and print the actions the policy calls for; changes nothing'))
    .option('--detailed-exitcode', 'exit 2 when the plan is not empty (0 when empty, 1 on error)')
    .action(async (options: ReviewCommandOptions & { detailedExitcode?: boolean }) => {
      const summary = await execute(ctx, options, { dryRun: true, sink: discardSink, plan: true });
      if (summary.failed) ctx.exitCode = 1;
      else if (options.detailedExitcode && summary.actions.length > 0) ctx.exitCode = 2;
    });

  common(program.command('apply').description('carry out the actions the policy calls for and emit one audit event per action'))
    .option('--dry-run', 'change nothing: emit the events with outcome "planned"')
    .option('--audit-file <path>', 'append audit events to this JSON Lines file (with or instead of AUDIT_QUEUE_URL)')
    .addHelpText(
      'after',
      'Audit events go to --audit-file and/or the SQS queue named by AUDIT_QUEUE_URL (AWS SDK defaults for\n' +
        'region and credentials; AWS_ENDPOINT_URL_SQS for a local server). At least one is required: no\n' +
        'action is taken without its record.\n',
    )
    .action(async (options: ReviewCommandOptions & { dryRun?: boolean; auditFile?: string }) => {
      const queueUrl = await auditQueueFromEnv(ctx.env);
      const sink = createAuditSink({ queueUrl, file: options.auditFile });
      if (!sink) throw new UsageError('apply needs somewhere to record its audit events: give --audit-file PATH or set AUDIT_QUEUE_URL');
      const summary = await execute(ctx, options, { dryRun: options.dryRun === true, sink, plan: false });
      if (summary.failed) ctx.exitCode = 1;
    });
}

/**
 * AUDIT_QUEUE_URL, checked before anything is read or done: a valid URL (lib/config.ts), and an
 * AWS region for the SQS client, which would otherwise fail only when the first event is sent.
 */
async function auditQueueFromEnv(env: CliContext['env']): Promise<string | undefined> {
  const { auditQueueUrl } = loadAuditConfig(env);
  if (auditQueueUrl === undefined) return undefined;
  try {
    await new SQSClient({}).config.region();
  } catch {
    throw new ConfigError(`AUDIT_QUEUE_URL is set (${auditQueueUrl}) but no AWS region is: set AWS_REGION (or a profile with a region)`);
  }
  return auditQueueUrl;
}

async function execute(ctx: CliContext, options: ReviewCommandOptions, mode: { dryRun: boolean; sink: AuditSink; plan: boolean }): Promise<RunSummary> {
  const loaded = await loadPolicyFile(options.policy);
  for (const w of loaded.warnings) ctx.stderr.write(`warning: ${options.policy}: ${formatProblem(w)}\n`);
  const deps = createCliRunDeps(ctx, options, mode.sink);
  const progress = progressReporter(ctx);
  let summary: RunSummary;
  try {
    summary = await runReview(deps, loaded.policy, {
      scope: options.scope,
      dryRun: mode.dryRun,
      trigger: 'cli',
      runId: randomUUID(),
      projectId: deps.projectId,
      policySha256: loaded.sha256,
      concurrency: options.concurrency,
      deadline: deps.deadline,
      onProgress: progress,
    });
  } finally {
    await deps.auditor.close().catch((err: unknown) => {
      ctx.stderr.write(`error: audit trail not closed cleanly: ${(err as Error).message}\n`);
      ctx.exitCode = 1;
    });
  }
  const stats = deps.client.stats();
  if (options.json) {
    printJson(ctx, {
      actions: summary.actions.map((a) => actionJson(a, mode.plan)),
      left_pending: summary.left_pending,
      drift: summary.drift,
    });
  } else {
    ctx.stdout.write(renderSummary(summary, mode.plan, stats.requests));
  }
  if (summary.audit_error) ctx.stderr.write(`error: audit trail failed: ${summary.audit_error}; unsent events were written to stderr as fallback lines\n`);
  if (summary.error) ctx.stderr.write(`error: cannot list the endpoint services: ${summary.error.code}: ${summary.error.message}\n`);
  for (const f of summary.failures) ctx.stderr.write(`error: ${f.service_id}${f.endpoint_id ? `/${f.endpoint_id}` : ''}${f.type ? ` ${f.type}` : ''}: ${f.error.code}: ${f.error.message}\n`);
  if (summary.unfinished.length > 0) ctx.stderr.write(`error: ${summary.unfinished.length} service(s) not reviewed: ${summary.unfinished.join(', ')}\n`);
  return summary;
}

/** CONTRACT section 1: an Action, with `outcome` only from apply. */
function actionJson(a: ActionResult, plan: boolean): Record<string, unknown> {
  const { outcome, note, error, ...action } = a;
  return plan ? action : { ...action, outcome, ...(note !== undefined && { note }), ...(error !== undefined && { error }) };
}

/** A progress line on stderr, at most one a second, for runs long enough to need one. */
function progressReporter(ctx: CliContext) {
  let last = Date.now();
  return ({ done, total }: { done: number; total: number }) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    if (done === total && total < 50) return;
    last = now;
    ctx.stderr.write(`progress: ${done}/${total} services reviewed\n`);
  };
}

function renderSummary(summary: RunSummary, plan: boolean, apiCalls: number): string {
  const out: string[] = [];
  const s = summary.services;
  out.push(`${plan ? 'Plan' : summary.dry_run ? 'Dry run' : 'Apply'} (scope ${summary.scope}): ${s.total} service(s), ${s.managed} managed, ${s.total - s.managed - s.unfinished} unmanaged`);
  out.push('');
  if (summary.actions.length === 0) out.push('No actions: every managed service is as the policy wants it.');
  else
    out.push(
      formatTable(summary.actions, [
        { header: 'ACTION', value: (a) => a.type },
        { header: 'SERVICE', value: (a) => a.service_id },
        { header: 'TARGET', value: (a) => a.endpoint_id ?? a.permission },
        { header: 'DOMAIN', value: (a) => a.domain_id },
        ...(plan ? [] : [{ header: 'OUTCOME', value: (a: ActionResult) => (a.note ? `${a.outcome} (${a.note})` : a.outcome) }]),
        { header: 'RULE', value: (a) => a.rule },
        { header: 'REASON', value: (a) => a.reason },
      ]).trimEnd(),
    );
  if (summary.left_pending.length > 0) {
    out.push('', `Left pending (${summary.left_pending.length}):`);
    out.push(
      formatTable(summary.left_pending, [
        { header: 'SERVICE', value: (p) => p.service_id },
        { header: 'ENDPOINT', value: (p) => p.endpoint_id },
        { header: 'DOMAIN', value: (p) => p.domain_id },
        { header: 'RULE', value: (p) => p.rule },
        { header: 'REASON', value: (p) => p.reason },
      ]).trimEnd(),
    );
  }
  if (summary.drift.length > 0) {
    out.push('', `Drift (${summary.drift.length}):`);
    out.push(
      formatTable(summary.drift, [
        { header: 'KIND', value: (d) => d.kind },
        { header: 'SERVICE', value: (d) => d.service_id },
        { header: 'RULE', value: (d) => d.rule },
        { header: 'DETAIL', value: (d) => d.detail },
      ]).trimEnd(),
    );
  }
  const counts = Object.entries(summary.counts).map(([type, c]) => `${type} ${[c.succeeded && `${c.succeeded} succeeded`, c.failed && `${c.failed} failed`, c.planned && `${c.planned} planned`].filter(Boolean).join(', ')}`);
  out.push('', `Summary: ${counts.length > 0 ? counts.join('; ') : 'no actions'}; ${summary.left_pending.length} left pending; ${summary.failures.length} failure(s); ${apiCalls} API call(s); run ${summary.run_id}`);
  return `${out.join('\n')}\n`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer (got "${value}")`);
  return n;
}
