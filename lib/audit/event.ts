import { createHash } from 'node:crypto';

import type { Action, ActionResult, RunContext } from '../model';
import { dataSchemaUri, type EventData, type EventType, type RunFields } from './event-schemas';

/**
 * CloudEvents 1.0 audit events (CONTRACT.md section 3). Pure builders: no I/O, the time and run
 * id come from the caller. The audit layer knows nothing of Huawei: an action is described by
 * the model's Action (lib/model.ts), plain fields.
 */

export interface AuditEvent<Data = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  /** RFC 3339, UTC, with milliseconds. */
  time: string;
  datacontenttype: 'application/json';
  /** `urn:vpcep-approver:event:<type>:1`, the `$id` of `docs/events/<type>.schema.json`. */
  dataschema: string;
  data: Data;
}

/** SQS refuses a message over 256 KiB; events are kept under it with room for attributes. */
export const MAX_EVENT_BYTES = 250 * 1024;

/**
 * A stable event id: the same run recording the same action gets the same id, so consumers
 * can drop duplicates after a retried send. An RFC 9562 version 8 UUID (section 5.8, custom):
 * 122 bits of a SHA-256 of the parts, with the version nibble 8 and the variant bits 10.
 */
export function stableEventId(...parts: readonly string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `<service_id>/connections/<endpoint_id>` for connection actions, `<service_id>` otherwise. */
export function actionSubject(action: Action): string {
  return action.endpoint_id ? `${action.service_id}/connections/${action.endpoint_id}` : action.service_id;
}

/**
 * One event for one action, as the run ended it (taken, failed, or planned under dry run or
 * held). Its `note` says what happened when it differs from the plain call, e.g. "already
 * accepted (changed meanwhile)" when another actor got there first; `held` marks a revocation
 * the blast-radius cap held (outcome planned).
 */
export function buildActionEvent(run: RunContext, result: ActionResult, time: Date): AuditEvent {
  const { outcome, note, held, error, ...action } = result;
  const subject = actionSubject(action);
  const data: Record<string, unknown> = {
    run_id: run.runId,
    trigger: run.trigger,
    dry_run: run.dryRun,
    outcome,
    service_id: action.service_id,
    ...(action.endpoint_id !== undefined && { endpoint_id: action.endpoint_id }),
    ...(action.domain_id !== undefined && { domain_id: action.domain_id }),
    ...(action.created_at !== undefined && { created_at: action.created_at }),
    ...(action.permission !== undefined && { permission: action.permission }),
    rule: action.rule,
    reason: action.reason,
    policy_sha256: run.policySha256,
    ...(note !== undefined && { note }),
    ...(held === true && { held: true }),
    ...(error && { error }),
  };
  return envelope(
    run,
    `vpcep.${action.type}`,
    subject,
    time,
    data,
    stableEventId(run.runId, action.type, subject, action.permission ?? ''),
  );
}

/** What a run-level builder is handed: its published data, less the fields it adds from the run's context. */
export type RunEventData<T extends EventType> = Omit<EventData<T>, RunFields>;

/** The one `vpcep.run.completed` event that ends a run. */
export function buildRunCompletedEvent(
  run: RunContext,
  data: RunEventData<'vpcep.run.completed'>,
  time: Date,
): AuditEvent {
  return fitEvent(
    envelope(
      run,
      'vpcep.run.completed',
      `runs/${run.runId}`,
      time,
      baseRunData(run, data),
      stableEventId(run.runId, 'run.completed'),
    ),
  );
}

/** The one `vpcep.compliance.report` event of a compliance run: the drift list. */
export function buildComplianceReportEvent(
  run: RunContext,
  drift: RunEventData<'vpcep.compliance.report'>['drift'],
  time: Date,
): AuditEvent {
  return fitEvent(
    envelope(
      run,
      'vpcep.compliance.report',
      `runs/${run.runId}`,
      time,
      baseRunData(run, { drift_count: drift.length, drift }),
      stableEventId(run.runId, 'compliance.report'),
    ),
  );
}

function baseRunData(run: RunContext, rest: object): Record<string, unknown> {
  return { run_id: run.runId, trigger: run.trigger, dry_run: run.dryRun, policy_sha256: run.policySha256, ...rest };
}

function envelope(
  run: RunContext,
  type: string,
  subject: string,
  time: Date,
  data: Record<string, unknown>,
  id: string,
): AuditEvent {
  return {
    specversion: '1.0',
    id,
    source: `vpcep-approver/${run.projectId}`,
    type,
    subject,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(type),
    data,
  };
}

/**
 * Keeps a run-level event under MAX_EVENT_BYTES: long lists (left_pending, failures, drift) are
 * cut to what fits, halving until it does, and the event says how many items it dropped
 * (`<key>_truncated`). The full lists stay in the run's summary output.
 */
export function fitEvent(event: AuditEvent, maxBytes = MAX_EVENT_BYTES): AuditEvent {
  if (eventBytes(event) <= maxBytes) return event;
  const data: Record<string, unknown> = { ...event.data };
  const listKeys = Object.keys(data).filter((k) => Array.isArray(data[k]));
  const full = new Map(listKeys.map((k) => [k, data[k] as unknown[]]));
  let keep = Math.max(...listKeys.map((k) => full.get(k)!.length));
  while (keep > 0) {
    keep = Math.floor(keep / 2);
    for (const k of listKeys) {
      const items = full.get(k)!;
      data[k] = items.slice(0, keep);
      if (items.length > keep) data[`${k}_truncated`] = items.length - keep;
    }
    if (eventBytes({ ...event, data }) <= maxBytes) break;
  }
  return { ...event, data };
}

export function eventBytes(event: AuditEvent): number {
  return Buffer.byteLength(JSON.stringify(event));
}
