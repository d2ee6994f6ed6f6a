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
  return typeof value === 'string' ? value : JSON.stringify(value);
}
