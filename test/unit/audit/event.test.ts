import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';

import {
  buildActionEvent,
  buildComplianceReportEvent,
  buildRunCompletedEvent,
  eventBytes,
  fitEvent,
  stableEventId,
} from '../../../lib/audit/event';
import { actionFactory, runCompletedDataFactory, runContextFactory } from '../../support/records';

const run = runContextFactory({ projectId: 'proj-1', policySha256: 'ab'.repeat(32) });
const time = new Date('2026-11-26T08:00:00.123Z');
const accept = actionFactory({
  endpoint_id: 'ep-1',
  service_id: 'svc-1',
  domain_id: '5fc973eea581490997e82ea11a1df31f',
  rule: 'payments',
  reason: 'domain 5fc9... allowed by services[0].allow[0]',
});

describe('buildActionEvent()', () => {
  it('builds the CloudEvent of CONTRACT section 3 for a connection action', () => {
    const event = buildActionEvent(run, { ...accept, outcome: 'succeeded' }, time);
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source: 'vpcep-approver/proj-1',
      type: 'vpcep.connection.accept',
      subject: 'svc-1/connections/ep-1',
      time: '2026-11-26T08:00:00.123Z',
      datacontenttype: 'application/json',
      dataschema: 'urn:vpcep-approver:event:vpcep.connection.accept:1',
      data: {
        run_id: 'run-1',
        trigger: 'cli',
        dry_run: false,
        outcome: 'succeeded',
        service_id: 'svc-1',
        endpoint_id: 'ep-1',
        domain_id: accept.domain_id,
        rule: 'payments',
        reason: accept.reason,
        policy_sha256: run.policySha256,
      },
    });
  });

  it('is a valid CloudEvents 1.0 event for the official SDK', () => {
    const event = buildActionEvent(
      run,
      {
        ...accept,
        outcome: 'failed',
        error: {
          code: 'EndPoint.0001',
          message: 'System error.',
          status: 500,
        },
      },
      time,
    );
    const parsed = new CloudEvent(event as never, true);
    expect(parsed.validate()).toBe(true);
    expect((parsed.data as unknown as { error: unknown }).error).toEqual({
      code: 'EndPoint.0001',
      message: 'System error.',
      status: 500,
    });
  });

  it('gives whitelist events the service as subject and carries the permission', () => {
    const event = buildActionEvent(
      run,
      {
        type: 'whitelist.add',
        service_id: 'svc-1',
        permission: 'iam:domain::abc',
        rule: 'r',
        reason: 'x',
        outcome: 'planned',
      },
      time,
    );
    expect(event.subject).toBe('svc-1');
    expect(event.type).toBe('vpcep.whitelist.add');
    expect(event.data).toMatchObject({ permission: 'iam:domain::abc', outcome: 'planned' });
    expect(event.data).not.toHaveProperty('endpoint_id');
  });

  it('keeps the id when the same run records the same action again, and changes it otherwise', () => {
    const a = buildActionEvent(run, { ...accept, outcome: 'failed' }, time).id;
    expect(buildActionEvent(run, { ...accept, outcome: 'succeeded' }, new Date()).id).toBe(a);
    expect(buildActionEvent({ ...run, runId: 'run-2' }, { ...accept, outcome: 'failed' }, time).id).not.toBe(a);
    expect(buildActionEvent(run, { ...accept, type: 'connection.reject', outcome: 'failed' }, time).id).not.toBe(a);
    expect(buildActionEvent(run, { ...accept, endpoint_id: 'ep-2', outcome: 'failed' }, time).id).not.toBe(a);
  });
});

describe('run events', () => {
  it('ends a run with vpcep.run.completed and reports drift in vpcep.compliance.report', () => {
    const done = buildRunCompletedEvent(
      run,
      runCompletedDataFactory({ counts: { 'connection.accept': { succeeded: 1, failed: 0, planned: 0 } } }),
      time,
    );
    expect(done.type).toBe('vpcep.run.completed');
    expect(done.data).toMatchObject({ run_id: 'run-1', counts: { 'connection.accept': { succeeded: 1 } } });
    const report = buildComplianceReportEvent(run, [{ kind: 'wildcard', service_id: 's', detail: 'd' }], time);
    expect(report.type).toBe('vpcep.compliance.report');
    expect(report.data).toMatchObject({ drift_count: 1, drift: [{ kind: 'wildcard' }] });
    expect(new CloudEvent(report as never, true).validate()).toBe(true);
  });

  it('cuts long lists so the event fits in one SQS message, and says how many were dropped', () => {
    const leftPending = Array.from({ length: 5000 }, (_, i) => ({
      service_id: `svc-${i}`,
      endpoint_id: `ep-${i}`,
      domain_id: 'd'.repeat(32),
      rule: 'r',
      reason: 'x'.repeat(40),
    }));
    const event = buildRunCompletedEvent(
      run,
      runCompletedDataFactory({ left_pending: leftPending, left_pending_count: 5000 }),
      time,
    );
    expect(eventBytes(event)).toBeLessThanOrEqual(250 * 1024);
    const kept = (event.data.left_pending as unknown[]).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept + (event.data.left_pending_truncated as number)).toBe(5000);
    expect(event.data.left_pending_count).toBe(5000);
  });

  it('take the data their published schemas describe: anything else fails the build', () => {
    const data = runCompletedDataFactory();
    // @ts-expect-error: the run.completed schema knows the scopes sweep and compliance only
    expect(buildRunCompletedEvent(run, { ...data, scope: 'weekly' }, time).data.scope).toBe('weekly');
    // @ts-expect-error: a drift entry needs its kind, service and detail
    expect(buildComplianceReportEvent(run, [{ kind: 'wildcard' }], time).data.drift_count).toBe(1);
    // @ts-expect-error: an action event is built from the action's result, not from its parts
    expect(() => buildActionEvent(run, accept, 'succeeded', time)).toThrow();
  });

  it('leaves an event that fits untouched', () => {
    const event = buildRunCompletedEvent(run, runCompletedDataFactory(), time);
    expect(fitEvent(event)).toBe(event);
  });
});

describe('stableEventId()', () => {
  it('is deterministic and separates its parts', () => {
    expect(stableEventId('a', 'b')).toBe(stableEventId('a', 'b'));
    expect(stableEventId('ab', '')).not.toBe(stableEventId('a', 'b'));
  });

  it('is an RFC 9562 version 8 UUID for any input', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), (parts) => {
        const id = stableEventId(...parts);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        // RFC 9562 section 4: the version is the high nibble of octet 6, the variant the top bits of octet 8.
        const octets = Buffer.from(id.replaceAll('-', ''), 'hex');
        expect(octets[6]! >> 4).toBe(8);
        expect(octets[8]! >> 6).toBe(0b10);
      }),
      { numRuns: 1000 },
    );
  });

  it("is still stable for the known parts of an action (a change here breaks consumers' de-duplication)", () => {
    expect(stableEventId('run-1', 'connection.accept', 'svc-1/connections/ep-1', '')).toBe(
      buildActionEvent(run, { ...accept, outcome: 'planned' }, time).id,
    );
  });
});
