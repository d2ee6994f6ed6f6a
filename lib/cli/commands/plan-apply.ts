import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';

import { Auditor } from '../../audit/auditor';
import { actionSubject } from '../../audit/event';
import { AuditSink } from '../../audit/sink';
import { DEFAULT_MAX_REVOCATIONS, loadAuditConfig, loadRunControls } from '../../config';
import { createAuditSink, createSqsClient, discardSink } from '../../deps';
import { DEFAULT_CONCURRENCY, runReview, RunSummary } from '../../engine/run';
import { ConfigError, UsageError } from '../../errors';
import { Action, ActionResult } from '../../model';
import { loadPolicyFile } from '../../policy/load';
import { Scope, SCOPES } from '../../policy/plan';
import { formatProblem } from '../../policy/problems';
import { RevocationCap } from '../../policy/revocations';
import { addApiOptions, ApiOptions } from '../api-options';
import { CliContext, signalExitCode, StopSignal } from '../context';
import { formatTable, printJson } from '../output';
import { createCliRunDeps } from '../run-deps';

interface ReviewCommandOptions extends ApiOptions {
  policy: string;
  scope: Scope;
  json?: boolean;
  concurrency: number;
  allowRevocations?: number;
}

/** Most API calls in flight a person may ask for: beyond it the API's rate limit, not latency, decides. */
export const MAX_CONCURRENCY = 64;

const RUN_HELP =
  '\nLeases: with VPCEP_LEASE_TABLE (a DynamoDB table; AWS_ENDPOINT_URL_DYNAMODB for a local server) each\n' +
  'service is leased before anything is done to it, so this run never acts on a service at the same time as\n' +
  'the scheduled functions or another person; a service whose lease is held is skipped ("being reviewed by run\n' +
  '<id>", not a failure). Without VPCEP_LEASE_TABLE this command runs unleased.\n' +
  '\nInterrupting (Ctrl-C, SIGTERM): no new action starts, the calls in flight are waited for and recorded, the\n' +
  'run ends with run.completed marked interrupted, exit 130 / 143. A second Ctrl-C exits at once, writing\n' +
  'every unsent event and one "unrecorded:" line per call still in flight to stderr.\n';

/**
 * `plan` and `apply` (CONTRACT section 1): read live state, plan with the policy, and print
 * (plan) or carry out and audit (apply) the actions.
 */
export function registerPlanApply(program: Command, ctx: CliContext): void {
  const common = (command: Command) =>
    addApiOptions(
      command
        .requiredOption('--policy <file>', 'policy file (YAML or JSON)')
        .addOption(
          new Option(
            '--scope <scope>',
            'sweep: pending connections and whitelists; compliance: everything, with revocation and drift',
          )
            .choices(SCOPES)
            .default('sweep'),
        )
        .option('--json', 'print one JSON document: {"actions", "left_pending", "drift", "skipped"}')
        .option(
          '--concurrency <n>',
          `API calls in flight at once, across all services (1 to ${MAX_CONCURRENCY})`,
          concurrencyOption,
          DEFAULT_CONCURRENCY,
        )
        .option(
          '--allow-revocations <n>',
          `lift the revocation cap (VPCEP_MAX_REVOCATIONS, default ${DEFAULT_MAX_REVOCATIONS}) to N for this run`,
          countOption('--allow-revocations'),
        ),
    );

  common(
    program.command('plan').description('read live state and print the actions the policy calls for; changes nothing'),
  )
    .option(
      '--detailed-exitcode',
      'exit 2 when the plan is not empty, also when the cap would hold some of it (0 when empty, 1 on error)',
    )
    .addHelpText(
      'after',
      '\nThe cap: revocations that apply would hold (VPCEP_MAX_REVOCATIONS) are marked held ("held": true with\n' +
        '--json) and warned about on stderr; that is a prediction, not a failure (exit 0). --allow-revocations N\n' +
        'previews the plan with the cap lifted to N.\n' +
        RUN_HELP,
    )
    .action(async (options: ReviewCommandOptions & { detailedExitcode?: boolean }) => {
      const summary = await execute(ctx, options, {
        dryRun: true,
        sink: discardSink,
        plan: true,
        revocationCap: revocationCap(ctx, options),
      });
      if (summary.interrupted || ctx.exitCode !== 0) return;
      if (options.detailedExitcode && summary.actions.length > 0) ctx.exitCode = 2;
    });

  common(
    program
      .command('apply')
      .description('carry out the actions the policy calls for and emit one audit event per action'),
  )
    .option('--dry-run', 'change nothing: emit the events with outcome "planned"')
    .option('--audit-file <path>', 'append audit events to this JSON Lines file (with or instead of AUDIT_QUEUE_URL)')
    .addHelpText(
      'after',
      '\nAudit events go to --audit-file and/or the SQS queue named by AUDIT_QUEUE_URL (AWS SDK defaults for\n' +
        'region and credentials; AWS_ENDPOINT_URL_SQS for a local server). At least one is required, and each is\n' +
        'proven (the file opened, the queue asked for its attributes) before anything is read or changed: no\n' +
        'action is taken without its record.\n' +
        '\nBrake and cap: VPCEP_ENFORCE=false makes this a dry run. A run that would revoke (reject accepted\n' +
        'connections, remove whitelist records of domains with accepted connections) more than\n' +
        `VPCEP_MAX_REVOCATIONS (default ${DEFAULT_MAX_REVOCATIONS}), or more than half of one service's accepted connections, carries out\n` +
        'none of those revocations (they are recorded as planned, held) and fails; --allow-revocations N lifts the\n' +
        'cap to N for one run.\n' +
        RUN_HELP,
    )
    .action(async (options: ReviewCommandOptions & { dryRun?: boolean; auditFile?: string }) => {
      const controls = loadRunControls(ctx.env);
      const queueUrl = await auditQueueFromEnv(ctx.env);
      const sink = createAuditSink({ queueUrl, file: options.auditFile });
      if (!sink)
        throw new UsageError(
          'apply needs somewhere to record its audit events: give --audit-file PATH or set AUDIT_QUEUE_URL',
        );
      try {
        await sink.probe?.();
      } catch (err) {
        throw new ConfigError(`apply refused before any call: ${(err as Error).message}`);
      }
      if (!controls.enforce && !options.dryRun)
        ctx.stderr.write('note: VPCEP_ENFORCE=false: this is a dry run; nothing will be changed\n');
      await execute(ctx, options, {
        dryRun: options.dryRun === true || !controls.enforce,
        sink,
        plan: false,
        revocationCap: revocationCap(ctx, options),
      });
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
    await createSqsClient().config.region();
  } catch {
    throw new ConfigError(
      `AUDIT_QUEUE_URL is set (${auditQueueUrl}) but no AWS region is: set AWS_REGION (or a profile with a region)`,
    );
  }
  return auditQueueUrl;
}

/** The cap of this run: VPCEP_MAX_REVOCATIONS, or --allow-revocations N (lifted). */
function revocationCap(ctx: CliContext, options: ReviewCommandOptions): RevocationCap {
  const { maxRevocations } = loadRunControls(ctx.env);
  return options.allowRevocations === undefined
    ? { max: maxRevocations, lifted: false }
    : { max: options.allowRevocations, lifted: true };
}

interface ExecuteMode {
  dryRun: boolean;
  sink: AuditSink;
  plan: boolean;
  revocationCap: RevocationCap;
}

async function execute(ctx: CliContext, options: ReviewCommandOptions, mode: ExecuteMode): Promise<RunSummary> {
  const loaded = await loadPolicyFile(options.policy);
  for (const w of loaded.warnings) ctx.stderr.write(`warning: ${options.policy}: ${formatProblem(w)}\n`);
  // The interruption's signal is the client's too: a listing page in flight is cut off by it.
  const controller = new AbortController();
  const deps = createCliRunDeps(ctx, options, mode.sink, controller.signal);
  const progress = progressReporter(ctx);
  const interruption = handleInterrupts(ctx, deps.auditor, controller);
  let summary: RunSummary;
  try {
    summary = await runReview(deps, loaded.policy, {
      run: {
        runId: randomUUID(),
        projectId: deps.projectId,
        trigger: 'cli',
        dryRun: mode.dryRun,
        policySha256: loaded.sha256,
      },
      scope: options.scope,
      concurrency: options.concurrency,
      deadline: deps.deadline,
      onProgress: progress,
      signal: interruption.signal,
      inFlight: interruption.inFlight,
      renewLeases: true,
      revocationCap: mode.revocationCap,
    });
  } finally {
    interruption.dispose();
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
      skipped: summary.skipped,
      // CONTRACT 1: a read that failed before any plan could be made (the service listing).
      ...(summary.error && { error: { code: summary.error.code, message: summary.error.message } }),
    });
  } else {
    ctx.stdout.write(renderSummary(summary, mode.plan, stats));
  }
  reportProblems(ctx, summary, mode.plan);
  // A plan the cap would hold is a correct prediction, not a failure: only apply fails for a hold.
  if (mode.plan ? failedBeyondHold(summary) : summary.failed) ctx.exitCode = 1;
  if (interruption.received) {
    ctx.exitCode = signalExitCode(interruption.received);
    ctx.stderr.write(
      `interrupted (${interruption.received}): ${summary.unfinished.length} service(s) not reviewed; every call that was in flight is recorded; run ${summary.run_id} ended with run.completed marked interrupted\n`,
    );
  }
  return summary;
}

/** Whether the run failed for anything but the cap's hold: an action, a service, the listing, the trail, services left unreviewed. */
function failedBeyondHold(summary: RunSummary): boolean {
  return (
    summary.failures.length > 0 ||
    summary.unfinished.length > 0 ||
    summary.error !== undefined ||
    summary.audit_error !== undefined
  );
}

/** What went wrong, on stderr, each with the reason: the audit trail, the cap, the listing, each failure, what was left undone. */
function reportProblems(ctx: CliContext, summary: RunSummary, plan: boolean): void {
  const w = (line: string) => ctx.stderr.write(`${line}\n`);
  if (summary.audit_error) {
    const done = summary.actions.filter((a) => a.outcome !== 'planned').length;
    w(`error: audit trail failed: ${summary.audit_error}`);
    w(
      `  ${done} action(s) were carried out before it failed (listed above with their outcomes; events that could not be delivered were written to stderr as fallback lines); no action started after it, and ${summary.unfinished.length} service(s) were not reviewed because of it`,
    );
  }
  if (summary.revocation_hold) {
    if (plan)
      w(
        `warning: apply would hold ${summary.revocations_held} revocation(s), carry out the rest of the plan and fail: ${summary.revocation_hold}`,
      );
    else w(`error: revocations held: ${summary.revocation_hold}`);
  }
  if (summary.error) w(`error: cannot list the endpoint services: ${summary.error.code}: ${summary.error.message}`);
  for (const f of summary.failures)
    w(
      `error: ${f.service_id}${f.endpoint_id ? `/${f.endpoint_id}` : ''}${f.type ? ` ${f.type}` : ''}: ${f.error.code}: ${f.error.message}`,
    );
  if (summary.unfinished.length > 0 && summary.unfinished_reason !== 'audit') {
    const why = summary.unfinished_reason === 'interrupted' ? 'the run was interrupted' : 'the deadline came';
    w(
      `error: ${summary.unfinished.length} service(s) not reviewed to the end because ${why}: ${summary.unfinished.slice(0, 20).join(', ')}${summary.unfinished.length > 20 ? ', ...' : ''}`,
    );
  }
  for (const s of summary.skipped) w(`note: ${s.service_id} skipped: ${s.note}`);
}

/**
 * SIGINT/SIGTERM during a run (CONTRACT section 1): the first aborts the run (no new action
 * starts; the calls in flight finish and are recorded; exit 130/143); a second exits at once,
 * writing every unsent event and one `unrecorded:` line per call still in flight to stderr.
 */
function handleInterrupts(ctx: CliContext, auditor: Auditor, controller: AbortController) {
  const inFlight = new Set<Action>();
  const state: { received?: StopSignal } = {};
  const dispose = ctx.onSignal((signal) => {
    if (state.received === undefined) {
      state.received = signal;
      ctx.stderr.write(
        `interrupted (${signal}): no new action starts; waiting for the calls in flight and recording them (again to exit at once)\n`,
      );
      controller.abort();
      return;
    }
    const unsent = auditor.abandon(`interrupted twice (${signal})`);
    for (const a of inFlight) ctx.stderr.write(`unrecorded: vpcep.${a.type} ${actionSubject(a)}\n`);
    ctx.stderr.write(
      `exiting at once: ${unsent} unsent event(s) written above as fallback lines, ${inFlight.size} call(s) unrecorded\n`,
    );
    ctx.exitNow(signalExitCode(state.received));
  });
  return {
    signal: controller.signal,
    inFlight,
    dispose,
    get received() {
      return state.received;
    },
  };
}

/** CONTRACT section 1: an Action, with `outcome` only from apply. */
function actionJson(a: ActionResult, plan: boolean): Record<string, unknown> {
  const { outcome, note, error, ...action } = a;
  return plan
    ? action
    : { ...action, outcome, ...(note !== undefined && { note }), ...(error !== undefined && { error }) };
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

function renderSummary(
  summary: RunSummary,
  plan: boolean,
  api: { requests: number; retries: number; throttled: number },
): string {
  const out: string[] = [];
  const s = summary.services;
  out.push(
    `${plan ? 'Plan' : summary.dry_run ? 'Dry run' : 'Apply'} (scope ${summary.scope}): ${s.total} service(s), ${s.managed} managed, ${s.unmanaged} unmanaged${s.skipped > 0 ? `, ${s.skipped} skipped (leased by another run)` : ''}`,
  );
  out.push('');
  if (summary.actions.length === 0) out.push('No actions: every managed service is as the policy wants it.');
  else
    out.push(
      formatTable(summary.actions, [
        { header: 'ACTION', value: (a) => a.type },
        { header: 'SERVICE', value: (a) => a.service_id },
        { header: 'TARGET', value: (a) => a.endpoint_id ?? a.permission },
        { header: 'DOMAIN', value: (a) => a.domain_id },
        // A plan marks what the cap would hold; apply shows each outcome (a held one says so in its note).
        ...(plan && summary.revocations_held > 0
          ? [{ header: 'CAP', value: (a: ActionResult) => (a.held ? 'held' : '') }]
          : []),
        ...(plan
          ? []
          : [{ header: 'OUTCOME', value: (a: ActionResult) => (a.note ? `${a.outcome} (${a.note})` : a.outcome) }]),
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
  const counts = Object.entries(summary.counts).map(
    ([type, c]) =>
      `${type} ${[c.succeeded && `${c.succeeded} succeeded`, c.failed && `${c.failed} failed`, c.planned && `${c.planned} planned`].filter(Boolean).join(', ')}`,
  );
  out.push(
    '',
    `Summary: ${counts.length > 0 ? counts.join('; ') : 'no actions'}; ${summary.left_pending.length} left pending; ${summary.failures.length} failure(s); ${api.requests} API request(s) (${api.retries} retried, ${api.throttled} throttled); run ${summary.run_id}`,
  );
  // The counts the scheduled functions publish as metrics (CONTRACT section 4).
  const s2 = summary.services;
  const byKind = new Map<string, number>();
  for (const d of summary.drift) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  const drift = [...byKind];
  out.push(
    `Services: ${s2.reviewed} reviewed, ${s2.failed} failed, ${s2.unfinished} unfinished, ${s2.skipped} skipped; revocations held: ${summary.revocations_held}; drift: ${drift.length > 0 ? drift.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}; duration ${Date.parse(summary.finished_at) - Date.parse(summary.started_at)} ms`,
  );
  return `${out.join('\n')}\n`;
}

/** --concurrency: digits only, 1 to MAX_CONCURRENCY. */
function concurrencyOption(value: string): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_CONCURRENCY))
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got "${value}")`);
  return n;
}

/** A count option: digits only, 0 or more. */
function countOption(name: string) {
  return (value: string): number => {
    if (!/^\d{1,6}$/.test(value)) throw new UsageError(`${name} must be a whole number, 0 or more (got "${value}")`);
    return Number(value);
  };
}
