import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';

import { AuditSink } from '../../audit/sink';
import { DEFAULT_MAX_REVOCATIONS, ReviewCommandConfig, RunControls } from '../../config';
import { createAuditSink, createSqsClient, discardSink } from '../../deps';
import { DEFAULT_CONCURRENCY, runReview, RunSummary } from '../../engine/run';
import { ConfigError, UsageError } from '../../errors';
import { Action, ActionResult } from '../../model';
import { loadPolicyFile } from '../../policy/load';
import { Scope, SCOPES } from '../../policy/plan';
import { diffPlans, hasDifferences } from '../../policy/plan-diff';
import { formatProblem } from '../../policy/problems';
import { RevocationCap, revocationsOf } from '../../policy/revocations';
import { addApiOptions, ApiOptions, loadReviewConfig } from '../api-options';
import { CliContext, signalExitCode } from '../context';
import { handleInterrupts } from '../interrupt';
import { choiceOption, OUTPUT_FORMATS, OutputFormat, outputFormat, wholeNumber } from '../options';
import { PolicyRun } from '../policy-run';
import { ReadOnceClient, readOnceClient } from '../read-once-client';
import { printComparison } from '../render-diff';
import { renderMarkdownPlan } from '../render-markdown';
import { ApiStats, printRun, progressReporter, reportProblems } from '../render-run';
import { createCliRunDeps } from '../run-deps';

interface ReviewCommandOptions extends ApiOptions {
  policy: string;
  scope: Scope;
  json?: boolean;
  /** What is printed on stdout (plan: --format, or --json; apply: --json or not). */
  format: OutputFormat;
  concurrency: number;
  allowRevocations?: number;
}

/** `plan`'s own options; `format` is read from --format and --json (outputFormat). */
type PlanOptions = Omit<ReviewCommandOptions, 'format'> & {
  detailedExitcode?: boolean;
  format?: OutputFormat;
  against?: string;
};

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
          choiceOption(
            '--scope <scope>',
            'sweep: pending connections and whitelists; compliance: everything, with revocation and drift',
            SCOPES,
          ).default('sweep'),
        )
        .option('--json', 'print one JSON document: {"actions", "left_pending", "drift", "skipped"}')
        .option(
          '--concurrency <n>',
          `API calls in flight at once, across all services (1 to ${MAX_CONCURRENCY})`,
          wholeNumber('--concurrency', `a whole number from 1 to ${MAX_CONCURRENCY}`, { min: 1, max: MAX_CONCURRENCY }),
          DEFAULT_CONCURRENCY,
        )
        .option(
          '--allow-revocations <n>',
          `lift the revocation cap (VPCEP_MAX_REVOCATIONS, default ${DEFAULT_MAX_REVOCATIONS}) to N for this run`,
          wholeNumber('--allow-revocations', 'a whole number, 0 or more', { min: 0, max: 999_999 }),
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
    .addOption(
      choiceOption(
        '--format <format>',
        'text: tables; json: one JSON document (--json is short for it); markdown: a pull request comment',
        OUTPUT_FORMATS,
      ),
    )
    .option(
      '--against <old-policy>',
      'print what changing from OLD-POLICY to --policy would decide differently (both planned on one compliance read)',
    )
    .action(async (options: PlanOptions, command: Command) => {
      const format = outputFormat(options);
      if (
        options.against !== undefined &&
        command.getOptionValueSource('scope') === 'cli' &&
        options.scope !== 'compliance'
      )
        throw new UsageError(
          `--scope ${options.scope} cannot be given with --against: both policies are planned on one compliance read`,
        );
      const scope = options.against === undefined ? options.scope : 'compliance';
      const config = loadReviewConfig(options, ctx);
      const executed = await execute(
        ctx,
        { ...options, scope, format },
        config,
        { dryRun: true, sink: discardSink, plan: true },
        options.against,
      );
      if (executed.interrupted) return;
      const { run, against } = executed;
      let differs = run.summary.actions.length > 0;
      if (against) {
        const diff = diffPlans(against.summary, run.summary);
        printComparison(ctx, { run, against, diff, revocations: plannedRevocations(executed) }, format);
        differs = hasDifferences(diff);
      } else if (format === 'markdown') {
        ctx.stdout.write(renderMarkdownPlan(run, plannedRevocations(executed)));
      }
      if (ctx.exitCode !== 0) return;
      if (options.detailedExitcode && differs) ctx.exitCode = 2;
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
    .addOption(new Option('--against <old-policy>').hideHelp())
    .action(async (options: ReviewCommandOptions & { dryRun?: boolean; auditFile?: string; against?: string }) => {
      if (options.against !== undefined)
        throw new UsageError(
          `--against ${options.against} is for plan only: apply carries out one policy (compare them first with plan --policy ${options.policy} --against ${options.against})`,
        );
      const config = loadReviewConfig(options, ctx);
      const queueUrl = await auditQueueOf(config);
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
      if (!config.controls.enforce && !options.dryRun)
        ctx.stderr.write('note: VPCEP_ENFORCE=false: this is a dry run; nothing will be changed\n');
      await execute(ctx, { ...options, format: options.json ? 'json' : 'text' }, config, {
        dryRun: options.dryRun === true || !config.controls.enforce,
        sink,
        plan: false,
      });
    });
}

/**
 * AUDIT_QUEUE_URL, checked before anything is read or done: a valid URL (lib/config.ts), and an
 * AWS region for the SQS client, which would otherwise fail only when the first event is sent.
 */
async function auditQueueOf({ auditQueueUrl }: ReviewCommandConfig): Promise<string | undefined> {
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
function revocationCap(controls: RunControls, options: ReviewCommandOptions): RevocationCap {
  return options.allowRevocations === undefined
    ? { max: controls.maxRevocations, lifted: false }
    : { max: options.allowRevocations, lifted: true };
}

/** What differs between plan and apply; everything else comes from the options and the configuration, alike. */
interface ExecuteMode {
  dryRun: boolean;
  sink: AuditSink;
  plan: boolean;
}

/** What execute ran: the run of `--policy`, and with `--against` the old policy's, on the same reads. */
interface Executed {
  run: PolicyRun;
  against?: PolicyRun;
  /** The reads both runs planned from (each listing read once): what revocations are counted from. */
  client: ReadOnceClient | undefined;
  api: ApiStats;
  interrupted: boolean;
}

async function loadPolicy(ctx: CliContext, file: string) {
  const loaded = await loadPolicyFile(file);
  for (const w of loaded.warnings) ctx.stderr.write(`warning: ${file}: ${formatProblem(w)}\n`);
  return { file, ...loaded };
}

async function execute(
  ctx: CliContext,
  options: ReviewCommandOptions,
  config: ReviewCommandConfig,
  mode: ExecuteMode,
  againstFile?: string,
): Promise<Executed> {
  const loaded = await loadPolicy(ctx, options.policy);
  const old = againstFile === undefined ? undefined : await loadPolicy(ctx, againstFile);
  // The interruption's signal is the client's too: a listing page in flight is cut off by it.
  const controller = new AbortController();
  const deps = createCliRunDeps(ctx, config, {
    concurrency: options.concurrency,
    sink: mode.sink,
    signal: controller.signal,
  });
  // A plan reads each listing once and keeps it: a second policy is planned on the same state.
  const client = mode.plan ? readOnceClient(deps.client) : undefined;
  const progress = progressReporter(ctx);
  const interruption = handleInterrupts(ctx, deps.auditor, controller);
  const review = async (policy: typeof loaded): Promise<PolicyRun> => ({
    file: policy.file,
    policy: policy.policy,
    summary: await runReview({ ...deps, ...(client && { client }) }, policy.policy, {
      run: {
        runId: randomUUID(),
        projectId: deps.projectId,
        trigger: 'cli',
        dryRun: mode.dryRun,
        policySha256: policy.sha256,
      },
      scope: options.scope,
      concurrency: options.concurrency,
      deadline: deps.deadline,
      onProgress: progress,
      signal: interruption.signal,
      inFlight: interruption.inFlight,
      renewLeases: true,
      revocationCap: revocationCap(config.controls, options),
    }),
  });
  let run: PolicyRun;
  let against: PolicyRun | undefined;
  try {
    run = await review(loaded);
    if (old && !interruption.received) against = await review(old);
  } finally {
    interruption.dispose();
    await deps.auditor.close().catch((err: unknown) => {
      ctx.stderr.write(`error: audit trail not closed cleanly: ${(err as Error).message}\n`);
      ctx.exitCode = 1;
    });
  }
  const { summary } = run;
  const executed = { run, ...(against && { against }), client, api: deps.client.stats(), interrupted: false };
  // The comparison and the markdown plan are printed by plan, from what both runs read.
  if (!against && options.format !== 'markdown')
    printRun(ctx, summary, { plan: mode.plan, format: options.format, api: executed.api });
  reportProblems(ctx, summary, mode.plan);
  // A plan the cap would hold is a correct prediction, not a failure: only apply fails for a hold.
  if (mode.plan ? failedBeyondHold(summary) : summary.failed) ctx.exitCode = 1;
  if (against) reportAgainstProblems(ctx, run, against);
  if (interruption.received) {
    ctx.exitCode = signalExitCode(interruption.received);
    ctx.stderr.write(
      `interrupted (${interruption.received}): ${summary.unfinished.length} service(s) not reviewed; every call that was in flight is recorded; run ${summary.run_id} ended with run.completed marked interrupted\n`,
    );
    executed.interrupted = true;
  }
  return executed;
}

/**
 * The old policy's run reads what the new one read, so its failures are mostly the same ones:
 * only those of services the new run did not fail on are told, and either run's failure fails the plan.
 */
function reportAgainstProblems(ctx: CliContext, run: PolicyRun, against: PolicyRun): void {
  const told = new Set(run.summary.failures.map((f) => f.service_id));
  for (const f of against.summary.failures.filter((f) => !told.has(f.service_id)))
    ctx.stderr.write(`error: ${f.service_id} (under --against ${against.file}): ${f.error.code}: ${f.error.message}\n`);
  if (failedBeyondHold(against.summary)) ctx.exitCode = 1;
}

/**
 * The revocations each run's plan would make, counted from what it read (as the engine counts
 * them for the cap): rejecting an accepted connection, removing a record that shuts a domain out.
 */
function plannedRevocations({ client, run }: Executed): ActionResult[] {
  if (!client) return [];
  const byService = new Map<string, ActionResult[]>();
  for (const a of run.summary.actions) byService.set(a.service_id, [...(byService.get(a.service_id) ?? []), a]);
  const revoking = new Set<Action>();
  for (const [serviceId, actions] of byService) {
    const { connections, whitelist } = client.observed(serviceId);
    for (const a of revocationsOf(actions, connections, whitelist, run.policy.owner_domain).actions) revoking.add(a);
  }
  return run.summary.actions.filter((a) => revoking.has(a));
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
