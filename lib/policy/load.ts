/**
 * Reading a policy file: YAML or JSON text -> a validated Policy, or a PolicyError that lists
 * every problem at once, each with its path (`services[2].allow[0].domain`), the bad value, what
 * was expected, and its line and column in the file.
 *
 * The one module of lib/policy that touches the file system (loadPolicyFile) and hashes
 * (sha256 of the raw text, for audit events).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';

import { UsageError } from '../errors';
import { formatPath, shortJson, valueAt } from '../zod-issues';
import { expiryInstant, isExpired } from './expiry';
import { KNOWN_KEYS, policySchema, type Policy } from './schema';

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

/** A valid policy, the warnings about it, and the hash of the exact text it was read from. */
export interface LoadedPolicy {
  policy: Policy;
  warnings: PolicyProblem[];
  /** Hex SHA-256 of the raw file text (audit events carry it as policy_sha256). */
  sha256: string;
}

/** A policy that cannot be used; `problems` holds every error (and the warnings) found. */
export class PolicyError extends UsageError {
  readonly problems: PolicyProblem[];
  readonly source: string;

  constructor(source: string, problems: PolicyProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      `${source}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the policy\n${errors.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      'POLICY_INVALID',
    );
    this.problems = problems;
    this.source = source;
  }
}

type Segment = string | number;

/**
 * One line for a person: `services[0].allow[1].domain: expected ...; got "x!" (line 12, column 17)`.
 */
export function formatProblem(p: PolicyProblem): string {
  const where = p.line === undefined ? '' : ` (line ${p.line}, column ${p.column ?? 1})`;
  const got = p.value === undefined ? '' : `; got ${shortJson(p.value)}`;
  return `${p.path === '' ? '(document)' : p.path}: ${p.message}${got}${where}`;
}

/** How policy text is read: `json` strictly as JSON (RFC 8259), `yaml` as YAML 1.2 (JSON is valid YAML too). */
export type PolicyFormat = 'yaml' | 'json';

const EMPTY_POLICY = 'the policy file is empty: expected a mapping with version: 1 and services';

/**
 * Parses and validates policy text.
 *
 * @param text the file's contents
 * @param source the file name, for messages
 * @param now when expired entries are judged (warnings only)
 * @param options.format `json` reads the text strictly as JSON (a trailing comma is an error);
 *   `yaml` (the default) as YAML
 * @throws PolicyError with every problem at once when the policy is not valid
 */
export function parsePolicy(
  text: string,
  source = 'policy',
  now: Date = new Date(),
  options: { format?: PolicyFormat } = {},
): LoadedPolicy {
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  if (text.trim() === '')
    throw new PolicyError(source, [{ path: '', message: EMPTY_POLICY, line: 1, column: 1, severity: 'error' }]);
  const lineCounter = new LineCounter();
  if (options.format === 'json') {
    const problem = jsonSyntaxProblem(text);
    if (problem) throw new PolicyError(source, [problem]);
  }
  // uniqueKeys: a key given twice is an error, not "the last one wins" (the JSON.parse habit).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax: PolicyProblem[] = [];
  for (const e of doc.errors) syntax.push(yamlProblem(e, lineCounter, 'error'));
  if (syntax.length > 0) throw new PolicyError(source, syntax);
  const warnings: PolicyProblem[] = doc.warnings.map((e) => yamlProblem(e, lineCounter, 'warning'));

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PolicyError(source, [
      { path: '', message: `cannot read the document: ${(err as Error).message}`, severity: 'error' },
    ]);
  }
  // A file of comments only reads as null.
  if (raw === null || raw === undefined)
    throw new PolicyError(source, [{ path: '', message: EMPTY_POLICY, line: 1, column: 1, severity: 'error' }]);

  const problems: Problem[] = [];
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) problems.push(...schemaProblems(parsed.error.issues, raw, []));
  problems.push(...crossChecks(raw, now));
  const located = dedupe(problems).map((p) => locate(p, doc, lineCounter));
  const all = [...warnings, ...located].sort(byPosition);
  if (!parsed.success || all.some((p) => p.severity === 'error')) throw new PolicyError(source, all);
  return { policy: lowerCaseDomains(parsed.data), warnings: all, sha256 };
}

/** CONTRACT 2: domain ids compare case-insensitively; the loaded policy holds them in lower case, as the API writes them. */
function lowerCaseDomains(policy: Policy): Policy {
  const lower = <T extends { domain: string }>(e: T): T => ({ ...e, domain: e.domain.toLowerCase() });
  return {
    ...policy,
    ...(policy.owner_domain === undefined ? {} : { owner_domain: policy.owner_domain.toLowerCase() }),
    groups: Object.fromEntries(Object.entries(policy.groups).map(([name, members]) => [name, members.map(lower)])),
    services: policy.services.map((rule) => ({
      ...rule,
      allow: rule.allow.map((entry) => ('domain' in entry ? lower(entry) : entry)),
      deny: rule.deny.map(lower),
    })),
  };
}

/**
 * The format a policy file is read in, by its extension: `.json` strictly as JSON, anything
 * else (`.yaml`, `.yml`, no extension) as YAML.
 */
export function policyFormatOf(path: string): PolicyFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}

/** Reads and validates a policy file (see parsePolicy); the format follows the extension (policyFormatOf). */
/** A policy is a reviewed file of rules and domain ids; anything larger is a mistake (or an attack), refused before it is parsed. */
export const MAX_POLICY_BYTES = 1024 * 1024;

export async function loadPolicyFile(path: string, now: Date = new Date()): Promise<LoadedPolicy> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_POLICY_BYTES) {
      throw new UsageError(
        `policy file ${path} is ${size} bytes, over the limit of ${MAX_POLICY_BYTES} bytes (1 MiB): not read`,
        'POLICY_TOO_LARGE',
      );
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read policy file ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'POLICY_UNREADABLE',
      err,
    );
  }
  return parsePolicy(text, path, now, { format: policyFormatOf(path) });
}

/** JSON.parse's verdict on the text as a problem with line and column, or undefined when it is JSON. */
function jsonSyntaxProblem(text: string): PolicyProblem | undefined {
  const error = jsonError(text);
  if (error === undefined) return undefined;
  // V8: "Expected double-quoted property name in JSON at position 30 (line 4 column 1)", or
  // "Unexpected token ']', "...", is not valid JSON" (no position).
  const what = error
    .replace(/\s*(in JSON )?at position \d+.*$/s, '')
    .replace(/, (".*"|\.\.\..*) is not valid JSON$/s, '');
  const offset = errorOffset(text, error);
  const before = text.slice(0, offset).split('\n');
  return {
    path: '',
    message: `JSON: ${what}`,
    line: before.length,
    column: before[before.length - 1]!.length + 1,
    severity: 'error',
  };
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Where JSON.parse stopped. V8 gives the position for most errors, not for an unexpected token;
 * then the offset is found from prefixes: JSON is read left to right, so a prefix fails before
 * its own end exactly when it contains the bad character (a prefix that is merely cut short
 * fails at its end, or with "Unexpected end").
 */
function errorOffset(text: string, error: string): number {
  const at = /at position (\d+)/.exec(error);
  if (at) return Number(at[1]);
  const sound = (n: number): boolean => {
    const e = jsonError(text.slice(0, n));
    if (e === undefined || /end of JSON input/.test(e)) return true;
    const pos = /at position (\d+)/.exec(e);
    return pos !== null && Number(pos[1]) >= n;
  };
  // The longest sound prefix ends just before the bad character.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sound(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// YAML syntax problems

function yamlProblem(
  e: { message: string; pos: [number, number] },
  lc: LineCounter,
  severity: 'error' | 'warning',
): PolicyProblem {
  const pos = lc.linePos(e.pos[0]);
  return {
    path: '',
    message: `YAML: ${e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`,
    line: pos.line,
    column: pos.col,
    severity,
  };
}

// ---------------------------------------------------------------------------------------------
// Schema problems: zod issues turned into one problem per thing a person must fix.

interface Problem extends PolicyProblem {
  /** Path segments, to find the line; `keyOf` locates the key rather than the value. */
  segments: Segment[];
  keyOf?: boolean;
}

function schemaProblems(issues: readonly z.core.$ZodIssue[], raw: unknown, prefix: Segment[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const segments = [...prefix, ...(issue.path as Segment[])];
    const value = valueAt(raw, segments);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(segments, value);
        for (const key of issue.keys) {
          const suggestion = closest(key, known);
          out.push({
            segments: [...segments, key],
            keyOf: true,
            path: formatPath([...segments, key]),
            message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; expected one of: ${known.join(', ')}`,
            severity: 'error',
          });
        }
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
  return out;
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
    const expected = 'expected an allow entry: { group: <name> } or { domain: <id>, expires?, max_connections? }';
    if (!isRecord(value)) return [problem(segments, expected, value)];
    const hasGroup = 'group' in value;
    const hasDomain = 'domain' in value;
    if (hasGroup && hasDomain) return [problem(segments, 'an allow entry names a group or a domain, not both', value)];
    if (!hasGroup && !hasDomain) return [problem(segments, `${expected}; neither group nor domain is given`, value)];
    return schemaProblems(branches[hasGroup ? 0 : 1] ?? [], raw, segments);
  }
  // Any other union: explain against the branch that came closest.
  const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
  return schemaProblems(best, raw, segments);
}

function problem(segments: Segment[], message: string, value: unknown): Problem {
  return { segments, path: formatPath(segments), message, value, severity: 'error' };
}

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

// ---------------------------------------------------------------------------------------------
// Checks across fields. They read the raw document defensively, so they also run (and report)
// when other parts of the file are broken.

function crossChecks(raw: unknown, now: Date): Problem[] {
  const out: Problem[] = [];
  if (!isRecord(raw)) return out;
  const groups = isRecord(raw.groups) ? raw.groups : {};
  const groupNames = Object.keys(groups);

  // Expired group members: reported once, where they are written.
  for (const name of groupNames) {
    const members = groups[name];
    if (!Array.isArray(members)) continue;
    const seen = new Map<string, number>();
    members.forEach((m, k) => {
      if (!isRecord(m)) return;
      expiredWarning(m, ['groups', name, k], now, out);
      if (typeof m.domain === 'string') {
        const first = seen.get(m.domain.toLowerCase());
        if (first !== undefined)
          out.push(
            warning(
              ['groups', name, k, 'domain'],
              `domain is listed twice in group "${name}" (first at ${formatPath(['groups', name, first])}); the first live entry applies`,
              m.domain,
            ),
          );
        else seen.set(m.domain.toLowerCase(), k);
      }
    });
  }

  if (!Array.isArray(raw.services)) return out;
  const labels = new Map<string, number>();
  const matchIds = new Map<string, number>();
  raw.services.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const label = typeof rule.rule === 'string' && rule.rule !== '' ? rule.rule : `services[${i}]`;
    const firstLabel = labels.get(label);
    if (firstLabel !== undefined) {
      const segs: Segment[] = typeof rule.rule === 'string' ? ['services', i, 'rule'] : ['services', i];
      out.push(
        problem(
          segs,
          `duplicate rule label "${label}" (already used by services[${firstLabel}]); labels must be unique`,
          typeof rule.rule === 'string' ? rule.rule : undefined,
        ),
      );
    } else labels.set(label, i);

    if (isRecord(rule.match) && typeof rule.match.id === 'string' && rule.match.name === undefined) {
      const id = rule.match.id.toLowerCase();
      const first = matchIds.get(id);
      if (first !== undefined)
        out.push(
          warning(
            ['services', i, 'match', 'id'],
            `this rule never applies: services[${first}] already matches service ${rule.match.id}`,
            rule.match.id,
          ),
        );
      else matchIds.set(id, i);
    }

    // Allowed domains of this rule, directly or through groups, with where they are written.
    const allowed = new Map<string, string>();
    const noteAllowed = (domain: unknown, where: string, at: Segment[]) => {
      if (typeof domain !== 'string') return;
      const key = domain.toLowerCase();
      const first = allowed.get(key);
      if (first !== undefined && first !== where)
        out.push(
          warning(
            at,
            `domain ${domain} is allowed more than once in this rule (first by ${first}); the first live entry applies`,
            domain,
          ),
        );
      else allowed.set(key, where);
    };
    if (Array.isArray(rule.allow)) {
      rule.allow.forEach((entry, j) => {
        if (!isRecord(entry)) return;
        const at: Segment[] = ['services', i, 'allow', j];
        if (typeof entry.group === 'string' && !('domain' in entry)) {
          if (!Object.hasOwn(groups, entry.group)) {
            // The name itself is the problem's value (printed as `; got "..."`), so the message does not repeat it.
            out.push(
              problem(
                [...at, 'group'],
                `unknown group; ${groupNames.length > 0 ? `defined groups: ${groupNames.join(', ')}` : 'no groups are defined'}`,
                entry.group,
              ),
            );
          } else {
            const members = groups[entry.group];
            if (Array.isArray(members))
              for (const m of members)
                if (isRecord(m)) noteAllowed(m.domain, `${formatPath(at)} (group ${entry.group})`, [...at, 'group']);
          }
        } else if ('domain' in entry && !('group' in entry)) {
          noteAllowed(entry.domain, formatPath(at), [...at, 'domain']);
          expiredWarning(entry, at, now, out);
        }
      });
    }
    if (Array.isArray(rule.deny)) {
      rule.deny.forEach((entry, k) => {
        if (!isRecord(entry) || typeof entry.domain !== 'string') return;
        const by = allowed.get(entry.domain.toLowerCase());
        if (by !== undefined)
          out.push(
            warning(
              ['services', i, 'deny', k, 'domain'],
              `domain ${entry.domain} is both allowed (by ${by}) and denied in this rule; deny wins`,
              entry.domain,
            ),
          );
      });
    }
  });
  return out;
}

function expiredWarning(entry: Record<string, unknown>, at: Segment[], now: Date, out: Problem[]): void {
  if (typeof entry.expires !== 'string' || Number.isNaN(expiryInstant(entry.expires))) return;
  if (isExpired(entry.expires, now)) {
    out.push(warning([...at, 'expires'], `entry expired (${entry.expires}); it counts as unlisted`, undefined));
  }
}

function warning(segments: Segment[], message: string, value: unknown): Problem {
  return { ...problem(segments, message, value), severity: 'warning' };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.severity}|${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Adds the line and column of the problem's node (or of its nearest existing parent). */
function locate(p: Problem, doc: Document, lc: LineCounter): PolicyProblem {
  const { segments, keyOf, ...rest } = p;
  let offset: number | undefined;
  if (keyOf && segments.length > 0) {
    const parent = doc.getIn(segments.slice(0, -1), true);
    const last = segments[segments.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(last));
      const key = pair?.key as Node | undefined;
      offset = key?.range?.[0];
    }
  }
  for (let n = segments.length; offset === undefined && n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (node && typeof node === 'object' && 'range' in node) offset = (node as Node).range?.[0];
    // YAML reads 1234e5678 as Infinity: show what the file says instead.
    if (
      n === segments.length &&
      isScalar(node) &&
      typeof rest.value === 'number' &&
      !Number.isFinite(rest.value) &&
      node.source
    )
      rest.value = node.source;
  }
  if (offset === undefined) return rest;
  const pos = lc.linePos(offset);
  return { ...rest, line: pos.line, column: pos.col };
}

function byPosition(a: PolicyProblem, b: PolicyProblem): number {
  return (
    (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path)
  );
}
