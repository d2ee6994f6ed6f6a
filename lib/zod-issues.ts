/**
 * Zod issues as a person reads them: where each one is (`services[2].allow[0].domain`), what was
 * expected, and, given the checked value, what was found there. Every module that reports a
 * failed safeParse (configuration, API bodies, the simulator's files, webhook and archive
 * messages, the policy) words its problems with these.
 *
 * No imports but zod's types: lib/policy may use it and stay pure.
 */
import type * as z from 'zod';

/** One zod issue, as `error.issues` holds them. */
export type ZodIssue = z.core.$ZodIssue;

/**
 * `['services', 2, 'allow', 0, 'domain']` -> `services[2].allow[0].domain`; a key that is not a
 * plain name is quoted: `groups["team a"]`. The empty path is ``.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** The value at `path` in `input` (own properties only), or undefined when there is none. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/**
 * A value as JSON for a message, cut to `max` characters (80 unless told). `scrub` rewrites the
 * whole text before it is cut: a cut could leave part of a secret unmatched.
 */
export function shortJson(value: unknown, options: { max?: number; scrub?: (text: string) => string } = {}): string {
  const max = options.max ?? 80;
  // Non-finite numbers (YAML reads 1234e5678 as Infinity) would print as null in JSON.
  const json = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  const text = options.scrub ? options.scrub(json) : json;
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** How describeIssue words an issue. */
export interface IssueWording {
  /** What the empty path is called: `(root)` unless told (`body`, `(event)`...). */
  root?: string;
  /** Path segments in front of each issue's own, e.g. `['data']` for the data of an envelope. */
  prefix?: readonly PropertyKey[];
  /**
   * The value that was checked. Given (even as undefined), each message says what was expected
   * and what was found: `marker_id: expected an integer; got "abc"`, or `...; missing`.
   */
  input?: unknown;
  /** Rewrites the text of a found value (e.g. hides secrets) before it is shortened. */
  scrub?: (text: string) => string;
  /** Longest found value shown, in characters (see shortJson). */
  max?: number;
}

/**
 * One line for one issue: `connections[3].marker_id: expected an integer or a numeric string`,
 * with `; got "abc"` or `; missing` when the checked value is given (`input`).
 */
export function describeIssue(issue: ZodIssue, wording: IssueWording = {}): string {
  const path = wording.prefix ? [...wording.prefix, ...issue.path] : issue.path;
  const where = formatPath(path) || (wording.root ?? '(root)');
  // An unknown key's message names it; the object it sits in would only repeat the input.
  if (!('input' in wording) || issue.code === 'unrecognized_keys') return `${where}: ${issue.message}`;
  const found = valueAt(wording.input, issue.path);
  // zod's "Invalid input: expected string, received number" says less than the value itself.
  const expected = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  const got = found === undefined ? 'missing' : `got ${shortJson(found, wording)}`;
  return `${where}: ${expected}; ${got}`;
}

/** The first `limit` issues (all unless told), each worded by describeIssue, joined by `; `. */
export function formatIssues(issues: readonly ZodIssue[], wording: IssueWording & { limit?: number } = {}): string {
  const { limit, ...rest } = wording;
  return issues
    .slice(0, limit)
    .map((issue) => describeIssue(issue, rest))
    .join('; ');
}
