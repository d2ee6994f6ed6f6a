import * as z from 'zod';

import { OUTCOMES, TRIGGERS, UNFINISHED_REASONS, type ActionError, type Outcome } from '../model';
import { DRIFT_KINDS, SCOPES, type LeftPending } from '../policy/plan';

/**
 * The `data` of each audit event type (CONTRACT.md section 3), as zod schemas. The builders in
 * event.ts produce exactly these shapes (their tests parse every event built with these
 * schemas), and `docs/events/<type>.schema.json` is the JSON Schema generated from them, which
 * each event names as its `dataschema`. Objects are not strict: a consumer of version 1 must
 * tolerate fields added later within the same version.
 *
 * The enums take the run's lists from lib/model.ts and lib/policy/plan.ts, and the schemas of
 * shapes declared there are checked against them (`satisfies`). The run's own shapes (failures)
 * live in lib/engine, which audit does not import: the run-level builders of event.ts take their
 * data typed from these schemas (EventData), so a member or field they do not accept fails the
 * build where lib/engine hands it over. Drift kinds and failed action types stay plain strings,
 * as the published JSON Schemas have them.
 */

const trigger = z.enum(TRIGGERS).describe('what started the run');
const outcome = z.enum(OUTCOMES).describe('planned: a dry run, nothing was changed');
const sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe('SHA-256 (hex) of the policy file the run used');

export const actionErrorSchema = z
  .object({
    code: z
      .string()
      .describe(
        "the API error code (e.g. EndPoint.0001), or one of the program's own (INTERRUPTED, AUDIT_FAILED, ...)",
      ),
    message: z.string(),
    status: z.number().int().optional().describe('HTTP status of the failed call'),
  })
  .describe('why the action or run failed (never a secret)') satisfies z.ZodType<ActionError, unknown>;

/** What every event of a run carries (the builders add it from the run's context). */
const runFields = {
  run_id: z.string().min(1),
  trigger,
  dry_run: z.boolean(),
  policy_sha256: sha256,
};

const actionBase = z.object({
  ...runFields,
  outcome,
  service_id: z.string().min(1),
  rule: z.string().describe('the policy rule that decided the action'),
  reason: z.string().describe('why the policy decided so, naming the entry (services[i].allow[j], group)'),
  note: z
    .string()
    .optional()
    .describe(
      'when the end state came about otherwise, e.g. "already accepted (changed meanwhile)" or "outcome unknown"',
    ),
  held: z
    .literal(true)
    .optional()
    .describe('a revocation the blast-radius cap held: outcome planned, the note says why'),
  error: actionErrorSchema.optional().describe('only when outcome is failed'),
});

/** When a connection was created, as the API listed it (absent when it did not say). */
const createdAt = z.string().optional().describe('when the connection was created, as the API listed it (4.2.6)');

const connectionData = actionBase.extend({
  endpoint_id: z.string().min(1).describe('the connection (VPC endpoint) id'),
  domain_id: z.string().min(1).describe('the consumer account (domain) of the connection'),
  created_at: createdAt,
});

const whitelistData = actionBase.extend({
  permission: z.string().min(1).describe('the whitelist record, e.g. iam:domain::<domain id> or *'),
  domain_id: z.string().min(1).optional(),
});

const leftPendingSchema = z.object({
  service_id: z.string(),
  endpoint_id: z.string(),
  domain_id: z.string(),
  created_at: createdAt,
  rule: z.string(),
  reason: z.string(),
}) satisfies z.ZodType<LeftPending, unknown>;

const outcomeCounts = z.object(
  Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int().nonnegative()])) as Record<Outcome, z.ZodNumber>,
);

const runFailureSchema = z.object({
  service_id: z.string(),
  type: z.string().optional().describe('the action type, when an action failed (absent when the whole service failed)'),
  endpoint_id: z.string().optional(),
  permission: z.string().optional(),
  error: actionErrorSchema,
});

const truncated = z
  .number()
  .int()
  .positive()
  .optional()
  .describe('how many items of the list of the same name were dropped to keep the event under 250 KiB');

const runCompletedData = z.object({
  ...runFields,
  scope: z.enum(SCOPES),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  interrupted: z.boolean().optional().describe('true when a signal ended the run early (CLI exit 130 / 143)'),
  services: z.object({
    total: z.number().int().nonnegative(),
    managed: z.number().int().nonnegative(),
    unmanaged: z.number().int().nonnegative().optional().describe('services no policy rule matches'),
    reviewed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    unfinished: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative().optional().describe('services whose lease another run held'),
  }),
  counts: z.record(z.string(), outcomeCounts).describe('actions by type and outcome'),
  left_pending_count: z.number().int().nonnegative(),
  left_pending: z.array(leftPendingSchema),
  left_pending_truncated: truncated,
  failures: z.array(runFailureSchema),
  failures_truncated: truncated,
  unfinished: z.array(z.string()).describe('services not reviewed (deadline, audit failure, interruption)'),
  unfinished_truncated: truncated,
  unfinished_reason: z
    .enum(UNFINISHED_REASONS)
    .optional()
    .describe('why services were left unfinished: the first reason met'),
  skipped: z
    .array(z.object({ service_id: z.string(), note: z.string() }))
    .optional()
    .describe('services skipped, e.g. "being reviewed by run X"'),
  skipped_truncated: truncated,
  revocations_held: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('revocations not carried out because the blast-radius cap held them back'),
  revocation_hold: z
    .string()
    .optional()
    .describe("why the cap held them (VPCEP_MAX_REVOCATIONS, or half of a service's accepted connections)"),
  error: actionErrorSchema.optional().describe('set when the run could not start (the services could not be listed)'),
});

const driftSchema = z.object({
  // A string, not an enum, in the published schema: a consumer must take kinds added later.
  kind: z.string().describe(`${DRIFT_KINDS.join(', ')} (CONTRACT 2)`),
  service_id: z.string(),
  rule: z.string().optional(),
  endpoint_id: z.string().optional(),
  domain_id: z.string().optional(),
  permission: z.string().optional(),
  error: z
    .array(z.object({ error_code: z.string().optional(), error_message: z.string().optional() }))
    .optional()
    .describe("service-failed: the API's error list for the failed service"),
  detail: z.string(),
});

const complianceReportData = z.object({
  ...runFields,
  drift_count: z.number().int().nonnegative(),
  drift: z.array(driftSchema),
  drift_truncated: truncated,
});

/** The `data` schema of every event type, by `type`. */
export const eventDataSchemas = {
  'vpcep.connection.accept': connectionData.describe('a pending connection accepted (4.2.7 action receive)'),
  'vpcep.connection.reject': connectionData.describe(
    'a connection rejected (4.2.7 action reject); of an accepted one, a revocation',
  ),
  'vpcep.whitelist.add': whitelistData.describe('a whitelist record added (4.2.9 action add)'),
  'vpcep.whitelist.remove': whitelistData.describe('a whitelist record removed (4.2.9 action remove)'),
  'vpcep.service.enable-approval': actionBase.describe('connection approval turned on for a service (4.2.3)'),
  'vpcep.run.completed': runCompletedData.describe('the end of a run: counts, connections left pending, failures'),
  'vpcep.compliance.report': complianceReportData.describe('the drift a compliance run found'),
} as const;

export type EventType = keyof typeof eventDataSchemas;
/** The `data` an event type's schema accepts (what the caller of its builder hands over). */
export type EventData<T extends EventType> = z.input<(typeof eventDataSchemas)[T]>;

/** The fields every event of a run carries, which the builders add from the run's context. */
export type RunFields = keyof typeof runFields;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** `urn:vpcep-approver:event:<type>:1`: the `$id` of a data schema and the event's `dataschema`. */
export function dataSchemaUri(type: string): string {
  return `urn:vpcep-approver:event:${type}:1`;
}

/** The JSON Schema of one event type's `data`, as published in `docs/events/<type>.schema.json`. */
export function eventDataJsonSchema(type: EventType): Record<string, unknown> {
  // io 'input' leaves objects open (no additionalProperties: false), so adding a field within
  // version 1 does not break a consumer that validates.
  const generated = z.toJSONSchema(eventDataSchemas[type], { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return { ...generated, $id: dataSchemaUri(type), title: `data of ${type} events` };
}
