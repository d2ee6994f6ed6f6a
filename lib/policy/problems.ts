/**
 * A policy's problems: what one is (PolicyProblem), how it reads (formatProblem), and the zod
 * issues of the policy schema turned into one problem per thing a person must fix (an unknown
 * key with the one probably meant, a missing key, a value YAML read as a number...).
 *
 * Pure: the file is read, and problems are located in it, by load.ts.
 */
import type * as z from 'zod';

import { formatPath, shortJson, valueAt } from '../zod-issues';
import { KNOWN_KEYS } from './schema';

/** One problem found in a policy: where it is, what is wrong, and the value found there. */
export interface PolicyProblem {
  /** Path in the policy, e.g. `services[2].allow[0].domain`; `` for the whole document. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
  /** The value found at `path`, when there is one. */
  value?: unknown;
  /** 1-based line and column in the file, when known. */
  line?: number;
  column?: number;
  severity: 'error' | 'warning';
}

/** A step of a path in the policy: a key or an index. */
export type Segment = string | number;

/**
 * One line for a person: `services[0].allow[1].domain: expected ...; got "x!" (line 12, column 17)`.
 */
export function formatProblem(p: PolicyProblem): string {
  const where = p.line === undefined ? '' : ` (line ${p.line}, column ${p.column ?? 1})`;
  const got = p.value === undefined ? '' : `; got ${shortJson(p.value)}`;
  return `${p.path === '' ? '(document)' : p.path}: ${p.message}${got}${where}`;
}

/** A problem as the checks find it, before load.ts adds its line and column. */
export interface Problem extends PolicyProblem {
  /** Path segments, to find the line; `keyOf` locates the key rather than the value. */
  segments: Segment[];
  keyOf?: boolean;
  /** For an unknown key: the known key it is closest to (the one probably meant). */
  meant?: string;
}

/** One problem per thing to fix in `issues`, the zod issues of the policy schema for `raw`. */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], raw: unknown, prefix: Segment[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const segments = [...prefix, ...(issue.path as Segment[])];
    const value = valueAt(raw, segments);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(segments, value);
        for (const key of issue.keys) out.push(unknownKeyProblem(segments, key, known));
        break;
      }
      case 'invalid_union': {
        if (issue.message !== 'Invalid input') {
          out.push(problem(segments, issue.message, value));
          break;
        }
        out.push(...unionProblems(issue.errors, segments, raw, value));
        break;
      }
      case 'invalid_key': {
        const message = issue.issues[0]?.message ?? issue.message;
        out.push({ ...problem(segments, message, undefined), value: segments[segments.length - 1], keyOf: true });
        break;
      }
      case 'invalid_type': {
        if (value === undefined) {
          out.push(problem(segments, `missing required key; ${lowerFirst(issue.message)}`, undefined));
        } else {
          const hint =
            issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')
              ? ` (YAML read it as a ${typeof value}; put the value in quotes)`
              : '';
          out.push(problem(segments, `${lowerFirst(issue.message)}${hint}`, value));
        }
        break;
      }
      default:
        out.push(
          problem(
            segments,
            `${value === undefined && segments.length > 0 ? 'missing required key; ' : ''}${lowerFirst(issue.message)}`,
            value,
          ),
        );
    }
  }
  return withoutMissingMeant(out);
}

/**
 * `unknown key domian; did you mean domain? (expected one of: domain, expires, max_connections)`:
 * the key as written (quoted only when it is not a plain name), the known key it is closest to,
 * and every key allowed there.
 */
function unknownKeyProblem(segments: Segment[], key: string, known: readonly string[]): Problem {
  const suggestion = closest(key, known);
  const name = (k: string) => (/^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k));
  return {
    segments: [...segments, key],
    keyOf: true,
    path: formatPath([...segments, key]),
    message: `unknown key ${name(key)}${suggestion ? `; did you mean ${suggestion}?` : ''} (expected one of: ${known.join(', ')})`,
    meant: suggestion,
    severity: 'error',
  };
}

/**
 * Drops "missing required key" for a key that a misspelt key beside it stands for: `domian:` is
 * one mistake (reported as the unknown key, with the key meant), not two.
 */
function withoutMissingMeant(problems: Problem[]): Problem[] {
  const meant = new Set(
    problems.filter((p) => p.meant !== undefined).map((p) => formatPath([...p.segments.slice(0, -1), p.meant!])),
  );
  return problems.filter((p) => !(p.message.startsWith('missing required key') && meant.has(p.path)));
}

/** An allow entry is `{ group }` or `{ domain, expires?, max_connections? }`: explain against the one meant. */
function unionProblems(
  branches: readonly (readonly z.core.$ZodIssue[])[],
  segments: Segment[],
  raw: unknown,
  value: unknown,
): Problem[] {
  const isAllowEntry = segments.length === 4 && segments[0] === 'services' && segments[2] === 'allow';
  if (isAllowEntry) {
    const expected =
      'expected an allow entry: { group: <name> } or { domain: <id>, name?, expires?, max_connections? }';
    if (!isRecord(value)) return [problem(segments, expected, value)];
    const hasGroup = 'group' in value;
    const hasDomain = 'domain' in value;
    if (hasGroup && hasDomain) return [problem(segments, 'an allow entry names a group or a domain, not both', value)];
    if (!hasGroup && !hasDomain) {
      // A misspelt key (`domian:`) is the mistake to name, with the key it is closest to.
      const known = [...new Set([...KNOWN_KEYS.allowGroup, ...KNOWN_KEYS.allowDomain])];
      const unknown = Object.keys(value)
        .filter((k) => !known.includes(k))
        .map((k) => unknownKeyProblem(segments, k, known));
      if (unknown.some((p) => p.meant === 'group' || p.meant === 'domain')) return unknown;
      return [...unknown, problem(segments, `${expected}; neither group nor domain is given`, value)];
    }
    return schemaProblems(branches[hasGroup ? 0 : 1] ?? [], raw, segments);
  }
  // Any other union: explain against the branch that came closest.
  const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
  return schemaProblems(best, raw, segments);
}

/** An error at `segments`. */
export function problem(segments: Segment[], message: string, value: unknown): Problem {
  return { segments, path: formatPath(segments), message, value, severity: 'error' };
}

/** A warning at `segments`: the policy is used, and the warning printed. */
export function warning(segments: Segment[], message: string, value: unknown): Problem {
  return { ...problem(segments, message, value), severity: 'warning' };
}

/** The keys allowed at `segments`, for the message about an unknown one. */
function knownKeysAt(segments: Segment[], value: unknown): readonly string[] {
  const shape = segments.map((s) => (typeof s === 'number' ? '#' : s));
  const at = shape.join('/');
  if (at === '') return KNOWN_KEYS.policy;
  if (at === 'defaults') return KNOWN_KEYS.defaults;
  if (shape.length === 3 && shape[0] === 'groups' && shape[2] === '#') return KNOWN_KEYS.groupMember;
  if (at === 'services/#') return KNOWN_KEYS.rule;
  if (at === 'services/#/match') return KNOWN_KEYS.match;
  if (at === 'services/#/allow/#')
    return isRecord(value) && 'group' in value ? KNOWN_KEYS.allowGroup : KNOWN_KEYS.allowDomain;
  if (at === 'services/#/deny/#') return KNOWN_KEYS.deny;
  return [];
}

/** The known key within edit distance 2 of a misspelt one, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** A mapping (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
