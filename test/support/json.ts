/**
 * JSON the tests read back (the CLI's --json output, audit event files), typed as the code that
 * wrote it declares it, so a test reads fields it knows instead of `any`.
 */
import { readFile } from 'node:fs/promises';

import type { AuditEvent } from '../../lib/audit/event';
import type { RunSummary } from '../../lib/engine/run';
import type { Action, ActionError, ActionResult } from '../../lib/model';

/** What `apply --json` prints (CONTRACT 1): each action with its outcome. */
export interface ApplyJson extends Pick<RunSummary, 'left_pending' | 'drift' | 'skipped'> {
  actions: ActionResult[];
}

/** What `plan --json` prints: the same document, its actions without outcomes. */
export interface PlanJson extends Omit<ApplyJson, 'actions'> {
  actions: Action[];
}

/**
 * An audit event as the tests read it: the fields of an action event's data typed, the rest
 * unknown (lib/audit/event-schemas.ts holds each type's full schema).
 */
export type AuditEventJson = AuditEvent<{
  run_id?: string;
  endpoint_id?: string;
  domain_id?: string;
  permission?: string;
  outcome?: string;
  rule?: string;
  note?: string;
  error?: ActionError;
  [field: string]: unknown;
}>;

/** A line the auditor writes to its fallback stream for an event no sink took (lib/audit/auditor.ts). */
export interface FallbackLine {
  fallback: true;
  reason: string;
  event: AuditEventJson;
}

/** `JSON.parse` of text the test knows the shape of. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A JSON Lines file (e.g. --audit-file), one value a line. */
export async function readJsonLines<T = AuditEventJson>(file: string): Promise<T[]> {
  const text = (await readFile(file, 'utf8')).trimEnd();
  return text === '' ? [] : text.split('\n').map((line) => parseJson<T>(line));
}
