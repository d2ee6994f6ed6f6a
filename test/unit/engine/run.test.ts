import { createAuditor } from '../../../lib/audit/auditor';
import { AuditEvent } from '../../../lib/audit/event';
import { AuditDeliveryError, AuditSink } from '../../../lib/audit/sink';
import { collect } from '../../../lib/collect';
import { DEFAULT_MAX_REVOCATIONS } from '../../../lib/config';
import { RunOptions, runReview } from '../../../lib/engine/run';
import { createMemoryLeaseStore, LeaseStore } from '../../../lib/lease/lease';
import { silentLogger } from '../../../lib/logger';
import { isoSeconds } from '../../../lib/time';
import { captureStream } from '../../support/capture';
import { apiError, createFakeEngineClient, FakeService, interruptedError } from '../../support/fake-engine-client';
import { AuditEventJson, FallbackLine, parseJson } from '../../support/json';
import {
  connectionFactory,
  NOW,
  policyFromYaml,
  runContextFactory,
  serviceFactory,
  whitelistRecordFactory,
} from '../../support/records';

const ALLOWED = 'a11111111111111111111111111111a1';
const DENIED = 'd22222222222222222222222222222d2';
const STRANGER = 'e33333333333333333333333333333e3';
const OWNER = '0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0';

const policy = policyFromYaml(`
version: 1
owner_domain: ${OWNER}
services:
  - rule: payments
    match: { name: "pay-*" }
    allow:
      - domain: ${ALLOWED}
        max_connections: 2
    deny:
      - domain: ${DENIED}
`);

/** A connection made `minute` minutes after an hour before NOW. */
function conn(id: string, domain: string, status = 'pendingAcceptance', minute = 0) {
  const created = new Date(NOW.getTime() - 3600_000 + minute * 60_000);
  return connectionFactory({
    id,
    domain_id: domain,
    status,
    marker_id: 1,
    created_at: isoSeconds(created),
  });
}

function world(): FakeService[] {
  return [
    {
      service: serviceFactory({ id: 'svc-pay', service_name: 'pay-api' }),
      connections: [
        conn('ep-1', ALLOWED, 'pendingAcceptance', 1),
        conn('ep-2', DENIED, 'pendingAcceptance', 2),
        conn('ep-3', STRANGER, 'pendingAcceptance', 3),
      ],
      whitelist: [whitelistRecordFactory(OWNER, { id: 'w-owner' }), whitelistRecordFactory(STRANGER, { id: 'w-old' })],
    },
    {
      service: serviceFactory({ id: 'svc-other', service_name: 'internal', approval_enabled: false }),
      connections: [conn('ep-9', STRANGER)],
      whitelist: [],
    },
  ];
}

function memorySink() {
  const events: AuditEvent[] = [];
  const sink: AuditSink & { fail?: boolean } = {
    name: 'memory',
    async send(batch) {
      if (sink.fail) throw new AuditDeliveryError('queue down', batch);
      events.push(...batch);
    },
    async close() {},
  };
  return { sink, events };
}

function setup(services = world()) {
  const fake = createFakeEngineClient(services);
  const mem = memorySink();
  const stderr = captureStream();
  const auditor = createAuditor({ sink: mem.sink, fallback: stderr.stream });
  const deps = { client: fake.client, auditor, clock: () => NOW, logger: silentLogger };
  const options: RunOptions = {
    run: runContextFactory(),
    scope: 'sweep',
    revocationCap: { max: DEFAULT_MAX_REVOCATIONS, lifted: false },
  };
  return { fake, mem, auditor, deps, options, fallback: stderr.text };
}

const mutations = (calls: string[]) => calls.filter((c) => /^(receive|reject|whitelist|updateService)/.test(c));

describe('runReview()', () => {
  it('carries out the sweep the policy calls for and records one event per action', async () => {
    const t = setup();
    const summary = await runReview(t.deps, policy, t.options);
    await t.auditor.close();
    expect(summary.actions.map((a) => [a.type, a.endpoint_id ?? a.permission, a.outcome])).toEqual([
      ['connection.accept', 'ep-1', 'succeeded'],
      ['connection.reject', 'ep-2', 'succeeded'],
      ['whitelist.add', `iam:domain::${ALLOWED}`, 'succeeded'],
      ['whitelist.remove', `iam:domain::${STRANGER}`, 'succeeded'],
    ]);
    expect(summary.left_pending.map((p) => p.endpoint_id)).toEqual(['ep-3']);
    expect(summary.failed).toBe(false);
    // 4.2.7 one call per endpoint; 4.2.9 one call per direction; the unmanaged service is never read.
    expect(mutations(t.fake.calls).sort()).toEqual([
      'receive svc-pay ep-1',
      'reject svc-pay ep-2',
      'whitelist add svc-pay 1',
      'whitelist remove svc-pay 1',
    ]);
    expect(t.fake.calls.filter((c) => c.includes('svc-other'))).toEqual([]);
    const types = t.mem.events.map((e) => `${e.type} ${(e as AuditEventJson).data.outcome ?? ''}`.trim());
    expect(types).toEqual(
      expect.arrayContaining([
        'vpcep.connection.accept succeeded',
        'vpcep.connection.reject succeeded',
        'vpcep.whitelist.add succeeded',
        'vpcep.whitelist.remove succeeded',
      ]),
    );
    expect(types.at(-1)).toBe('vpcep.run.completed');
    expect(t.mem.events).toHaveLength(5);
    expect(summary.counts['connection.accept']).toEqual({ succeeded: 1, failed: 0, planned: 0 });
  });

  it('does nothing on a second sweep', async () => {
    const t = setup();
    await runReview(t.deps, policy, t.options);
    const before = mutations(t.fake.calls).length;
    const again = await runReview(t.deps, policy, { ...t.options, run: { ...t.options.run, runId: 'run-2' } });
    expect(again.actions).toEqual([]);
    expect(mutations(t.fake.calls)).toHaveLength(before);
  });

  it('in dry run makes no mutating call and records planned events', async () => {
    const t = setup();
    const summary = await runReview(t.deps, policy, { ...t.options, run: { ...t.options.run, dryRun: true } });
    await t.auditor.close();
    expect(mutations(t.fake.calls)).toEqual([]);
    expect(summary.actions.every((a) => a.outcome === 'planned')).toBe(true);
    expect(
      t.mem.events.filter((e) => e.type !== 'vpcep.run.completed').map((e) => [e.data.outcome, e.data.dry_run]),
    ).toEqual(Array(4).fill(['planned', true]));
  });

  it("ages the oldest connection the policy accepts that is still pending after the run, from the plan's created_at", async () => {
    const dry = setup();
    const planned = await runReview(dry.deps, policy, { ...dry.options, run: { ...dry.options.run, dryRun: true } });
    // ep-1 (allowed) was created 59 minutes before NOW; only planned, it is still pending.
    expect(planned.oldest_allowed_pending_seconds).toBe(59 * 60);
    await dry.auditor.close();
    expect(dry.mem.events.find((e) => e.type === 'vpcep.connection.accept')!.data).toMatchObject({
      endpoint_id: 'ep-1',
      created_at: isoSeconds(new Date(NOW.getTime() - 59 * 60_000)),
    });
    const t = setup();
    expect((await runReview(t.deps, policy, t.options)).oldest_allowed_pending_seconds).toBe(0);
  });

  it('reports an accept that lost a race truthfully: done if the connection ended accepted, failed otherwise', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      const svc = t.fake.services[0]!;
      if (call === 'receive svc-pay ep-1') {
        svc.connections[0]!.status = 'accepted'; // another sweep got there first
        throw apiError(400, 'EndPoint.2032', 'The connection is not pending.');
      }
      if (call === 'reject svc-pay ep-2') {
        svc.connections[1]!.status = 'deleting';
        throw apiError(400, 'EndPoint.2032', 'The connection is not pending.');
      }
    };
    const summary = await runReview(t.deps, policy, t.options);
    const [accept, reject] = summary.actions;
    expect(accept).toMatchObject({ outcome: 'succeeded', note: 'already accepted (changed meanwhile)' });
    expect(reject).toMatchObject({
      outcome: 'failed',
      note: 'connection is now deleting',
      error: { code: 'EndPoint.2032', status: 400 },
    });
    expect(summary.failures).toEqual([
      {
        service_id: 'svc-pay',
        type: 'connection.reject',
        endpoint_id: 'ep-2',
        error: { code: 'EndPoint.2032', message: 'The connection is not pending.', status: 400 },
      },
    ]);
    expect(summary.failed).toBe(true);
    await t.auditor.close();
    const acceptEvent = t.mem.events.find((e) => e.type === 'vpcep.connection.accept')!;
    expect(acceptEvent.data).toMatchObject({ outcome: 'succeeded', note: 'already accepted (changed meanwhile)' });
    expect(t.mem.events.find((e) => e.type === 'vpcep.connection.reject')!.data).toMatchObject({
      outcome: 'failed',
      note: 'connection is now deleting',
      error: { code: 'EndPoint.2032' },
    });
  });

  it('re-reads a pending connection before rejecting it, and withdraws the reject when it is no longer pending', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'listConnections svc-pay ep-2') t.fake.services[0]!.connections[1]!.status = 'accepted'; // a person, in the console
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(t.fake.calls).not.toContain('reject svc-pay ep-2');
    expect(summary.actions.map((a) => `${a.type} ${a.endpoint_id ?? a.permission}`)).toEqual([
      'connection.accept ep-1',
      `whitelist.add iam:domain::${ALLOWED}`,
      `whitelist.remove iam:domain::${STRANGER}`,
    ]);
    expect(summary.failed).toBe(false);
    await t.auditor.close();
    expect(t.mem.events.filter((e) => e.type === 'vpcep.connection.reject')).toEqual([]);
  });

  it('counts a reject as done when the re-read finds the connection already rejected', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'listConnections svc-pay ep-2') t.fake.services[0]!.connections[1]!.status = 'rejected';
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(t.fake.calls).not.toContain('reject svc-pay ep-2');
    expect(summary.actions.find((a) => a.endpoint_id === 'ep-2')).toMatchObject({
      outcome: 'succeeded',
      note: 'already rejected (changed meanwhile)',
    });
  });

  it('says it could not re-read a connection rather than that it no longer exists', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'listConnections svc-pay ep-2') throw apiError(500, 'EndPoint.0001', 'internal error');
      if (call === 'receive svc-pay ep-1') throw apiError(400, 'EndPoint.2032', 'The connection is not pending.');
      if (call === 'listConnections svc-pay ep-1') throw apiError(503, 'EndPoint.0001', 'unavailable');
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(t.fake.calls).not.toContain('reject svc-pay ep-2'); // never rejected blind
    expect(summary.actions.find((a) => a.endpoint_id === 'ep-2')).toMatchObject({
      outcome: 'failed',
      note: 'could not re-read the connection: internal error',
      error: { code: 'EndPoint.0001' },
    });
    expect(summary.actions.find((a) => a.endpoint_id === 'ep-1')).toMatchObject({
      outcome: 'failed',
      note: 'could not re-read the connection: unavailable',
      error: { code: 'EndPoint.2032' },
    });
  });

  it('keeps going when one service cannot be read', async () => {
    const services = world();
    services.push({
      service: serviceFactory({ id: 'svc-pay-2', service_name: 'pay-2' }),
      connections: [conn('ep-x', ALLOWED)],
      whitelist: [],
    });
    const t = setup(services);
    t.fake.hooks.before = (call) => {
      if (call.startsWith('listConnections svc-pay ')) throw apiError(500, 'EndPoint.0001', 'System error.');
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(summary.failures).toEqual([
      { service_id: 'svc-pay', error: { code: 'EndPoint.0001', message: 'System error.', status: 500 } },
    ]);
    expect(summary.actions.map((a) => a.endpoint_id ?? a.permission)).toEqual(['ep-x', `iam:domain::${ALLOWED}`]);
  });

  it('lists a service whose read the interruption stopped as not reviewed, not as failed', async () => {
    const t = setup();
    const controller = new AbortController();
    t.fake.hooks.before = (call) => {
      if (!call.startsWith('listConnections svc-pay ')) return;
      controller.abort();
      throw interruptedError('listConnections cut off in flight: the run was interrupted');
    };
    const summary = await runReview(t.deps, policy, { ...t.options, signal: controller.signal });
    expect(summary.failures).toEqual([]);
    expect(summary.unfinished).toEqual(['svc-pay']);
    expect(summary.unfinished_reason).toBe('interrupted');
  });

  it('records an action the client did not send once interrupted as not sent, never as of unknown outcome', async () => {
    const t = setup();
    const controller = new AbortController();
    t.fake.hooks.before = (call) => {
      if (!call.startsWith('receive ')) return;
      controller.abort();
      throw interruptedError('acceptOrReject not sent: the run was interrupted');
    };
    const summary = await runReview(t.deps, policy, { ...t.options, signal: controller.signal });
    expect(summary.actions.find((a) => a.endpoint_id === 'ep-1')).toMatchObject({
      outcome: 'failed',
      note: 'not sent: the run was interrupted',
      error: { code: 'INTERRUPTED' },
    });
  });

  it('starts no service after the deadline and lists the unfinished ones', async () => {
    const t = setup();
    const summary = await runReview(t.deps, policy, { ...t.options, deadline: NOW });
    expect(summary.unfinished).toEqual(['svc-pay', 'svc-other']);
    expect(summary.failed).toBe(true);
    expect(mutations(t.fake.calls)).toEqual([]);
  });

  it('splits a whitelist batch the API refuses for its size', async () => {
    const services = world();
    const many = Array.from({ length: 5 }, (_, i) => `d${i}`.padEnd(32, '0'));
    services[0]!.whitelist.push(...many.map((d, i) => whitelistRecordFactory(d, { id: `x${i}` })));
    const t = setup(services);
    t.fake.hooks.before = (call) => {
      const m = /^whitelist remove svc-pay (\d+)$/.exec(call);
      if (m && Number(m[1]) > 2)
        throw apiError(400, 'EndPoint.0016', 'The number of batch operated resources exceeded the limit.');
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(summary.actions.filter((a) => a.type === 'whitelist.remove').every((a) => a.outcome === 'succeeded')).toBe(
      true,
    );
    expect(t.fake.calls.filter((c) => c.startsWith('whitelist remove'))).toEqual([
      'whitelist remove svc-pay 6',
      'whitelist remove svc-pay 3',
      'whitelist remove svc-pay 2',
      'whitelist remove svc-pay 1',
      'whitelist remove svc-pay 3',
      'whitelist remove svc-pay 2',
      'whitelist remove svc-pay 1',
    ]);
    expect(services[0]!.whitelist.map((r) => r.id)).toEqual(['w-owner', 'perm-1']);
  });

  it('starts no action once the audit trail has failed, writes the unsent events as fallback, and fails the run', async () => {
    const t = setup();
    t.mem.sink.fail = true;
    const summary = await runReview(t.deps, policy, t.options);
    expect(summary.failed).toBe(true);
    expect(summary.audit_error).toMatch(/audit sink memory failed: queue down/);
    await expect(t.auditor.close()).rejects.toThrow(/queue down/);
    const fallback = t
      .fallback()
      .trimEnd()
      .split('\n')
      .map((l) => parseJson<FallbackLine>(l));
    expect(fallback.length).toBeGreaterThan(0);
    expect(fallback.every((l) => l.fallback === true)).toBe(true);
    // Every action that ran has its event in the fallback: nothing is lost.
    const ran = mutations(t.fake.calls).length;
    expect(fallback.filter((l) => l.event.type !== 'vpcep.run.completed').length).toBeGreaterThanOrEqual(ran);
  });

  it('still closes the run when the trail has failed: run.completed and compliance.report join the fallback lines', async () => {
    const t = setup();
    t.mem.sink.fail = true;
    // One event a batch: the trail fails with the first action, long before the run ends.
    const fallback = captureStream();
    const auditor = createAuditor({ sink: t.mem.sink, fallback: fallback.stream, batchSize: 1 });
    const summary = await runReview({ ...t.deps, auditor }, policy, { ...t.options, scope: 'compliance' });
    expect(summary.unfinished_reason).toBe('audit');
    const closing = fallback
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => parseJson<FallbackLine>(l))
      .filter((l) => l.event.type === 'vpcep.compliance.report' || l.event.type === 'vpcep.run.completed');
    expect(closing.map((l) => [l.fallback, l.event.type])).toEqual([
      [true, 'vpcep.compliance.report'],
      [true, 'vpcep.run.completed'],
    ]);
    expect(closing[1]!.event.data).toMatchObject({ run_id: summary.run_id, scope: 'compliance' });
  });

  it('reads accepted connections in a sweep only where a pending connection comes from a domain with a limit', async () => {
    const t = setup();
    await runReview(t.deps, policy, t.options);
    // The listings, then the one re-read of the pending connection about to be rejected (rule 4).
    expect(t.fake.calls.filter((c) => c.startsWith('listConnections'))).toEqual([
      'listConnections svc-pay pendingAcceptance',
      'listConnections svc-pay accepted',
      'listConnections svc-pay ep-2',
    ]);
    const unlimited = policyFromYaml(
      `version: 1\nservices:\n  - match: { name: "pay-*" }\n    allow:\n      - domain: ${ALLOWED}\n`,
    );
    // (Without whitelist records this policy removes: removing a domain's record also needs its accepted connections, for the revocation cap.)
    const u = setup(world().map((s) => ({ ...s, whitelist: [] })));
    await runReview(u.deps, unlimited, u.options);
    expect(u.fake.calls.filter((c) => c.startsWith('listConnections'))).toEqual([
      'listConnections svc-pay pendingAcceptance',
    ]);
    const removing = setup();
    await runReview(removing.deps, unlimited, removing.options);
    expect(removing.fake.calls.filter((c) => c.startsWith('listConnections'))).toEqual([
      'listConnections svc-pay pendingAcceptance',
      'listConnections svc-pay accepted',
    ]);
  });

  it('does not read the whitelist of a rule with whitelist: off', async () => {
    const off = policyFromYaml(
      `version: 1\nservices:\n  - match: { name: "pay-*" }\n    whitelist: off\n    allow:\n      - domain: ${ALLOWED}\n`,
    );
    const t = setup();
    const summary = await runReview(t.deps, off, t.options);
    expect(t.fake.calls.some((c) => c.startsWith('listWhitelist'))).toBe(false);
    expect(summary.actions.map((a) => a.type)).toEqual(['connection.accept']);
  });

  it('compliance revokes accepted connections the policy no longer allows and turns approval on', async () => {
    const strict = policyFromYaml(
      `version: 1\nowner_domain: ${OWNER}\ndefaults:\n  revoke: unlisted\nservices:\n  - match: { name: "*" }\n    allow:\n      - domain: ${ALLOWED}\n`,
    );
    const services = world();
    services[1]!.connections.push(conn('ep-old', STRANGER, 'accepted'));
    const t = setup(services);
    const summary = await runReview(t.deps, strict, { ...t.options, scope: 'compliance' });
    await t.auditor.close();
    const other = summary.actions
      .filter((a) => a.service_id === 'svc-other')
      .map((a) => [a.type, a.endpoint_id ?? a.permission ?? '']);
    expect(other).toEqual([
      ['connection.reject', 'ep-old'],
      ['whitelist.add', `iam:domain::${ALLOWED}`],
      ['service.enable-approval', ''],
    ]);
    expect(services[1]!.connections.find((c) => c.id === 'ep-old')!.status).toBe('rejected');
    expect(services[1]!.service.approval_enabled).toBe(true);
    expect(
      summary.drift
        .filter((d) => d.service_id === 'svc-other')
        .map((d) => d.kind)
        .sort(),
    ).toEqual(['accepted-not-allowed', 'approval-disabled', 'whitelist-missing']);
    expect(t.mem.events.map((e) => e.type)).toContain('vpcep.compliance.report');
    expect(t.fake.calls).toContain('listConnections svc-other all');
  });

  describe('the revocation cap', () => {
    const revokeUnlisted = policyFromYaml(
      `version: 1\ndefaults:\n  revoke: unlisted\n  whitelist: off\nservices:\n  - match: { name: "*" }\n    allow:\n      - domain: ${ALLOWED}\n`,
    );
    /** svc-other with three accepted connections of unlisted domains: three revocations in compliance. */
    function revoking() {
      const services = world();
      services[1]!.connections = [0, 1, 2].map((i) => conn(`ep-old-${i}`, `${STRANGER.slice(0, -1)}${i}`, 'accepted'));
      return setup(services);
    }

    it('marks each held revocation held: planned, with its note, in the summary and in its event', async () => {
      const t = revoking();
      const summary = await runReview(t.deps, revokeUnlisted, {
        ...t.options,
        scope: 'compliance',
        revocationCap: { max: 2, lifted: false },
      });
      await t.auditor.close();
      const held = summary.actions.filter((a) => a.type === 'connection.reject');
      expect(held).toHaveLength(3);
      for (const a of held)
        expect(a).toMatchObject({
          outcome: 'planned',
          held: true,
          note: expect.stringContaining(summary.revocation_hold!),
        });
      expect(summary.actions.filter((a) => a.held)).toHaveLength(3);
      expect(summary).toMatchObject({ revocations_held: 3, failed: true });
      expect(summary.revocation_hold).toMatch(
        /would revoke 3 .*, more than VPCEP_MAX_REVOCATIONS 2; the cap holds all of them/,
      );
      const events = t.mem.events.filter((e) => e.type === 'vpcep.connection.reject');
      expect(events.map((e) => [e.data.outcome, e.data.held, e.data.note])).toEqual(
        held.map((a) => ['planned', true, a.note]),
      );
      expect(t.mem.events.find((e) => e.type === 'vpcep.connection.accept')!.data).not.toHaveProperty('held');
    });

    it('reports no hold when the run was interrupted before it reached the held revocations', async () => {
      const t = revoking();
      const controller = new AbortController();
      // Interrupted while the last read of the survey is in flight: the cap is reckoned, nothing is acted on.
      t.fake.hooks.before = (call) => {
        if (call.startsWith('listConnections svc-other')) controller.abort();
      };
      const summary = await runReview(t.deps, revokeUnlisted, {
        ...t.options,
        scope: 'compliance',
        revocationCap: { max: 2, lifted: false },
        signal: controller.signal,
      });
      expect(summary.interrupted).toBe(true);
      expect(summary.revocations_held).toBe(0);
      expect(summary.revocation_hold).toBeUndefined();
    });
  });

  it('reports turning approval on as done when someone else already did it', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'updateService svc-other') {
        t.fake.services[1]!.service.approval_enabled = true;
        throw apiError(500, 'EndPoint.0001', 'System error.');
      }
    };
    const everything = policyFromYaml(`version: 1\nservices:\n  - match: { name: "*" }\n    whitelist: off\n`);
    const summary = await runReview(t.deps, everything, { ...t.options, scope: 'compliance' });
    expect(summary.actions.filter((a) => a.type === 'service.enable-approval')).toEqual([
      expect.objectContaining({
        service_id: 'svc-other',
        outcome: 'succeeded',
        note: 'already enabled (changed meanwhile)',
      }),
    ]);
  });

  it('says so when turning approval on failed and the service could not be read again', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'updateService svc-other') throw apiError(500, 'EndPoint.0001', 'System error.');
      if (call === 'listServices svc-other') throw apiError(500, 'EndPoint.0001', 'Still failing.');
    };
    const everything = policyFromYaml(`version: 1\nservices:\n  - match: { name: "*" }\n    whitelist: off\n`);
    const summary = await runReview(t.deps, everything, { ...t.options, scope: 'compliance' });
    expect(summary.actions.filter((a) => a.type === 'service.enable-approval')).toEqual([
      expect.objectContaining({
        service_id: 'svc-other',
        outcome: 'failed',
        note: expect.stringContaining('could not re-read the service'),
      }),
    ]);
  });

  it('acts on one connection only when asked about one endpoint (webhook): no whitelist or service action', async () => {
    const t = setup();
    const services = await collect(t.fake.client.listServices());
    const summary = await runReview(t.deps, policy, {
      ...t.options,
      run: { ...t.options.run, trigger: 'webhook' },
      services: services.slice(0, 1),
      endpointId: 'ep-2',
    });
    expect(summary.actions.map((a) => [a.type, a.endpoint_id ?? a.permission])).toEqual([
      ['connection.reject', 'ep-2'],
    ]);
    expect(mutations(t.fake.calls)).toEqual(['reject svc-pay ep-2']);
    expect(summary.left_pending).toEqual([]);
    expect(t.fake.services[0]!.connections[0]!.status).toBe('pendingAcceptance');
  });

  it('counts every action and drift kind, and fails the run, whether or not the caller keeps the actions', async () => {
    const strict = policyFromYaml(
      `version: 1\nowner_domain: ${OWNER}\ndefaults:\n  revoke: unlisted\nservices:\n  - match: { name: "*" }\n    allow:\n      - domain: ${ALLOWED}\n`,
    );
    const summaries = [];
    for (const keepActions of [true, false]) {
      const t = setup();
      t.fake.hooks.before = (call) => {
        if (call === 'updateService svc-other') throw apiError(400, 'EndPoint.0005', 'Refused.');
      };
      summaries.push(await runReview(t.deps, strict, { ...t.options, scope: 'compliance', keepActions }));
    }
    const [kept, counted] = summaries;
    expect(kept!.actions.length).toBeGreaterThan(0);
    expect(counted!.actions).toEqual([]);
    const { actions: _, finished_at: __, ...rest } = kept!;
    expect(counted).toMatchObject(rest);
    expect(counted!.failed).toBe(true);
    expect(counted!.failures).toEqual([
      expect.objectContaining({ service_id: 'svc-other', type: 'service.enable-approval' }),
    ]);
    expect(counted!.drift_by_kind).toEqual(
      Object.fromEntries(
        [...new Set(kept!.drift.map((d) => d.kind))].map((k) => [k, kept!.drift.filter((d) => d.kind === k).length]),
      ),
    );
    expect(counted!.drift_by_kind).toMatchObject({ 'approval-disabled': 1 });
  });

  it('ends with a run.completed event carrying the error when the services cannot even be listed', async () => {
    const t = setup();
    t.fake.hooks.before = (call) => {
      if (call === 'listServices') throw apiError(401, 'APIGW.0301', 'Incorrect IAM authentication information.');
    };
    const summary = await runReview(t.deps, policy, t.options);
    await t.auditor.close();
    expect(summary.failed).toBe(true);
    expect(summary.error).toEqual({
      code: 'APIGW.0301',
      message: 'Incorrect IAM authentication information.',
      status: 401,
    });
    expect(t.mem.events.map((e) => [e.type, e.data.error])).toEqual([['vpcep.run.completed', summary.error]]);
  });
});

describe('runReview() with a lease store', () => {
  const leased = () => {
    const t = setup();
    const store = createMemoryLeaseStore(() => NOW);
    const calls: string[] = [];
    const lease: LeaseStore = {
      acquire: async (key, holder, expiresAt) => (
        calls.push(`acquire ${key} ${expiresAt.toISOString()}`),
        store.acquire(key, holder, expiresAt)
      ),
      renew: (key, holder, expiresAt) => store.renew(key, holder, expiresAt),
      release: async (key, holder) => (calls.push(`release ${key}`), store.release(key, holder)),
    };
    return { ...t, store, lease, calls, deps: { ...t.deps, lease } };
  };

  it('leases only the services with actions, reads them again under the lease, and releases it', async () => {
    const t = leased();
    const summary = await runReview(t.deps, policy, { ...t.options, deadline: new Date(NOW.getTime() + 60_000) });
    expect(summary.failed).toBe(false);
    // svc-other is unmanaged: never leased. svc-pay: until the deadline plus 30 s.
    expect(t.calls).toEqual([
      `acquire proj/svc-pay ${new Date(NOW.getTime() + 60_000 + 30_000).toISOString()}`,
      'release proj/svc-pay',
    ]);
    expect(t.fake.calls.filter((c) => c === 'listConnections svc-pay pendingAcceptance')).toHaveLength(2); // survey, then under the lease
    expect(await t.store.acquire('proj/svc-pay', 'someone-else', new Date(NOW.getTime() + 1000))).toEqual({
      acquired: true,
    });
  });

  it('skips a service whose lease another run holds: no action, not a failure, listed with the holder', async () => {
    const t = leased();
    await t.store.acquire('proj/svc-pay', 'run-other', new Date(NOW.getTime() + 60_000));
    const summary = await runReview(t.deps, policy, t.options);
    expect(mutations(t.fake.calls)).toEqual([]);
    expect(summary.failed).toBe(false);
    expect(summary.skipped).toEqual([{ service_id: 'svc-pay', note: 'being reviewed by run run-other' }]);
    expect(summary.services).toMatchObject({ skipped: 1, reviewed: 0 });
    await t.auditor.close();
    expect(t.mem.events.map((e) => e.type)).toEqual(['vpcep.run.completed']);
    expect(t.mem.events[0]!.data).toMatchObject({
      skipped: [{ service_id: 'svc-pay', note: 'being reviewed by run run-other' }],
      services: { skipped: 1 },
    });
  });

  it('acts on what it reads under the lease, not on the survey', async () => {
    const t = leased();
    t.fake.hooks.before = (call) => {
      // Between the survey and the lease another run accepts ep-1 and rejects ep-2.
      if (call.startsWith('listWhitelist') && t.calls.length === 1) {
        t.fake.services[0]!.connections[0]!.status = 'accepted';
        t.fake.services[0]!.connections[1]!.status = 'rejected';
      }
    };
    const summary = await runReview(t.deps, policy, t.options);
    expect(t.fake.calls).not.toContain('receive svc-pay ep-1');
    expect(t.fake.calls).not.toContain('reject svc-pay ep-2');
    expect(summary.actions.map((a) => a.type)).toEqual(['whitelist.add', 'whitelist.remove']);
  });

  it('plans under the lease at the instant it holds it: an allow entry that expired since the survey accepts nothing', async () => {
    const t = leased();
    // The payments rule, its one allow entry expiring a minute after NOW.
    const rule = policy.services[0]!;
    const expires = new Date(NOW.getTime() + 60_000).toISOString();
    const expiring = { ...policy, services: [{ ...rule, allow: [{ ...rule.allow[0]!, expires }] }] };
    let now = NOW;
    const lease: LeaseStore = {
      ...t.lease,
      // The survey ran at NOW; the lease is taken two minutes later, after the entry's expiry.
      acquire: (key, holder, expiresAt) => (
        (now = new Date(NOW.getTime() + 120_000)),
        t.lease.acquire(key, holder, expiresAt)
      ),
    };
    const summary = await runReview({ ...t.deps, lease, clock: () => now }, expiring, t.options);
    expect(t.calls).toHaveLength(2); // the survey planned an accept, so the service was leased
    expect(t.fake.calls).not.toContain('receive svc-pay ep-1');
    expect(summary.actions.map((a) => [a.type, a.endpoint_id ?? a.permission])).not.toContainEqual([
      'connection.accept',
      'ep-1',
    ]);
    expect(summary.left_pending.map((p) => p.endpoint_id)).toContain('ep-1');
  });

  it('fails the service, and acts on nothing, when the lease store cannot be reached', async () => {
    const t = leased();
    const summary = await runReview(
      { ...t.deps, lease: { ...t.lease, acquire: () => Promise.reject(new Error('DynamoDB: connect ECONNREFUSED')) } },
      policy,
      t.options,
    );
    expect(mutations(t.fake.calls)).toEqual([]);
    expect(summary.failed).toBe(true);
    expect(summary.failures).toEqual([
      {
        service_id: 'svc-pay',
        error: { code: 'ERROR', message: 'could not take the lease on the service: DynamoDB: connect ECONNREFUSED' },
      },
    ]);
  });
});
