import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildActionEvent, buildComplianceReportEvent, buildRunCompletedEvent } from '../../../lib/audit/event';
import {
  dataSchemaUri,
  EVENT_TYPES,
  eventDataJsonSchema,
  eventDataSchemas,
  EventType,
} from '../../../lib/audit/event-schemas';
import { runContextFactory } from '../../support/records';

const DOCS = join(__dirname, '../../../docs/events');
const run = runContextFactory({ projectId: 'proj-1', trigger: 'schedule', policySha256: 'ab'.repeat(32) });
const time = new Date('2026-11-26T08:00:00.123Z');

/** Parses an event's data with its type's schema; a field the schema does not know would be stripped, so compare. */
function expectDocumented(event: { type: string; dataschema: string; data: unknown }): void {
  expect(EVENT_TYPES).toContain(event.type);
  expect(event.dataschema).toBe(dataSchemaUri(event.type));
  const parsed = eventDataSchemas[event.type as EventType].safeParse(event.data);
  if (!parsed.success) throw new Error(`${event.type}: ${parsed.error.message}`);
  expect(parsed.data).toEqual(event.data);
}

describe('docs/events/<type>.schema.json', () => {
  it('has one file per event type, each the current output of scripts/event-schemas.ts', () => {
    expect(
      readdirSync(DOCS)
        .filter((f) => f.endsWith('.schema.json'))
        .sort(),
    ).toEqual(EVENT_TYPES.map((t) => `${t}.schema.json`).sort());
    for (const type of EVENT_TYPES) {
      const committed = JSON.parse(readFileSync(join(DOCS, `${type}.schema.json`), 'utf8')) as unknown;
      // If this fails after a schema change: npx tsx scripts/event-schemas.ts
      expect(committed).toEqual(eventDataJsonSchema(type));
    }
  });

  it("names each schema urn:vpcep-approver:event:<type>:1 (the events' dataschema)", () => {
    for (const type of EVENT_TYPES)
      expect(eventDataJsonSchema(type)).toMatchObject({ $id: `urn:vpcep-approver:event:${type}:1`, type: 'object' });
  });
});

describe('event data schemas', () => {
  const connection = { service_id: 's', endpoint_id: 'e', domain_id: 'd', rule: 'r', reason: 'why' };

  it('describe every field of every action event the builders make', () => {
    expectDocumented(buildActionEvent(run, { type: 'connection.accept', ...connection, outcome: 'succeeded' }, time));
    expectDocumented(
      buildActionEvent(
        run,
        {
          type: 'connection.reject',
          ...connection,
          outcome: 'failed',
          error: { code: 'INTERRUPTED', message: 'interrupted' },
          note: 'outcome unknown',
        },
        time,
      ),
    );
    expectDocumented(
      buildActionEvent(
        run,
        {
          type: 'whitelist.add',
          service_id: 's',
          permission: 'iam:domain::d',
          domain_id: 'd',
          rule: 'r',
          reason: 'x',
          outcome: 'planned',
        },
        time,
      ),
    );
    expectDocumented(
      buildActionEvent(
        run,
        {
          type: 'whitelist.remove',
          service_id: 's',
          permission: '*',
          rule: 'r',
          reason: 'x',
          outcome: 'failed',
          error: { code: 'EndPoint.0001', message: 'System error.', status: 500 },
        },
        time,
      ),
    );
    expectDocumented(
      buildActionEvent(
        run,
        { type: 'service.enable-approval', service_id: 's', rule: 'r', reason: 'x', outcome: 'succeeded' },
        time,
      ),
    );
  });

  it('refuse a connection event without its connection, or with an unknown outcome', () => {
    const event = buildActionEvent(run, { type: 'connection.accept', ...connection, outcome: 'succeeded' }, time);
    const { endpoint_id: _drop, ...noEndpoint } = event.data;
    expect(eventDataSchemas['vpcep.connection.accept'].safeParse(noEndpoint).success).toBe(false);
    expect(eventDataSchemas['vpcep.connection.accept'].safeParse({ ...event.data, outcome: 'done' }).success).toBe(
      false,
    );
  });

  it('describe run.completed with the interruption, skip and blast-radius fields', () => {
    const summary = {
      scope: 'sweep' as const,
      started_at: '2026-11-26T08:00:00.000Z',
      finished_at: '2026-11-26T08:00:01.000Z',
      interrupted: true,
      services: { total: 3, managed: 3, reviewed: 1, failed: 0, unfinished: 1, skipped: 1 },
      counts: { 'connection.accept': { succeeded: 1, failed: 1, planned: 0 } },
      left_pending_count: 1,
      left_pending: [{ ...connection }],
      failures: [
        {
          service_id: 's',
          type: 'connection.accept',
          endpoint_id: 'e',
          error: { code: 'INTERRUPTED', message: 'outcome unknown' },
        },
      ],
      unfinished: ['s3'],
      skipped: [{ service_id: 's2', note: 'being reviewed by run X' }],
      revocations_held: 12,
    };
    const event = buildRunCompletedEvent(run, summary, time);
    expectDocumented(event);
    // The builder takes only what the schema accepts (anything else fails the build); the schema needs services.
    const { services: _s, ...noServices } = event.data;
    expect(eventDataSchemas['vpcep.run.completed'].safeParse(noServices).success).toBe(false);
  });

  it('describe the compliance report, also when its list was cut to fit', () => {
    const drift = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'unmanaged',
      service_id: `svc-${i}`,
      detail: 'x'.repeat(100),
    }));
    const event = buildComplianceReportEvent(run, drift, time);
    expect(event.data.drift_truncated).toBeGreaterThan(0);
    expectDocumented(event);
  });
});
