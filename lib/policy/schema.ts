/**
 * Policy language v1 (CONTRACT.md section 2) as a zod schema.
 *
 * The schema is the single source of truth: `parsePolicy` (load.ts) validates with it, and
 * `vpcep-approver schema` prints the JSON Schema generated from it, so editors validate policy
 * YAML with exactly the rules the program applies. Every object is strict (unknown keys are
 * errors) and every field carries a description, which ends up in the JSON Schema.
 *
 * Checks that need more than one field at a time (unknown groups, duplicate rule labels, a
 * domain both allowed and denied, expired and expiring entries) live in cross-checks.ts, because they must also run
 * when other parts of the file are broken: every problem is reported at once.
 */
import * as z from 'zod';

import { DOMAIN_ID_PATTERN } from '../model';

/** Group names: what a YAML key can say plainly, so a reference to it is easy to read. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const domainId = z
  .string({ error: 'expected a domain ID (a string of 1 to 64 letters or digits)' })
  .regex(DOMAIN_ID_PATTERN, { error: 'expected a domain ID: 1 to 64 letters or digits (^[A-Za-z0-9]{1,64}$)' });

const expires = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error:
      'expected a date (YYYY-MM-DD, valid through the end of that day UTC) or an RFC 3339 time (2027-06-30T18:00:00Z)',
  })
  .describe(
    'Last day (YYYY-MM-DD, valid through the end of that day, UTC) or RFC 3339 time after which the entry no longer allows its domain; an expired entry counts as unlisted.',
  );

/** CONTRACT 2: the longest `name` an entry may carry. */
export const NAME_MAX_LENGTH = 128;

// C0 and C1 control characters (newline, tab and ESC included): a name is one plain line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

const entryName = z
  .string({ error: 'expected a name (a string of 1 to 128 characters)' })
  .min(1, { error: 'expected a non-empty name (1 to 128 characters)' })
  .max(NAME_MAX_LENGTH, { error: `expected a name of at most ${NAME_MAX_LENGTH} characters` })
  .refine((name) => !CONTROL_CHARACTER.test(name), {
    error: 'expected a name without control characters (no newline, tab or escape)',
  })
  .describe(
    'Who the domain is (e.g. "Acme payments"), 1 to 128 characters without control characters: named in reasons and drift; it changes no decision.',
  );

const maxConnections = z
  .number({ error: 'expected a positive integer' })
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' })
  .describe(
    'Most connections of this domain the service may have accepted; pending connections beyond it follow over_limit.',
  );

/** The settings of `defaults`, each of which a rule may override. */
const settingShapes = {
  unlisted_pending: z
    .enum(['leave', 'reject'])
    .describe(
      'Pending connections from domains that are not allowed: leave them pending (listed in left_pending) or reject them.',
    ),
  over_limit: z
    .enum(['leave', 'reject'])
    .describe(
      'Pending connections from an allowed domain that already has max_connections accepted: leave or reject them.',
    ),
  revoke: z
    .enum(['never', 'denied', 'unlisted'])
    .describe(
      'Which ACCEPTED connections a compliance run rejects: never; those of denied domains; or those of every domain that is not allowed.',
    ),
  whitelist: z
    .enum(['reconcile', 'add-only', 'off'])
    .describe(
      'Whitelist handling: reconcile (add the allowed domains, remove other records), add-only (only add), off (leave the whitelist alone).',
    ),
  allow_wildcard: z
    .boolean({ error: 'expected true or false' })
    .describe('Keep a "*" whitelist record (any account may connect) instead of reporting and removing it.'),
  require_approval: z
    .boolean({ error: 'expected true or false' })
    .describe('Compliance: the service must have approval_enabled; a compliance run turns it on.'),
  expiry_warning_days: z
    .number({ error: 'expected a non-negative integer (days)' })
    .int({ error: 'expected a non-negative integer (days)' })
    .nonnegative({ error: 'expected a non-negative integer (days)' })
    .describe(
      'Compliance and validate: an allow entry that expires within this many days (and the domain has no later-expiring live entry) is reported as expiring drift; 0 turns the warning off.',
    ),
};

/** The built-in defaults (CONTRACT 2: the values shown under `defaults` in the example). */
export const BUILTIN_DEFAULTS = {
  unlisted_pending: 'leave',
  over_limit: 'leave',
  revoke: 'never',
  whitelist: 'reconcile',
  allow_wildcard: false,
  require_approval: true,
  expiry_warning_days: 14,
} as const satisfies { [K in keyof typeof settingShapes]: z.infer<(typeof settingShapes)[K]> };

export type SettingKey = keyof typeof settingShapes;
export const SETTING_KEYS = Object.keys(settingShapes) as SettingKey[];

const defaultsSchema = z
  .strictObject({
    unlisted_pending: settingShapes.unlisted_pending.default(BUILTIN_DEFAULTS.unlisted_pending),
    over_limit: settingShapes.over_limit.default(BUILTIN_DEFAULTS.over_limit),
    revoke: settingShapes.revoke.default(BUILTIN_DEFAULTS.revoke),
    whitelist: settingShapes.whitelist.default(BUILTIN_DEFAULTS.whitelist),
    allow_wildcard: settingShapes.allow_wildcard.default(BUILTIN_DEFAULTS.allow_wildcard),
    require_approval: settingShapes.require_approval.default(BUILTIN_DEFAULTS.require_approval),
    expiry_warning_days: settingShapes.expiry_warning_days.default(BUILTIN_DEFAULTS.expiry_warning_days),
  })
  .describe('Settings for every rule; a rule may override any of them.');

const groupMemberSchema = z
  .strictObject({
    domain: domainId.describe('Account (domain) ID allowed through this group.'),
    name: entryName.optional(),
    expires: expires.optional(),
    max_connections: maxConnections.optional(),
  })
  .describe('One allowed domain of a group.');

const allowGroupSchema = z
  .strictObject({
    group: z
      .string({ error: 'expected a group name' })
      .describe('Name of a group under `groups`: allows every live member of it.'),
  })
  .describe('Allows the members of a group.');

const allowDomainSchema = z
  .strictObject({
    domain: domainId.describe('Account (domain) ID to allow.'),
    name: entryName.optional(),
    expires: expires.optional(),
    max_connections: maxConnections.optional(),
  })
  .describe('Allows one domain.');

const denySchema = z
  .strictObject({
    domain: domainId.describe('Account (domain) ID to deny: its pending connections are rejected; deny beats allow.'),
    name: entryName.optional(),
  })
  .describe('Denies one domain.');

const matchSchema = z
  .strictObject({
    id: z
      .string({ error: 'expected an endpoint service ID' })
      .min(1, { error: 'expected a non-empty endpoint service ID' })
      .describe('Endpoint service ID (exact, case-insensitive).'),
    name: z
      .string({ error: 'expected a service name glob' })
      .min(1, { error: 'expected a non-empty service name glob' })
      .describe('Glob on service_name, case-insensitive (like ids): * matches any run of characters, ? one character.'),
  })
  .partial()
  .superRefine((match, ctx) => {
    const given = ['id', 'name'].filter((k) => match[k as 'id' | 'name'] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'expected exactly one of match.id and match.name; neither is given'
            : 'expected exactly one of match.id and match.name; both are given',
      });
    }
  })
  .describe('Which endpoint services the rule applies to: exactly one of id and name.');

const ruleSchema = z
  .strictObject({
    rule: z
      .string({ error: 'expected a rule label' })
      .min(1, { error: 'expected a non-empty rule label' })
      .optional()
      .describe('Label used in actions, audit events and messages; default "services[i]". Must be unique.'),
    match: matchSchema,
    allow: z
      .array(z.union([allowGroupSchema, allowDomainSchema]), { error: 'expected a list of allow entries' })
      .default([])
      .describe('Allowed domains, directly or through a group.'),
    deny: z.array(denySchema, { error: 'expected a list of deny entries' }).default([]).describe('Denied domains.'),
    unlisted_pending: settingShapes.unlisted_pending.optional(),
    over_limit: settingShapes.over_limit.optional(),
    revoke: settingShapes.revoke.optional(),
    whitelist: settingShapes.whitelist.optional(),
    allow_wildcard: settingShapes.allow_wildcard.optional(),
    require_approval: settingShapes.require_approval.optional(),
    expiry_warning_days: settingShapes.expiry_warning_days.optional(),
  })
  .describe('A rule: the first rule whose match fits an endpoint service governs it.');

/** Policy v1, strict. `z.infer` of it (Policy) has `defaults`, `groups`, `allow` and `deny` filled in. */
export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe('Optional JSON Schema reference for editors; ignored.'),
    version: z.literal(1, { error: 'expected version: 1' }).describe('Policy language version; must be 1.'),
    owner_domain: domainId
      .optional()
      .describe('The account that owns the services: its whitelist record is never removed.'),
    defaults: defaultsSchema.prefault({}),
    groups: z
      .record(
        z.string().regex(GROUP_NAME_PATTERN, {
          error: 'expected a group name: a letter or digit, then letters, digits, _ . or -',
        }),
        z
          .array(groupMemberSchema, { error: 'expected a list of group members' })
          .min(1, { error: 'a group may not be empty' }),
        { error: 'expected a mapping of group names to lists of members' },
      )
      .default({})
      .describe('Named lists of domains that rules allow with { group: name }.'),
    services: z
      .array(ruleSchema, { error: 'expected a list of rules' })
      .min(1, { error: 'expected at least one rule' })
      .describe(
        'Rules, in order: the first rule whose match fits a service governs it; services no rule matches are unmanaged.',
      ),
  })
  .describe('vpcep-approver policy, language v1.');

/** A validated policy with defaults applied (the output of policySchema). */
export type Policy = z.infer<typeof policySchema>;
/** One entry of `services`. */
export type PolicyRule = Policy['services'][number];
/** One entry of a rule's `allow`. */
export type AllowEntry = PolicyRule['allow'][number];
/** The resolved settings of a rule (defaults with the rule's overrides). */
export type RuleSettings = Policy['defaults'];

/** The JSON Schema of policy files (`vpcep-approver schema`), generated from policySchema. */
export function policyJsonSchema(): object {
  // io: 'input' describes what a person writes: fields with defaults are optional.
  return {
    ...z.toJSONSchema(policySchema, {
      io: 'input',
      target: 'draft-2020-12',
      // The refinement "exactly one of id and name" has no JSON Schema of its own: say it here.
      override: (ctx) => {
        if (ctx.zodSchema === matchSchema) ctx.jsonSchema.oneOf = [{ required: ['id'] }, { required: ['name'] }];
      },
    }),
    title: 'vpcep-approver policy v1',
  };
}

/** The keys each kind of object in a policy accepts (for "unknown key" messages). */
export const KNOWN_KEYS = {
  policy: Object.keys(policySchema.shape),
  defaults: Object.keys(defaultsSchema.shape),
  groupMember: Object.keys(groupMemberSchema.shape),
  allowGroup: Object.keys(allowGroupSchema.shape),
  allowDomain: Object.keys(allowDomainSchema.shape),
  deny: Object.keys(denySchema.shape),
  match: ['id', 'name'],
  rule: Object.keys(ruleSchema.shape),
} as const;
