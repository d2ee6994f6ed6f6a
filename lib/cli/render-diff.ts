/**
 * What `plan --against` prints (CONTRACT section 1): what the policy change would decide
 * differently, as tables, as the `{"added", "removed", "changed"}` document, or as markdown.
 */
import { ActionResult } from '../model';
import { CliContext } from './context';
import { OutputFormat } from './options';
import { printJson, pushSection } from './output';
import { Comparison } from './policy-run';
import { renderMarkdownComparison } from './render-markdown';
import { actionJson } from './render-run';

/** Prints the comparison on stdout in `format`. */
export function printComparison(ctx: CliContext, comparison: Comparison, format: OutputFormat): void {
  const { diff } = comparison;
  if (format === 'json') {
    const json = (a: ActionResult) => actionJson(a, true);
    printJson(ctx, {
      added: diff.added.map(json),
      removed: diff.removed.map(json),
      changed: diff.changed.map(({ before, after }) => ({ before: json(before), after: json(after) })),
      left_pending: diff.left_pending,
      drift: diff.drift,
    });
  } else if (format === 'markdown') ctx.stdout.write(renderMarkdownComparison(comparison));
  else ctx.stdout.write(renderComparison(comparison));
}

const decision = (a: ActionResult) => `${a.type}${a.held ? ' (held)' : ''}, rule ${a.rule}: ${a.reason}`;

function renderComparison({ run, against, diff }: Comparison): string {
  const lp = diff.left_pending;
  const out = [
    `Policy change (scope ${run.summary.scope}): ${run.file} against ${against.file}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed; left pending: ${lp.added.length} added, ${lp.removed.length} removed, ${lp.changed.length} changed; drift: ${diff.drift.added.length} added, ${diff.drift.removed.length} removed`,
  ];
  const actions = (title: string, list: readonly ActionResult[]) =>
    pushSection(out, title, list, [
      { header: 'ACTION', value: (a) => a.type },
      { header: 'SERVICE', value: (a) => a.service_id },
      { header: 'TARGET', value: (a) => a.endpoint_id ?? a.permission },
      { header: 'DOMAIN', value: (a) => a.domain_id },
      { header: 'RULE', value: (a) => a.rule },
      { header: 'REASON', value: (a) => a.reason },
    ]);
  actions(`Added: decided under ${run.file} only`, diff.added);
  actions(`Removed: decided under ${against.file} only`, diff.removed);
  pushSection(out, 'Changed: the same target decided differently', diff.changed, [
    { header: 'SERVICE', value: (c) => c.after.service_id },
    { header: 'TARGET', value: (c) => c.after.endpoint_id ?? c.after.permission ?? c.after.type },
    { header: 'BEFORE', value: (c) => decision(c.before) },
    { header: 'AFTER', value: (c) => decision(c.after) },
  ]);
  const pending = [
    ...lp.added.map((p) => ({ change: 'added', ...p })),
    ...lp.removed.map((p) => ({ change: 'removed', ...p })),
    ...lp.changed.map(({ after }) => ({ change: 'changed', ...after })),
  ];
  pushSection(
    out,
    'Left pending, differently',
    pending,
    [
      { header: 'CHANGE', value: (p) => p.change },
      { header: 'SERVICE', value: (p) => p.service_id },
      { header: 'ENDPOINT', value: (p) => p.endpoint_id },
      { header: 'RULE', value: (p) => p.rule },
      { header: 'REASON', value: (p) => p.reason },
    ],
    'changed: the new reason',
  );
  const drift = [
    ...diff.drift.added.map((d) => ({ change: 'added', ...d })),
    ...diff.drift.removed.map((d) => ({ change: 'removed', ...d })),
  ];
  pushSection(out, 'Drift, differently', drift, [
    { header: 'CHANGE', value: (d) => d.change },
    { header: 'KIND', value: (d) => d.kind },
    { header: 'SERVICE', value: (d) => d.service_id },
    { header: 'DETAIL', value: (d) => d.detail },
  ]);
  if (out.length === 1) out.push('', 'No differences: both policies decide the same on this state.');
  return `${out.join('\n')}\n`;
}
