/**
 * The parsers of the commands' option values. Every one fails the same way: a UsageError
 * `<option> "<value>" is not <what is expected>`, which the program prints as `error: ...` and
 * exits 1 on, before the command does anything.
 */
import { Option } from 'commander';

import { DECIMAL_PATTERN } from '../config';
import { UsageError } from '../errors';

/** A value parser for commander: `read` returns undefined for a value that is not `expected`. */
export function optionParser<T>(
  option: string,
  expected: string,
  read: (text: string) => T | undefined,
): (text: string) => T {
  return (text) => {
    const value = read(text);
    if (value === undefined) throw new UsageError(`${option} ${JSON.stringify(text)} is not ${expected}`);
    return value;
  };
}

/**
 * A parser that checks a value the configuration reads again (--max-rate, --timeout: the
 * environment variable behind each is read by lib/config.ts with the same `read`): it keeps the
 * text, and fails as the other parsers do when `read` cannot make sense of it.
 */
export function checkedText(
  option: string,
  expected: string,
  read: (text: string) => unknown,
): (text: string) => string {
  return optionParser(option, expected, (text) => (read(text) === undefined ? undefined : text));
}

/** Digits only, from `min` to `max` (both included; default: the largest safe integer). */
export function wholeNumber(option: string, expected: string, range: NumberRange): (text: string) => number {
  return numberOption(option, expected, /^\d+$/, range);
}

/**
 * A repeatable option: each occurrence is read by `parse` (one of the parsers above) and the
 * values are kept in the order given.
 */
export function repeatable<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => [...(previous ?? []), parse(text)];
}

/** A safe integer, negative ones included. */
export function integer(option: string): (text: string) => number {
  return optionParser(option, 'an integer', (text) =>
    /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined,
  );
}

/** A decimal number (digits, at most one point), from `min` to `max`. */
export function decimal(option: string, expected: string, range: NumberRange): (text: string) => number {
  return numberOption(option, expected, DECIMAL_PATTERN, range);
}

/** The bounds of a number option, both included. */
export interface NumberRange {
  min: number;
  max?: number;
}

function numberOption(option: string, expected: string, shape: RegExp, range: NumberRange): (text: string) => number {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  return optionParser(option, expected, (text) => {
    const n = shape.test(text) ? Number(text) : NaN;
    return n >= range.min && n <= max ? n : undefined;
  });
}

/**
 * An option whose value is one of `values`: `--help` lists them (commander's choices), and any
 * other value fails as the other parsers do.
 */
export function choiceOption<T extends string>(flags: string, description: string, values: readonly T[]): Option {
  const option = new Option(flags, description).choices(values);
  return option.argParser(
    optionParser(option.long ?? flags, `one of ${values.join(', ')}`, (text) =>
      (values as readonly string[]).includes(text) ? text : undefined,
    ),
  );
}

/** What `plan` prints on stdout (CONTRACT section 1): tables, one JSON document, or a pull request comment. */
export const OUTPUT_FORMATS = ['text', 'json', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `--format`, with `--json` as the short form of `--format json`; both given and not alike is refused. */
export function outputFormat(options: { json?: boolean; format?: OutputFormat }): OutputFormat {
  if (options.json && options.format !== undefined && options.format !== 'json')
    throw new UsageError(`--json is --format json: it cannot be given with --format ${options.format}`);
  return options.json ? 'json' : (options.format ?? 'text');
}
