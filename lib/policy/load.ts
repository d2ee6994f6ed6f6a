/**
 * Reading a policy file: YAML or JSON text -> a validated Policy, or a PolicyError that lists
 * every problem at once, each with its path (`services[2].allow[0].domain`), the bad value, what
 * was expected, and its line and column in the file.
 *
 * The one module of lib/policy that touches the file system (loadPolicyFile) and hashes
 * (sha256 of the raw text, for audit events). What the problems say is worked out by
 * problems.ts (the schema's issues) and cross-checks.ts (checks across fields); this module
 * parses the text with positions and gives each problem its line and column.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';

import { UsageError } from '../errors';
import { crossChecks } from './cross-checks';
import { formatProblem, schemaProblems, type PolicyProblem, type Problem } from './problems';
import { policySchema, type Policy } from './schema';

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

/** A policy is a reviewed file of rules and domain ids; anything larger is a mistake (or an attack), refused before it is parsed. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Reads and validates a policy file (see parsePolicy); the format follows the extension (policyFormatOf). */
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
// Problems found by the checks: each reported once, at its line and column, in file order

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
  const { segments, keyOf, meant: _meant, ...rest } = p;
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
