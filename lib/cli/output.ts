/**
 * What the CLI prints for people: the `--json` document, and plain aligned tables whose cells are
 * escaped (escapeTerminal), since they show names and reasons from the policy and the API.
 */
import { CliContext } from './context';

/** Writes one JSON document to stdout (the only thing `--json` prints there). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A column of a table: its header and what a row shows in it. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

/**
 * What a listing command prints: with --json the records as one JSON array (even an empty one),
 * else `empty` when there are none, else the table.
 */
export function printRecords<Row>(
  ctx: CliContext,
  records: readonly Row[],
  options: { json?: boolean; empty: string; columns: readonly Column<Row>[] },
): void {
  if (options.json) return printJson(ctx, records);
  if (records.length === 0) return void ctx.stdout.write(`${options.empty}\n`);
  ctx.stdout.write(formatTable(records, options.columns));
}

/**
 * Appends a titled table to `out` (a blank line, `<title> (<count>[; <note>]):`, the table), or
 * nothing when there are no rows: the sections of the plan and apply summaries.
 */
export function pushSection<Row>(
  out: string[],
  title: string,
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  note?: string,
): void {
  if (rows.length === 0) return;
  out.push('', `${title} (${rows.length}${note ? `; ${note}` : ''}):`, formatTable(rows, columns).trimEnd());
}

/**
 * Formats rows as a plain aligned table: a header, a rule, one line per row. Cells are turned
 * into strings; `undefined` and `null` print as `-`. With no rows, the header and rule are
 * followed by a line `(none)`, so an empty result does not look like a cut-off one.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const body = cells.length === 0 ? ['(none)'] : cells.map(line);
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...body].join('\n') + '\n';
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return escapeTerminal(typeof value === 'string' ? value : JSON.stringify(value));
}

// C0 and C1 controls and DEL (ESC starts every ANSI sequence), and the characters that break or
// reorder a line: the Unicode line and paragraph separators and the bidirectional controls.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from outside (the policy, the API, the command line) as one harmless terminal line:
 * newline, carriage return and tab shown as `\n`, `\r`, `\t`, every other control character
 * (ESC included, so no ANSI sequence recolours the terminal or moves the cursor) as `\u001b`.
 * A hostile name can then neither forge a table row nor hide what follows it.
 *
 * @example escapeTerminal('a\n\u001b[31mb') // 'a\\n\\u001b[31mb'
 */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
