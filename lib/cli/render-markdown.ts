/**
 * `plan --format markdown` (CONTRACT section 1): the plan as a pull request comment, with a
 * banner of the revocations it would make at the top, then the decisions by service. Every string
 * that comes from the policy, the API or the command line goes through escapeMarkdown.
 */
import { RunSummary } from '../engine/run';
import { ActionResult } from '../model';
import { Drift, LeftPending } from '../policy/plan';
import { Comparison, PolicyRun } from './policy-run';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  // A zero-width space after the at sign: `@team` shows as written but notifies nobody.
  '@': '@&#8203;',
  // The same after a hash: `#12` or `owner/repo#12` refers to no issue, and no heading can start.
  '#': '#&#8203;',
  '\n': ' ',
  '\r': ' ',
};

/**
 * Text as inert markdown, fit for a table cell or a line: markdown punctuation backslash-escaped
 * (links, emphasis, code, pipes), `<`, `>` and `&` as entities (so no HTML comes through),
 * `@mentions` and `#references` neutralised, line breaks as spaces, and bare URLs broken by a
 * zero-width space (`https:&#8203;//...`, `www&#8203;.`): GitHub links those in plain text by itself.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+!|~&<>@\n\r]/g, (c) => ESCAPES[c] ?? `\\${c}`)
    .replace(/:\/\//g, ':&#8203;//')
    .replace(/\b(www)\./gi, '$1&#8203;.');
}

/** A table: the header, then one row each, every cell already escaped. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

const e = escapeMarkdown;

function actionCells(a: ActionResult): string[] {
  return [
    `${e(a.type)}${a.held ? ' **(held by the cap)**' : ''}`,
    e(a.endpoint_id ?? a.permission ?? ''),
    e(a.domain_id ?? ''),
    e(a.rule),
    e(a.reason),
  ];
}

const ACTION_HEADER = ['Action', 'Target', 'Domain', 'Rule', 'Reason'];

/** The banner: what the plan would revoke and whether the cap would hold it. */
function banner(summary: RunSummary, revocations: readonly ActionResult[]): string[] {
  if (revocations.length === 0) return ['> [!NOTE]', '> **No revocations**: this plan takes access away from no one.'];
  const list = revocations.map(
    (a) => `> - ${e(a.type)} ${e(a.endpoint_id ?? a.permission ?? '')} on service ${e(a.service_id)}: ${e(a.reason)}`,
  );
  if (summary.revocation_hold)
    return [
      '> [!CAUTION]',
      `> **This plan revokes access (${revocations.length} action(s)), and the cap would hold all of it**: ${e(summary.revocation_hold)}. Apply would carry out the rest of the plan and fail.`,
      '>',
      ...list,
    ];
  return [
    '> [!WARNING]',
    `> **This plan revokes access (${revocations.length} action(s))**, within the cap: apply would carry it out.`,
    '>',
    ...list,
  ];
}

/** The services in the order the lists name them. */
function servicesOf(...lists: readonly (readonly { service_id: string }[])[]): string[] {
  return [...new Set(lists.flatMap((l) => l.map((x) => x.service_id)))];
}

function driftSection(title: string, drift: readonly Drift[]): string[] {
  if (drift.length === 0) return [];
  return [
    '',
    `#### ${title} (${drift.length})`,
    '',
    ...table(
      ['Kind', 'Service', 'Rule', 'Detail'],
      drift.map((d) => [e(d.kind), e(d.service_id), e(d.rule ?? ''), e(d.detail)]),
    ),
  ];
}

function pendingCells(p: LeftPending): string[] {
  return [e(p.endpoint_id), e(p.domain_id), e(p.rule), e(p.reason)];
}

/** The markdown plan of one policy: banner, then per service its actions and the connections left pending, then drift. */
export function renderMarkdownPlan({ file, summary }: PolicyRun, revocations: readonly ActionResult[]): string {
  const out = [
    `### vpcep-approver plan: ${e(file)} (scope ${summary.scope})`,
    '',
    ...banner(summary, revocations),
    '',
    `${summary.actions.length} action(s), ${summary.left_pending.length} connection(s) left pending, ${summary.drift.length} drift entr${summary.drift.length === 1 ? 'y' : 'ies'}; ${summary.services.total} service(s), ${summary.services.managed} managed.`,
  ];
  for (const service of servicesOf(summary.actions, summary.left_pending)) {
    const actions = summary.actions.filter((a) => a.service_id === service);
    const pending = summary.left_pending.filter((p) => p.service_id === service);
    out.push('', `#### Service ${e(service)}`);
    if (actions.length > 0) out.push('', ...table(ACTION_HEADER, actions.map(actionCells)));
    if (pending.length > 0)
      out.push('', 'Left pending:', '', ...table(['Endpoint', 'Domain', 'Rule', 'Reason'], pending.map(pendingCells)));
  }
  out.push(...driftSection('Drift', summary.drift));
  return `${out.join('\n')}\n`;
}

/** The markdown of `plan --against`: the new policy's banner, then what changes, by service. */
export function renderMarkdownComparison({ run, against, diff, revocations }: Comparison): string {
  const out = [
    `### vpcep-approver plan: ${e(run.file)} against ${e(against.file)} (scope ${run.summary.scope})`,
    '',
    ...banner(run.summary, revocations),
    '',
  ];
  const lp = diff.left_pending;
  const services = servicesOf(
    diff.added,
    diff.removed,
    diff.changed.map((c) => c.after),
    lp.added,
    lp.removed,
    lp.changed.map((c) => c.after),
  );
  if (services.length === 0 && diff.drift.added.length + diff.drift.removed.length === 0) {
    out.push('No differences: both policies decide the same on this state.');
    return `${out.join('\n')}\n`;
  }
  out.push(
    `What the change decides differently: ${diff.added.length} action(s) added, ${diff.removed.length} removed, ${diff.changed.length} changed; ${lp.added.length} connection(s) newly left pending, ${lp.removed.length} no longer, ${lp.changed.length} for another reason.`,
  );
  for (const service of services) {
    const of = <T extends { service_id: string }>(list: readonly T[]) => list.filter((x) => x.service_id === service);
    const rows = [
      ...of(diff.added).map((a) => ['added', ...actionCells(a)]),
      ...of(diff.removed).map((a) => ['removed', ...actionCells(a)]),
      ...diff.changed
        .filter((c) => c.after.service_id === service)
        .flatMap(({ before, after }) => [
          ['changed, before', ...actionCells(before)],
          ['changed, after', ...actionCells(after)],
        ]),
      ...of(lp.added).map((p) => ['newly left pending', 'leave', ...pendingCells(p)]),
      ...of(lp.removed).map((p) => ['no longer left pending', 'leave', ...pendingCells(p)]),
      ...lp.changed
        .filter((c) => c.after.service_id === service)
        .flatMap(({ before, after }) => [
          ['left pending, before', 'leave', ...pendingCells(before)],
          ['left pending, after', 'leave', ...pendingCells(after)],
        ]),
    ];
    out.push('', `#### Service ${e(service)}`, '', ...table(['Change', ...ACTION_HEADER], rows));
  }
  out.push(...driftSection('Drift found under the new policy only', diff.drift.added));
  out.push(...driftSection('Drift no longer found', diff.drift.removed));
  return `${out.join('\n')}\n`;
}
