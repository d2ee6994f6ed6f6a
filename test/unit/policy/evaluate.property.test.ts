import fc from 'fast-check';

import {
  isGovernedPermission,
  permissionKey,
  type Action,
  type Connection,
  type EndpointService,
  type WhitelistRecord,
} from '../../../lib/model';
import { findRule, needsAcceptedConnections, planService } from '../../../lib/policy/evaluate';
import { type Scope } from '../../../lib/policy/plan';
import { policySchema, type Policy } from '../../../lib/policy/schema';
import { isoDay } from '../../../lib/time';
import { PAYMENTS as SERVICE_ID } from '../../support/ids';

/**
 * Planner invariants over random policies and states (DESIGN.md "Tests read like the contract").
 * Small pools of domains, times and ids make collisions (same domain in several entries, ties
 * on created_at, records differing only in case) common rather than rare.
 */
const NOW = new Date('2026-11-26T08:00:00Z');
const RUNS = { numRuns: 1000 };
const DOMAINS = ['aaaa1111', 'bbbb2222', 'cccc3333', 'dddd4444', 'eeee5555', 'ffff6666'];
const EXPIRIES = [
  undefined,
  '2020-01-01',
  '2030-01-01',
  '2026-11-26',
  '2026-11-26T07:59:59Z',
  '2026-11-26T08:00:01+01:00',
];
const TIMES = [undefined, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', '2026-01-02T00:00:00+03:00'];
const STATUSES = ['pendingAcceptance', 'pendingAcceptance', 'accepted', 'accepted', 'rejected', 'creating', 'failed'];

const casedDomain = fc
  .tuple(fc.constantFrom(...DOMAINS), fc.boolean())
  .map(([d, upper]) => (upper ? d.toUpperCase() : d));
const member = fc.record(
  {
    domain: casedDomain,
    expires: fc.constantFrom(...EXPIRIES),
    max_connections: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  },
  { requiredKeys: ['domain'] },
);
const settings = fc.record(
  {
    unlisted_pending: fc.constantFrom('leave', 'reject'),
    over_limit: fc.constantFrom('leave', 'reject'),
    revoke: fc.constantFrom('never', 'denied', 'unlisted'),
    whitelist: fc.constantFrom('reconcile', 'add-only', 'off'),
    allow_wildcard: fc.boolean(),
    require_approval: fc.boolean(),
  },
  { requiredKeys: [] },
);

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    owner: fc.option(casedDomain, { nil: undefined }),
    defaults: settings,
    groups: fc.dictionary(fc.constantFrom('g1', 'g2', 'g3'), fc.array(member, { minLength: 1, maxLength: 3 }), {
      maxKeys: 3,
    }),
    rules: fc.array(
      fc.record({
        match: fc.constantFrom(
          { id: SERVICE_ID },
          { id: SERVICE_ID.toUpperCase() },
          { name: 'pay-*' },
          { name: 'ledger' },
          { id: 'other' },
        ),
        allow: fc.array(fc.oneof(member, fc.constantFrom('g1', 'g2', 'g3')), { maxLength: 4 }),
        deny: fc.array(casedDomain, { maxLength: 2 }),
        overrides: settings,
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ owner, defaults, groups, rules }) =>
    policySchema.parse({
      version: 1,
      ...(owner === undefined ? {} : { owner_domain: owner }),
      defaults,
      groups,
      services: rules.map((r) => ({
        match: r.match,
        // A group reference only to a group that exists (an unknown group is a load error).
        allow: r.allow.flatMap((a): object[] =>
          typeof a === 'string' ? (a in groups ? [{ group: a }] : []) : [stripUndefined(a)],
        ),
        deny: r.deny.map((domain) => ({ domain })),
        ...r.overrides,
      })),
    }),
  );

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

interface State {
  service: EndpointService;
  connections: Connection[];
  whitelist: WhitelistRecord[];
  scope: Scope;
  seed: number;
}

const stateArb: fc.Arbitrary<State> = fc
  .record({
    name: fc.constantFrom('pay-eu', 'ledger', undefined),
    approval: fc.boolean(),
    connections: fc.array(
      fc.record({ domain: casedDomain, status: fc.constantFrom(...STATUSES), created_at: fc.constantFrom(...TIMES) }),
      { maxLength: 10 },
    ),
    whitelist: fc.array(
      fc.oneof(
        casedDomain.map((d) => `iam:domain::${d}`),
        fc.constantFrom('*', 'iam:domain::*', 'IAM:DOMAIN::aaaa1111', ' iam:domain::AAAA1111 ', ' * '),
        // Records the policy language does not govern (CONTRACT 2): never removed.
        fc.constantFrom('organizations:orgPath::o-1/r-2', 'iam:domain::', 'iam:group::x'),
      ),
      { maxLength: 6 },
    ),
    scope: fc.constantFrom<Scope>('sweep', 'compliance'),
    seed: fc.integer(),
  })
  .map(({ name, approval, connections, whitelist, scope, seed }) => ({
    service: { id: SERVICE_ID, approval_enabled: approval, ...(name === undefined ? {} : { service_name: name }) },
    connections: connections.map((c, i) => ({
      id: `c${i}`,
      domain_id: c.domain,
      status: c.status,
      ...(c.created_at === undefined ? {} : { created_at: c.created_at }),
    })),
    whitelist: whitelist.map((permission, i) => ({ id: `p${i}`, permission })),
    scope,
    seed,
  }));

const plan = (policy: Policy, s: State) => planService(policy, s.service, s.connections, s.whitelist, NOW, s.scope);

/** The allow entries of the governing rule that name `domain`, groups expanded (independent of the planner). */
function entriesFor(policy: Policy, s: State, domain: string): { max_connections?: number; expires?: string }[] {
  const found = findRule(policy, s.service);
  if (!found) return [];
  return found.rule.allow
    .flatMap((a) => ('group' in a ? (policy.groups[a.group] ?? []) : [a]))
    .filter((e) => e.domain.toLowerCase() === domain.toLowerCase());
}

/** Independent reading of CONTRACT 2 expiry: a date is valid through its day (UTC), a time until it. */
function liveAt(expires: string | undefined): boolean {
  if (expires === undefined) return true;
  if (/^\d{4}-\d{2}-\d{2}$/.test(expires)) return expires >= isoDay(NOW);
  return new Date(expires).getTime() > NOW.getTime();
}

function isDenied(policy: Policy, s: State, domain: string): boolean {
  const found = findRule(policy, s.service);
  return !!found && found.rule.deny.some((d) => d.domain.toLowerCase() === domain.toLowerCase());
}

/** Applies a plan's actions to the state, as the API would. */
function apply(s: State, actions: Action[]): State {
  const status = new Map(
    actions
      .filter((a) => a.type.startsWith('connection.'))
      .map((a) => [a.endpoint_id!, a.type === 'connection.accept' ? 'accepted' : 'rejected']),
  );
  const removed = new Set(actions.filter((a) => a.type === 'whitelist.remove').map((a) => a.permission!));
  const added = actions
    .filter((a) => a.type === 'whitelist.add')
    .map((a, i) => ({ id: `added${i}`, permission: a.permission! }));
  return {
    ...s,
    service: {
      ...s.service,
      approval_enabled: s.service.approval_enabled || actions.some((a) => a.type === 'service.enable-approval'),
    },
    connections: s.connections.map((c) => ({ ...c, status: status.get(c.id) ?? c.status })),
    whitelist: [...s.whitelist.filter((r) => !removed.has(r.permission)), ...added],
  };
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed | 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('planService() properties', () => {
  it('never accepts a connection from a denied domain', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        for (const a of plan(policy, s).actions) {
          if (a.type === 'connection.accept') expect(isDenied(policy, s, a.domain_id!)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('only accepts pending connections of domains with a live allow entry', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const byId = new Map(s.connections.map((c) => [c.id, c]));
        for (const a of plan(policy, s).actions.filter((x) => x.type === 'connection.accept')) {
          expect(byId.get(a.endpoint_id!)?.status).toBe('pendingAcceptance');
          expect(entriesFor(policy, s, a.domain_id!).some((e) => liveAt(e.expires))).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("never pushes a domain's accepted connections above max_connections through the plan's accepts", () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const accepts = plan(policy, s).actions.filter((a) => a.type === 'connection.accept');
        const domains = new Set(accepts.map((a) => a.domain_id!.toLowerCase()));
        for (const d of domains) {
          const limits = entriesFor(policy, s, d).map((e) => e.max_connections);
          if (limits.some((m) => m === undefined)) continue; // some entry allows it without a limit
          const limit = Math.max(...(limits as number[]));
          const before = s.connections.filter((c) => c.status === 'accepted' && c.domain_id.toLowerCase() === d).length;
          const added = accepts.filter((a) => a.domain_id!.toLowerCase() === d).length;
          expect(before + added).toBeLessThanOrEqual(Math.max(limit, before));
          if (before >= limit) expect(added).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("never removes the owner's whitelist record", () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const owner = policy.owner_domain?.toLowerCase();
        if (owner === undefined) return;
        for (const a of plan(policy, s).actions) {
          if (a.type === 'whitelist.remove') expect(permissionKey(a.permission!)).not.toBe(`iam:domain::${owner}`);
        }
      }),
      RUNS,
    );
  });

  it('removes only governed records, each exactly as listed', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const listed = new Set(s.whitelist.map((r) => r.permission));
        for (const a of plan(policy, s).actions) {
          if (a.type !== 'whitelist.remove') continue;
          expect(listed.has(a.permission!)).toBe(true);
          expect(isGovernedPermission(a.permission!)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('plans nothing more after its plan is applied (idempotence)', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const first = plan(policy, s);
        const after = apply(s, first.actions);
        expect(plan(policy, after).actions).toEqual([]);
      }),
      RUNS,
    );
  });

  it('is deterministic: the same state in any order gives the same plan', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const once = plan(policy, s);
        expect(plan(policy, s)).toEqual(once);
        const reordered = {
          ...s,
          connections: shuffle(s.connections, s.seed),
          whitelist: shuffle(s.whitelist, s.seed + 1),
        };
        expect(plan(policy, reordered)).toEqual(once);
      }),
      RUNS,
    );
  });

  it("plans a sweep from the engine's partial view exactly as from the full one", () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        const pending = s.connections.filter((c) => c.status === 'pendingAcceptance');
        const accepted = s.connections.filter((c) => c.status === 'accepted');
        const view = needsAcceptedConnections(policy, s.service, pending, NOW) ? [...pending, ...accepted] : pending;
        const partial = planService(policy, s.service, view, s.whitelist, NOW, 'sweep');
        const full = planService(policy, s.service, s.connections, s.whitelist, NOW, 'sweep');
        expect(partial).toEqual(full);
      }),
      RUNS,
    );
  });

  // Listings read at different moments overlap: a connection accepted between the pending and the
  // accepted listing is in both, and paging or a retried read can deliver a record twice.
  const staleView = (s: State, stale: boolean[], twice: boolean[]): Connection[] =>
    shuffle(
      [
        ...s.connections,
        ...s.connections
          .filter((c, i) => stale[i % stale.length] && c.status !== 'pendingAcceptance')
          .map((c) => ({ ...c, status: 'pendingAcceptance' })),
        ...s.connections.filter((_, i) => twice[i % twice.length]).map((c) => ({ ...c })),
      ],
      s.seed,
    );

  it('plans from duplicated and stale views exactly as from the latest state', () => {
    fc.assert(
      fc.property(
        policyArb,
        stateArb,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        (policy, s, stale, twice) => {
          const view = staleView(s, stale, twice);
          expect(planService(policy, s.service, view, s.whitelist, NOW, s.scope)).toEqual(plan(policy, s));
        },
      ),
      RUNS,
    );
  });

  it('never plans a sweep action on a connection that any listing showed as accepted', () => {
    fc.assert(
      fc.property(policyArb, stateArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }), (policy, s, stale) => {
        const view = staleView(s, stale, [false]);
        const accepted = new Set(view.filter((c) => c.status === 'accepted').map((c) => c.id));
        const { actions, left_pending } = planService(policy, s.service, view, s.whitelist, NOW, 'sweep');
        for (const a of actions) if (a.endpoint_id !== undefined) expect(accepted.has(a.endpoint_id)).toBe(false);
        for (const p of left_pending) expect(accepted.has(p.endpoint_id)).toBe(false);
      }),
      RUNS,
    );
  });

  it('touches nothing and reports only "unmanaged" for a service no rule matches', () => {
    fc.assert(
      fc.property(policyArb, stateArb, (policy, s) => {
        fc.pre(findRule(policy, s.service) === undefined);
        const p = plan(policy, s);
        expect(p.actions).toEqual([]);
        expect(p.left_pending).toEqual([]);
        expect(p.drift.map((d) => d.kind)).toEqual(s.scope === 'compliance' ? ['unmanaged'] : []);
      }),
      { numRuns: 1000, maxSkipsPerRun: 1000 },
    );
  });
});
