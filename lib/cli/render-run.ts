/**
 * What `plan` and `apply` print of a run (CONTRACT section 1): the tables and summary lines on
 * stdout, or the one `--json` document; what went wrong and progress on stderr.
 */
import { RunSummary } from '../engine/run';
import { ActionResult } from '../model';
import { CliContext } from './context';
import { escapeTerminal, formatTable, printJson, pushSection } from './output';

/** The API figures the summary line reports (the client's stats). */
export interface ApiStats {
  requests: number;
  retries: number;
  throttled: number;
}

/** Prints the run on stdout: the `--json` document, or the tables and summary lines (the markdown plan is render-markdown's). */
export function printRun(
  ctx: CliContext,
  summary: RunSummary,
  options: { plan: boolean; format: 'text' | 'json'; api: ApiStats },
): void {
  if (options.format === 'json') {
    printJson(ctx, {
      actions: summary.actions.map((a) => actionJson(a, options.plan)),
      left_pending: summary.left_pending,
      drift: summary.drift,
      skipped: summary.skipped,
      // CONTRACT 1: a read that failed before any plan could be made (the service listing).
      ...(summary.error && { error: { code: summary.error.code, message: summary.error.message } }),
    });
  } else {
    ctx.stdout.write(renderSummary(summary, options.plan, options.api));
  }
}

/** What went wrong, on stderr, each with the reason: the audit trail, the cap, the listing, each failure, what was left undone. */
export function reportProblems(ctx: CliContext, summary: RunSummary, plan: boolean): void {
  // Ids, notes and the API's messages come from outside: one escaped line each.
  const w = (line: string) => ctx.stderr.write(`${escapeTerminal(line)}\n`);
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

/** A progress line on stderr, at most one a second, for runs long enough to need one. */
export function progressReporter(ctx: CliContext) {
  let last = Date.now();
  return ({ done, total }: { done: number; total: number }) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    if (done === total && total < 50) return;
    last = now;
    ctx.stderr.write(`progress: ${done}/${total} services reviewed\n`);
  };
}

/** CONTRACT section 1: an Action, with `outcome` only from apply. */
export function actionJson(a: ActionResult, plan: boolean): Record<string, unknown> {
  const { outcome, note, error, ...action } = a;
  return plan
    ? action
    : { ...action, outcome, ...(note !== undefined && { note }), ...(error !== undefined && { error }) };
}

/**
 * What an empty list of actions means: that every managed service is as the policy wants it only
 * when every one was read and planned; otherwise nothing can be said of the services not reviewed.
 */
function noActionsLine(summary: RunSummary): string {
  const s = summary.services;
  if (summary.error) return 'No actions: the endpoint services could not be listed (see the error below).';
  if (s.failed > 0 || s.unfinished > 0)
    return `No actions: ${s.failed + s.unfinished} service(s) could not be reviewed (see below); nothing is known of them.`;
  return 'No actions: every managed service is as the policy wants it.';
}

function renderSummary(summary: RunSummary, plan: boolean, api: ApiStats): string {
  const out: string[] = [];
  const s = summary.services;
  out.push(
    `${plan ? 'Plan' : summary.dry_run ? 'Dry run' : 'Apply'} (scope ${summary.scope}): ${s.total} service(s), ${s.managed} managed, ${s.unmanaged} unmanaged${s.skipped > 0 ? `, ${s.skipped} skipped (leased by another run)` : ''}`,
  );
  out.push('');
  if (summary.actions.length === 0) out.push(noActionsLine(summary));
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
  pushSection(out, 'Left pending', summary.left_pending, [
    { header: 'SERVICE', value: (p) => p.service_id },
    { header: 'ENDPOINT', value: (p) => p.endpoint_id },
    { header: 'DOMAIN', value: (p) => p.domain_id },
    { header: 'RULE', value: (p) => p.rule },
    { header: 'REASON', value: (p) => p.reason },
  ]);
  pushSection(out, 'Drift', summary.drift, [
    { header: 'KIND', value: (d) => d.kind },
    { header: 'SERVICE', value: (d) => d.service_id },
    { header: 'RULE', value: (d) => d.rule },
    { header: 'DETAIL', value: (d) => d.detail },
  ]);
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
  const drift = Object.entries(summary.drift_by_kind);
  out.push(
    `Services: ${s2.reviewed} reviewed, ${s2.failed} failed, ${s2.unfinished} unfinished, ${s2.skipped} skipped; revocations held: ${summary.revocations_held}; drift: ${drift.length > 0 ? drift.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}; duration ${Date.parse(summary.finished_at) - Date.parse(summary.started_at)} ms`,
  );
  return `${out.join('\n')}\n`;
}
