import type { Connection } from '../../../lib/model';
import { findRule, needsAcceptedConnections, planService } from '../../../lib/policy/evaluate';
import { type Scope, type ServicePlan } from '../../../lib/policy/plan';
import { DENIED, OWNER, PARTNER } from '../../support/ids';
import {
  connectionFactory,
  NOW,
  policyFromYaml,
  SERVICE_ID,
  serviceFactory,
  whitelistRecordFactory,
} from '../../support/records';

const LIMITED = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const STRANGER = '1111111111111111111111111111aaaa';
const EXPIRED = '2222222222222222222222222222bbbb';

/** The contract's example policy, with `overrides` added to the payments rule. */
function contractPolicy(overrides = '', defaults = '') {
  return policyFromYaml(`version: 1
owner_domain: ${OWNER}
defaults:
  unlisted_pending: leave
${defaults}groups:
  partners:
    - domain: ${PARTNER}
      expires: 2027-06-30
    - domain: ${EXPIRED}
      expires: 2026-01-01
services:
  - rule: payments
    match: { id: ${SERVICE_ID} }
    allow:
      - group: partners
      - domain: ${LIMITED}
        max_connections: 2
    deny:
      - domain: ${DENIED}
${overrides}`);
}

interface Scenario {
  name: string;
  /** `rule` is appended to the payments rule of the contract's example; `yaml` replaces the policy. */
  policy?: { rule?: string; defaults?: string; yaml?: string };
  connections?: Partial<Connection>[];
  whitelist?: string[];
  approval_enabled?: boolean;
  scope?: Scope;
  /** Expected actions as `type endpoint|permission`. */
  actions: string[];
  left?: string[];
  drift?: string[];
}

/** Whitelist that is already as desired, so connection scenarios see no whitelist actions. */
const DESIRED = [OWNER, PARTNER, LIMITED];

function summarize(plan: ServicePlan) {
  return {
    actions: plan.actions.map((a) => `${a.type} ${a.endpoint_id ?? a.permission ?? ''}`.trim()),
    left: plan.left_pending.map((l) => l.endpoint_id),
    drift: plan.drift.map((d) => `${d.kind} ${d.endpoint_id ?? d.permission ?? d.domain_id ?? ''}`.trim()),
  };
}

const scenarios: [string, Scenario[]][] = [
  [
    '1. the first matching rule governs; unmatched services are unmanaged',
    [
      {
        name: 'a service no rule matches gets no actions, only unmanaged drift (compliance)',
        policy: { yaml: `version: 1\nservices:\n  - match: { id: other }\n    unlisted_pending: reject\n` },
        connections: [{ domain_id: STRANGER }],
        scope: 'compliance',
        actions: [],
        drift: ['unmanaged'],
      },
      {
        name: 'a later rule that also matches is ignored',
        policy: { rule: `  - rule: open\n    match: { name: "*" }\n    unlisted_pending: reject\n` },
        connections: [{ id: 'c1', domain_id: STRANGER }],
        whitelist: DESIRED,
        actions: [],
        left: ['c1'],
      },
    ],
  ],
  [
    '2. denied, allowed, unlisted',
    [
      {
        name: 'deny beats allow',
        policy: {
          yaml: `version: 1\nservices:\n  - match: { id: ${SERVICE_ID} }\n    allow: [{ domain: ${DENIED} }, { domain: ${PARTNER} }]\n    deny: [{ domain: ${DENIED} }]\n`,
        },
        connections: [
          { id: 'c1', domain_id: DENIED },
          { id: 'c2', domain_id: PARTNER },
        ],
        whitelist: [PARTNER, DENIED],
        actions: ['connection.reject c1', 'connection.accept c2', `whitelist.remove iam:domain::${DENIED}`],
      },
      {
        name: 'domain IDs compare case-insensitively',
        connections: [{ id: 'c1', domain_id: PARTNER.toUpperCase() }],
        whitelist: DESIRED,
        actions: ['connection.accept c1'],
      },
      {
        name: 'an expired entry counts as unlisted',
        connections: [{ id: 'c1', domain_id: EXPIRED }],
        whitelist: DESIRED,
        actions: [],
        left: ['c1'],
      },
    ],
  ],
  [
    '3. oldest first; accepted connections count against max_connections',
    [
      {
        name: 'accepts up to the limit, oldest first, counting existing accepted ones',
        connections: [
          { id: 'c3', domain_id: LIMITED, created_at: '2026-01-03T00:00:00Z' },
          { id: 'c1', domain_id: LIMITED, status: 'accepted', created_at: '2026-01-01T00:00:00Z' },
          { id: 'c2', domain_id: LIMITED, created_at: '2026-01-02T00:00:00Z' },
        ],
        whitelist: DESIRED,
        actions: ['connection.accept c2'],
        left: ['c3'],
      },
      {
        name: 'ties on created_at are broken by id',
        connections: [
          { id: 'b', domain_id: LIMITED, created_at: '2026-01-01T00:00:00Z' },
          { id: 'a', domain_id: LIMITED, created_at: '2026-01-01T00:00:00Z' },
          { id: 'c', domain_id: LIMITED, created_at: '2026-01-01T00:00:00Z' },
        ],
        whitelist: DESIRED,
        actions: ['connection.accept a', 'connection.accept b'],
        left: ['c'],
      },
    ],
  ],
  [
    '4. pending connections',
    [
      {
        name: 'denied -> reject',
        connections: [{ id: 'c1', domain_id: DENIED }],
        whitelist: DESIRED,
        actions: ['connection.reject c1'],
      },
      {
        name: 'allowed -> accept',
        connections: [{ id: 'c1', domain_id: PARTNER }],
        whitelist: DESIRED,
        actions: ['connection.accept c1'],
      },
      {
        name: 'allowed at max_connections with over_limit: reject -> reject',
        policy: { rule: '    over_limit: reject\n' },
        connections: [
          { domain_id: LIMITED, status: 'accepted' },
          { domain_id: LIMITED, status: 'accepted' },
          { id: 'c9', domain_id: LIMITED },
        ],
        whitelist: DESIRED,
        actions: ['connection.reject c9'],
      },
      {
        name: 'allowed at max_connections with over_limit: leave -> left pending',
        connections: [
          { domain_id: LIMITED, status: 'accepted' },
          { domain_id: LIMITED, status: 'accepted' },
          { id: 'c9', domain_id: LIMITED },
        ],
        whitelist: DESIRED,
        actions: [],
        left: ['c9'],
      },
      {
        name: 'unlisted with unlisted_pending: leave -> left pending',
        connections: [{ id: 'c1', domain_id: STRANGER }],
        whitelist: DESIRED,
        actions: [],
        left: ['c1'],
      },
      {
        name: 'unlisted with unlisted_pending: reject (rule override) -> reject',
        policy: { rule: '    unlisted_pending: reject\n' },
        connections: [{ id: 'c1', domain_id: STRANGER }],
        whitelist: DESIRED,
        actions: ['connection.reject c1'],
      },
      {
        name: 'unlisted with over_limit: reject set in defaults -> still left pending',
        policy: { defaults: '  over_limit: reject\n' },
        connections: [{ id: 'c1', domain_id: STRANGER }],
        whitelist: DESIRED,
        actions: [],
        left: ['c1'],
      },
    ],
  ],
  [
    '5. accepted connections are revoked in compliance only',
    [
      {
        name: 'revoke: never keeps a denied accepted connection',
        scope: 'compliance',
        connections: [{ id: 'c1', domain_id: DENIED, status: 'accepted' }],
        whitelist: DESIRED,
        actions: [],
        drift: [`expired ${EXPIRED}`, 'accepted-not-allowed c1'],
      },
      {
        name: 'revoke: denied rejects a denied accepted connection',
        policy: { rule: '    revoke: denied\n' },
        scope: 'compliance',
        connections: [
          { id: 'c1', domain_id: DENIED, status: 'accepted' },
          { id: 'c2', domain_id: STRANGER, status: 'accepted' },
        ],
        whitelist: DESIRED,
        actions: ['connection.reject c1'],
        drift: [`expired ${EXPIRED}`, 'accepted-not-allowed c1', 'accepted-not-allowed c2'],
      },
      {
        name: 'revoke: unlisted rejects every accepted connection not allowed',
        policy: { rule: '    revoke: unlisted\n' },
        scope: 'compliance',
        connections: [
          { id: 'c1', domain_id: DENIED, status: 'accepted' },
          { id: 'c2', domain_id: STRANGER, status: 'accepted' },
          { id: 'c3', domain_id: PARTNER, status: 'accepted' },
        ],
        whitelist: DESIRED,
        actions: ['connection.reject c1', 'connection.reject c2'],
        drift: [`expired ${EXPIRED}`, 'accepted-not-allowed c1', 'accepted-not-allowed c2'],
      },
      {
        name: 'revoke is not applied in sweep scope',
        policy: { rule: '    revoke: unlisted\n' },
        scope: 'sweep',
        connections: [{ id: 'c1', domain_id: DENIED, status: 'accepted' }],
        whitelist: DESIRED,
        actions: [],
      },
    ],
  ],
  [
    '6. other statuses: nothing',
    [
      {
        name: 'creating, rejected, failed and deleting connections are ignored',
        policy: { rule: '    unlisted_pending: reject\n    revoke: unlisted\n' },
        scope: 'compliance',
        connections: ['creating', 'rejected', 'failed', 'deleting'].map((status) => ({ domain_id: DENIED, status })),
        whitelist: DESIRED,
        actions: [],
      },
    ],
  ],
  [
    '7. whitelist',
    [
      {
        name: 'reconcile adds missing allowed domains and removes undesired records, keeping the owner',
        whitelist: [OWNER, STRANGER, DENIED, PARTNER],
        actions: [
          `whitelist.add iam:domain::${LIMITED}`,
          `whitelist.remove iam:domain::${STRANGER}`,
          `whitelist.remove iam:domain::${DENIED}`,
        ],
      },
      {
        name: 'reconcile removes "*" unless allow_wildcard',
        whitelist: [...DESIRED, '*'],
        actions: ['whitelist.remove *'],
      },
      {
        name: 'allow_wildcard keeps "*"',
        policy: { rule: '    allow_wildcard: true\n' },
        whitelist: [...DESIRED, '*'],
        actions: [],
      },
      {
        name: 'add-only adds and never removes',
        policy: { rule: '    whitelist: add-only\n' },
        whitelist: [STRANGER, '*'],
        actions: [`whitelist.add iam:domain::${PARTNER}`, `whitelist.add iam:domain::${LIMITED}`],
      },
      {
        name: 'off leaves the whitelist alone',
        policy: { rule: '    whitelist: off\n' },
        whitelist: [STRANGER],
        actions: [],
      },
      {
        name: 'denied and expired domains are not desired',
        whitelist: [OWNER, PARTNER, LIMITED, EXPIRED],
        actions: [`whitelist.remove iam:domain::${EXPIRED}`],
      },
      {
        name: 'records compare case-insensitively',
        whitelist: [OWNER.toUpperCase(), `IAM:DOMAIN::${PARTNER.toUpperCase()}`, LIMITED],
        actions: [],
      },
    ],
  ],
  [
    '8. approval',
    [
      {
        name: 'compliance enables approval when required',
        scope: 'compliance',
        approval_enabled: false,
        whitelist: DESIRED,
        actions: ['service.enable-approval'],
        drift: ['approval-disabled', `expired ${EXPIRED}`],
      },
      {
        name: 'sweep does not touch approval',
        scope: 'sweep',
        approval_enabled: false,
        whitelist: DESIRED,
        actions: [],
      },
      {
        name: 'require_approval: false accepts a disabled approval',
        policy: { rule: '    require_approval: false\n' },
        scope: 'compliance',
        approval_enabled: false,
        whitelist: DESIRED,
        actions: [],
        drift: [`expired ${EXPIRED}`],
      },
    ],
  ],
];

describe('planService() by the rules of CONTRACT.md section 2', () => {
  for (const [title, rows] of scenarios) {
    describe(title, () => {
      it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, s) => {
        const policy =
          s.policy?.yaml !== undefined
            ? policyFromYaml(s.policy.yaml)
            : contractPolicy(s.policy?.rule ?? '', s.policy?.defaults ?? '');
        const service = serviceFactory({ approval_enabled: s.approval_enabled ?? true });
        const connections = (s.connections ?? []).map((c) => connectionFactory(c));
        const whitelist = (s.whitelist ?? []).map((w) => whitelistRecordFactory(w));
        const plan = summarize(planService(policy, service, connections, whitelist, NOW, s.scope ?? 'sweep'));
        expect(plan.actions).toEqual(s.actions);
        expect(plan.left).toEqual(s.left ?? []);
        if (s.drift) expect(plan.drift).toEqual(s.drift);
        if ((s.scope ?? 'sweep') === 'sweep') expect(plan.drift).toEqual([]);
      });
    });
  }
});

describe('planService()', () => {
  it('describes an unmanaged service as drift in compliance and does nothing in sweep', () => {
    const policy = policyFromYaml(`version: 1\nservices:\n  - match: { name: "pay-*" }\n`);
    const service = serviceFactory({ service_name: 'ledger' });
    const pending = [connectionFactory({ domain_id: DENIED })];
    expect(planService(policy, service, pending, [], NOW, 'sweep')).toEqual({
      actions: [],
      left_pending: [],
      drift: [],
    });
    const plan = planService(policy, service, pending, [], NOW, 'compliance');
    expect(plan.actions).toEqual([]);
    expect(plan.drift).toEqual([
      {
        kind: 'unmanaged',
        service_id: SERVICE_ID,
        detail: expect.stringContaining('no rule of the policy matches service ledger'),
      },
    ]);
  });

  it('gives readable reasons naming the rule and the policy entry', () => {
    const policy = contractPolicy();
    const connections = [
      connectionFactory({ id: 'c1', domain_id: PARTNER }),
      connectionFactory({ id: 'c2', domain_id: LIMITED }),
      connectionFactory({ id: 'c3', domain_id: DENIED }),
      connectionFactory({ id: 'c4', domain_id: EXPIRED }),
    ];
    const plan = planService(policy, serviceFactory(), connections, [], NOW, 'sweep');
    expect(plan.actions.map((a) => [a.type, a.rule, a.reason])).toEqual([
      ['connection.accept', 'payments', `domain ${PARTNER} allowed by services[0].allow[0] (group partners)`],
      [
        'connection.accept',
        'payments',
        `domain ${LIMITED} allowed by services[0].allow[1]; connection 1 of max_connections 2`,
      ],
      ['connection.reject', 'payments', `domain ${DENIED} denied by services[0].deny[0]`],
      [
        'whitelist.add',
        'payments',
        `domain ${PARTNER} allowed by services[0].allow[0] (group partners); whitelist record missing`,
      ],
      ['whitelist.add', 'payments', `domain ${LIMITED} allowed by services[0].allow[1]; whitelist record missing`],
    ]);
    expect(plan.left_pending).toEqual([
      {
        service_id: SERVICE_ID,
        endpoint_id: 'c4',
        domain_id: EXPIRED,
        created_at: connections[3]!.created_at,
        rule: 'payments',
        reason: `domain ${EXPIRED} is not allowed by rule payments (its entry services[0].allow[0] (group partners) expired 2026-01-01); unlisted_pending: leave`,
      },
    ]);
  });

  it("names each connection's created_at, as listed, in its action and its left_pending entry", () => {
    const policy = contractPolicy();
    const listed = connectionFactory({ id: 'c1', domain_id: PARTNER, created_at: '2026-03-01T10:00:00Z' });
    const waiting = connectionFactory({ id: 'c2', domain_id: EXPIRED, created_at: '2026-03-02T10:00:00Z' });
    const untimed = connectionFactory({ id: 'c3', domain_id: DENIED, created_at: undefined });
    const plan = planService(policy, serviceFactory(), [listed, waiting, untimed], [], NOW, 'sweep');
    expect(plan.actions.filter((a) => a.endpoint_id).map((a) => [a.endpoint_id, a.created_at])).toEqual([
      ['c1', '2026-03-01T10:00:00Z'],
      ['c3', undefined],
    ]);
    expect(plan.actions.find((a) => a.endpoint_id === 'c3')).not.toHaveProperty('created_at');
    expect(plan.left_pending.map((p) => [p.endpoint_id, p.created_at])).toEqual([['c2', '2026-03-02T10:00:00Z']]);
  });

  it('orders actions: connections oldest first, whitelist adds, removes, then enable-approval', () => {
    const policy = contractPolicy('    unlisted_pending: reject\n');
    const connections = [
      connectionFactory({ id: 'late', domain_id: STRANGER, created_at: '2026-05-01T00:00:00Z' }),
      connectionFactory({ id: 'early', domain_id: PARTNER, created_at: '2026-01-01T00:00:00Z' }),
    ];
    const whitelist = [whitelistRecordFactory('zzzz'), whitelistRecordFactory('*'), whitelistRecordFactory('aaaa')];
    const plan = planService(
      policy,
      serviceFactory({ approval_enabled: false }),
      connections,
      whitelist,
      NOW,
      'compliance',
    );
    expect(plan.actions.map((a) => `${a.type} ${a.endpoint_id ?? a.permission ?? ''}`.trim())).toEqual([
      'connection.accept early',
      'connection.reject late',
      `whitelist.add iam:domain::${PARTNER}`,
      `whitelist.add iam:domain::${LIMITED}`,
      'whitelist.remove *',
      'whitelist.remove iam:domain::aaaa',
      'whitelist.remove iam:domain::zzzz',
      'service.enable-approval',
    ]);
  });

  it('reports drift as observed before the run, in a fixed order', () => {
    const policy = contractPolicy();
    const connections = [
      connectionFactory({ id: 'a1', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'a2', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'a3', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'a4', domain_id: STRANGER, status: 'accepted' }),
    ];
    const whitelist = [
      whitelistRecordFactory(OWNER),
      whitelistRecordFactory(LIMITED),
      whitelistRecordFactory(STRANGER),
      whitelistRecordFactory('*'),
    ];
    const plan = planService(
      policy,
      serviceFactory({ approval_enabled: false }),
      connections,
      whitelist,
      NOW,
      'compliance',
    );
    expect(plan.drift.map((d) => [d.kind, d.rule, d.domain_id ?? d.permission ?? null])).toEqual([
      ['approval-disabled', 'payments', null],
      ['expired', 'payments', EXPIRED],
      ['over-limit', 'payments', LIMITED],
      ['accepted-not-allowed', 'payments', STRANGER],
      ['whitelist-missing', 'payments', PARTNER],
      ['wildcard', 'payments', '*'],
      ['whitelist-extra', 'payments', STRANGER],
    ]);
    expect(plan.drift[2]!.detail).toBe(
      `domain ${LIMITED} has 3 accepted connections, more than max_connections 2 (services[0].allow[1])`,
    );
  });

  it('does not report an expired entry when the domain has a live entry elsewhere in the rule', () => {
    const renewed = policyFromYaml(
      `version: 1\ngroups:\n  old:\n    - domain: ${EXPIRED}\n      expires: 2020-01-01\nservices:\n  - match: { id: ${SERVICE_ID} }\n    allow:\n      - group: old\n      - domain: ${EXPIRED}\n`,
    );
    const plan = planService(
      renewed,
      serviceFactory(),
      [connectionFactory({ id: 'c1', domain_id: EXPIRED })],
      [whitelistRecordFactory(EXPIRED)],
      NOW,
      'compliance',
    );
    expect(plan.drift).toEqual([]);
    expect(plan.actions.map((a) => a.reason)).toEqual([`domain ${EXPIRED} allowed by services[0].allow[1]`]);
  });
});

describe('names of consumers (CONTRACT 2, name)', () => {
  const named = policyFromYaml(`version: 1
groups:
  partners:
    - domain: ${PARTNER}
      name: Acme payments
    - domain: ${EXPIRED}
      name: Old partner
      expires: 2026-01-01
services:
  - rule: payments
    match: { id: ${SERVICE_ID} }
    revoke: unlisted
    allow:
      - group: partners
      - domain: ${LIMITED}
        name: Limited Ltd
        max_connections: 1
    deny:
      - domain: ${DENIED}
        name: Blocked Inc
`);

  it('names the domain in every reason, after its id, and changes no decision', () => {
    const connections = [
      connectionFactory({ id: 'c1', domain_id: PARTNER }),
      connectionFactory({ id: 'c2', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'c3', domain_id: LIMITED }),
      connectionFactory({ id: 'c4', domain_id: DENIED }),
      connectionFactory({ id: 'c5', domain_id: EXPIRED }),
      connectionFactory({ id: 'c6', domain_id: DENIED, status: 'accepted' }),
      connectionFactory({ id: 'c7', domain_id: STRANGER }),
    ];
    const plan = planService(
      named,
      serviceFactory(),
      connections,
      [whitelistRecordFactory(LIMITED)],
      NOW,
      'compliance',
    );
    expect(plan.actions.map((a) => `${a.type} ${a.endpoint_id ?? a.permission}: ${a.reason}`)).toEqual([
      `connection.accept c1: domain ${PARTNER} (Acme payments) allowed by services[0].allow[0] (group partners)`,
      `connection.reject c4: domain ${DENIED} (Blocked Inc) denied by services[0].deny[0]`,
      `connection.reject c6: accepted connection from domain ${DENIED} (Blocked Inc) denied by services[0].deny[0]; revoke: unlisted`,
      `whitelist.add iam:domain::${PARTNER}: domain ${PARTNER} (Acme payments) allowed by services[0].allow[0] (group partners); whitelist record missing`,
    ]);
    expect(plan.left_pending.map((p) => `${p.endpoint_id}: ${p.reason}`)).toEqual([
      `c3: domain ${LIMITED} (Limited Ltd) allowed by services[0].allow[1] already has 1 accepted connection (max_connections 1); over_limit: leave`,
      `c5: domain ${EXPIRED} (Old partner) is not allowed by rule payments (its entry services[0].allow[0] (group partners) expired 2026-01-01); unlisted_pending: leave`,
      `c7: domain ${STRANGER} is not allowed by rule payments; unlisted_pending: leave`,
    ]);
    // Without the names the same policy decides the same.
    const unnamed = policyFromYaml(
      JSON.stringify({
        ...named,
        groups: { partners: named.groups.partners!.map(({ name: _, ...m }) => m) },
        services: named.services.map((r) => ({
          ...r,
          allow: r.allow.map((e) => ('name' in e ? (({ name: _, ...rest }) => rest)(e) : e)),
          deny: r.deny.map(({ name: _, ...d }) => d),
        })),
      }),
    );
    const bare = planService(
      unnamed,
      serviceFactory(),
      connections,
      [whitelistRecordFactory(LIMITED)],
      NOW,
      'compliance',
    );
    expect(bare.actions.map((a) => [a.type, a.endpoint_id ?? a.permission])).toEqual(
      plan.actions.map((a) => [a.type, a.endpoint_id ?? a.permission]),
    );
    expect(bare.actions[0]!.reason).toBe(`domain ${PARTNER} allowed by services[0].allow[0] (group partners)`);
  });

  it('names the domain in the drift entries that name one', () => {
    const connections = [
      connectionFactory({ id: 'a1', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'a2', domain_id: LIMITED, status: 'accepted' }),
      connectionFactory({ id: 'a3', domain_id: DENIED, status: 'accepted' }),
    ];
    const whitelist = [whitelistRecordFactory(DENIED)];
    const plan = planService(named, serviceFactory(), connections, whitelist, NOW, 'compliance');
    expect(plan.drift.map((d) => `${d.kind}: ${d.detail}`)).toEqual([
      `expired: allow entry services[0].allow[0] (group partners) for domain ${EXPIRED} (Old partner) expired 2026-01-01; the domain counts as unlisted`,
      `over-limit: domain ${LIMITED} (Limited Ltd) has 2 accepted connections, more than max_connections 1 (services[0].allow[1])`,
      `accepted-not-allowed: connection a3 is accepted but domain ${DENIED} (Blocked Inc) denied by services[0].deny[0]`,
      `whitelist-missing: whitelist lacks iam:domain::${PARTNER} for domain ${PARTNER} (Acme payments) allowed by services[0].allow[0] (group partners)`,
      `whitelist-missing: whitelist lacks iam:domain::${LIMITED} for domain ${LIMITED} (Limited Ltd) allowed by services[0].allow[1]`,
      `whitelist-extra: whitelist record iam:domain::${DENIED} (Blocked Inc) is not desired by rule payments`,
    ]);
  });

  it("takes the name of the entry that decides, else any entry's name for the domain", () => {
    const policy = policyFromYaml(`version: 1
services:
  - match: { id: ${SERVICE_ID} }
    allow:
      - domain: ${PARTNER}
        name: Old name
        expires: 2020-01-01
      - domain: ${PARTNER}
        name: Acme payments
      - domain: ${DENIED}
        name: Named where allowed
    deny:
      - domain: ${DENIED}
`);
    const plan = planService(
      policy,
      serviceFactory(),
      [connectionFactory({ id: 'c1', domain_id: PARTNER }), connectionFactory({ id: 'c2', domain_id: DENIED })],
      [whitelistRecordFactory(PARTNER)],
      NOW,
      'sweep',
    );
    expect(plan.actions.map((a) => a.reason)).toEqual([
      `domain ${PARTNER} (Acme payments) allowed by services[0].allow[1]`,
      `domain ${DENIED} (Named where allowed) denied by services[0].deny[0]`,
    ]);
  });
});

describe('whitelist records the policy does not govern (CONTRACT 2)', () => {
  const ORG = 'organizations:orgPath::o-abc123/r-root/ou-payments';
  const PADDED = `  IAM:Domain::${STRANGER.toUpperCase()} `;
  const PADDED_WILDCARD = ' * ';
  const whitelist = [...DESIRED, ORG, PADDED].map((p) => whitelistRecordFactory(p));
  whitelist.push(whitelistRecordFactory('*', { permission: PADDED_WILDCARD }));

  it('removes a governed record padded or in another case exactly as listed, and never one it does not govern', () => {
    const plan = planService(contractPolicy(), serviceFactory(), [], whitelist, NOW, 'compliance');
    expect(plan.actions.map((a) => [a.type, a.permission, a.domain_id])).toEqual([
      ['whitelist.remove', PADDED, STRANGER],
      ['whitelist.remove', PADDED_WILDCARD, undefined],
    ]);
  });

  it('reports a record it does not govern as drift whitelist-unmanaged, in compliance', () => {
    const plan = planService(contractPolicy(), serviceFactory(), [], whitelist, NOW, 'compliance');
    expect(plan.drift.filter((d) => d.kind === 'whitelist-unmanaged')).toEqual([
      {
        kind: 'whitelist-unmanaged',
        service_id: SERVICE_ID,
        rule: 'payments',
        permission: ORG,
        detail: `whitelist record "${ORG}" is not a record the policy governs (iam:domain::<domain id> or *); it is left alone`,
      },
    ]);
    // By permission as listed: the padded records (leading spaces) first.
    expect(plan.drift.map((d) => [d.kind, d.permission ?? d.domain_id])).toEqual([
      ['expired', EXPIRED],
      ['whitelist-extra', PADDED],
      ['wildcard', PADDED_WILDCARD],
      ['whitelist-unmanaged', ORG],
    ]);
  });

  it('counts a padded desired record as present (nothing to add) and leaves it', () => {
    const padded = [` iam:domain::${OWNER} `, `IAM:DOMAIN::${PARTNER}\t`, LIMITED].map((p) =>
      whitelistRecordFactory(p),
    );
    expect(planService(contractPolicy(), serviceFactory(), [], padded, NOW, 'sweep').actions).toEqual([]);
  });

  it('takes add-only and off as for any record: never removed, reported unless the whitelist is off', () => {
    const addOnly = contractPolicy('    whitelist: add-only\n');
    expect(planService(addOnly, serviceFactory(), [], whitelist, NOW, 'compliance').actions).toEqual([]);
    const off = planService(contractPolicy('    whitelist: off\n'), serviceFactory(), [], whitelist, NOW, 'compliance');
    expect(off.drift.map((d) => d.kind)).not.toContain('whitelist-unmanaged');
  });
});

describe('domain id casing (CONTRACT 2: compared case-insensitively)', () => {
  const upper = (d: string) => d.toUpperCase();
  const policyText = `version: 1
owner_domain: ${upper(OWNER)}
groups:
  partners:
    - domain: ${upper(PARTNER)}
    - domain: ${upper(EXPIRED)}
      expires: 2026-01-01
services:
  - rule: payments
    match: { id: ${SERVICE_ID} }
    unlisted_pending: reject
    revoke: unlisted
    allow:
      - group: partners
      - domain: ${upper(LIMITED)}
        max_connections: 1
    deny:
      - domain: ${upper(DENIED)}
`;

  it('loads the policy with lower-case domain ids', () => {
    const policy = policyFromYaml(policyText);
    expect(policy.owner_domain).toBe(OWNER);
    expect(policy.groups.partners!.map((m) => m.domain)).toEqual([PARTNER, EXPIRED]);
    expect(policy.services[0]!.allow).toContainEqual({ domain: LIMITED, max_connections: 1 });
    expect(policy.services[0]!.deny).toEqual([{ domain: DENIED }]);
  });

  it('speaks of every domain in lower case in actions, left_pending, reasons and drift', () => {
    const policy = policyFromYaml(policyText);
    const connections = [
      connectionFactory({ id: 'a1', domain_id: upper(LIMITED), status: 'accepted' }),
      connectionFactory({ id: 'a2', domain_id: upper(LIMITED), status: 'accepted' }),
      connectionFactory({ id: 'p1', domain_id: upper(PARTNER) }),
      connectionFactory({ id: 'p2', domain_id: upper(DENIED) }),
      connectionFactory({ id: 'p3', domain_id: upper(STRANGER), status: 'accepted' }),
    ];
    const whitelist = [whitelistRecordFactory(`iam:domain::${upper(STRANGER)}`), whitelistRecordFactory(upper(OWNER))];
    const plan = planService(
      policy,
      serviceFactory({ approval_enabled: true }),
      connections,
      whitelist,
      NOW,
      'compliance',
    );
    const adds = plan.actions.filter((a) => a.type === 'whitelist.add');
    expect(adds.map((a) => [a.domain_id, a.permission])).toEqual([
      [PARTNER, `iam:domain::${PARTNER}`],
      [LIMITED, `iam:domain::${LIMITED}`],
    ]);
    // The record to remove is named exactly as it exists; its domain id is lower-case.
    expect(plan.actions.find((a) => a.type === 'whitelist.remove')).toMatchObject({
      domain_id: STRANGER,
      permission: `iam:domain::${upper(STRANGER)}`,
    });
    const texts = [
      ...plan.actions.map((a) => `${a.domain_id} ${a.reason}`),
      ...plan.left_pending.map((l) => `${l.domain_id} ${l.reason}`),
      ...plan.drift.map((d) => `${d.domain_id ?? ''} ${d.detail}`),
    ];
    expect(texts.length).toBeGreaterThan(5);
    // A record is quoted as it exists (it is its name); every domain id itself is lower-case.
    const recordName = `iam:domain::${upper(STRANGER)}`;
    for (const text of texts)
      for (const d of [OWNER, PARTNER, LIMITED, DENIED, STRANGER, EXPIRED])
        expect(text.split(recordName).join('')).not.toContain(upper(d));
    expect(plan.drift.map((d) => `${d.kind} ${d.domain_id ?? ''}`.trim())).toEqual(
      expect.arrayContaining([
        `expired ${EXPIRED}`,
        `over-limit ${LIMITED}`,
        `accepted-not-allowed ${STRANGER}`,
        `whitelist-missing ${PARTNER}`,
        `whitelist-extra ${STRANGER}`,
      ]),
    );
  });
});

describe('allow entries about to expire (CONTRACT 2, expiring)', () => {
  // NOW is 2026-11-26T08:00Z: 2026-12-06 is valid through the end of that day, 10 days on.
  const IN_10_DAYS = '2026-12-06';
  const IN_20_DAYS = '2026-12-16';
  const policy = (allow: string, extra = '') =>
    policyFromYaml(`version: 1
${extra}services:
  - rule: payments
    match: { id: ${SERVICE_ID} }
    revoke: unlisted
    allow:
${allow}`);
  const entry = (expires: string) => `      - domain: ${PARTNER}\n        expires: ${expires}\n`;
  const windowOf = (days: number) => `defaults:\n  expiry_warning_days: ${days}\n`;
  const expiring = (p: ReturnType<typeof policyFromYaml>) =>
    planService(p, serviceFactory(), [], [], NOW, 'compliance')
      .drift.filter((d) => d.kind === 'expiring' || d.kind === 'expired')
      .map((d) => `${d.kind} ${d.domain_id}: ${d.detail}`);

  it('reports an entry expiring within the default 14 days, naming domain, name, entry, date and days left', () => {
    const p = policy(`      - domain: ${PARTNER}\n        name: Acme payments\n        expires: ${IN_10_DAYS}\n`);
    expect(expiring(p)).toEqual([
      `expiring ${PARTNER}: allow entry services[0].allow[0] for domain ${PARTNER} (Acme payments) expires ${IN_10_DAYS} (10 days left, expiry_warning_days 14); the domain will then count as unlisted, and under revoke: unlisted its accepted connections will be revoked`,
    ]);
  });

  it('reports a group member where the group is allowed', () => {
    const p = policy(
      '      - group: partners\n',
      `groups:\n  partners:\n    - domain: ${PARTNER}\n      expires: ${IN_10_DAYS}\n`,
    );
    expect(expiring(p)).toEqual([
      expect.stringContaining(
        `expiring ${PARTNER}: allow entry services[0].allow[0] (group partners) for domain ${PARTNER} expires`,
      ),
    ]);
  });

  it('leaves out an entry expiring in 20 days, and one beyond a smaller window', () => {
    expect(expiring(policy(entry(IN_20_DAYS)))).toEqual([]);
    expect(expiring(policy(entry(IN_10_DAYS), windowOf(7)))).toEqual([]);
  });

  it('widens the window with expiry_warning_days, in defaults or on the rule', () => {
    expect(expiring(policy(entry(IN_20_DAYS), windowOf(30)))).toEqual([
      expect.stringContaining('(20 days left, expiry_warning_days 30)'),
    ]);
    expect(expiring(policy(`${entry(IN_20_DAYS)}    expiry_warning_days: 21\n`))).toEqual([
      expect.stringContaining('(20 days left, expiry_warning_days 21)'),
    ]);
  });

  it('is turned off by expiry_warning_days: 0, even an hour before an RFC 3339 expiry', () => {
    expect(expiring(policy(entry(IN_10_DAYS), windowOf(0)))).toEqual([]);
    expect(expiring(policy(entry('2026-11-26T09:00:00Z'), windowOf(0)))).toEqual([]);
    expect(expiring(policy(entry('2026-11-26T09:00:00Z')))).toEqual([
      expect.stringContaining('expires 2026-11-26T09:00:00Z (less than a day left'),
    ]);
  });

  it('is suppressed by a later-expiring or never-expiring live entry for the same domain', () => {
    expect(
      expiring(policy(`${entry(IN_10_DAYS)}      - domain: ${PARTNER.toUpperCase()}\n        expires: 2027-06-30\n`)),
    ).toEqual([]);
    expect(expiring(policy(`${entry(IN_10_DAYS)}      - domain: ${PARTNER}\n`))).toEqual([]);
    // An earlier-expiring second entry does not suppress it: the latest one is named.
    expect(expiring(policy(`${entry('2026-11-30')}${entry(IN_10_DAYS)}`))).toEqual([
      expect.stringContaining(`allow entry services[0].allow[1] for domain ${PARTNER} expires ${IN_10_DAYS}`),
    ]);
  });

  it('reports an expired entry as expired, not expiring', () => {
    expect(expiring(policy(entry('2026-11-20')))).toEqual([expect.stringMatching(new RegExp(`^expired ${PARTNER}: `))]);
  });

  it('says nothing of a denied domain, and nothing in a sweep', () => {
    expect(expiring(policy(`${entry(IN_10_DAYS)}    deny:\n      - domain: ${PARTNER}\n`))).toEqual([]);
    expect(planService(policy(entry(IN_10_DAYS)), serviceFactory(), [], [], NOW, 'sweep').drift).toEqual([]);
  });
});

describe('findRule()', () => {
  const policy = policyFromYaml(`version: 1
services:
  - rule: exact
    match: { id: ${SERVICE_ID.toUpperCase()} }
  - match: { name: "pay-??-*" }
  - rule: catch-all
    match: { name: "*" }
`);

  it('takes the first rule whose match fits', () => {
    expect(findRule(policy, serviceFactory({ service_name: 'pay-eu-1' }))).toEqual({
      rule: policy.services[0],
      label: 'exact',
      index: 0,
    });
    expect(findRule(policy, serviceFactory({ id: 'other', service_name: 'pay-eu-1' }))).toEqual({
      rule: policy.services[1],
      label: 'services[1]',
      index: 1,
    });
    expect(findRule(policy, serviceFactory({ id: 'other', service_name: 'pay-e-1' }))?.label).toBe('catch-all');
  });

  it('matches a name glob case-insensitively, like ids', () => {
    const mixed = policyFromYaml(`version: 1\nservices:\n  - rule: pay\n    match: { name: "Pay-??-*" }\n`);
    expect(findRule(mixed, serviceFactory({ service_name: 'pay-eu-1' }))?.label).toBe('pay');
    expect(findRule(mixed, serviceFactory({ service_name: 'PAY-EU-1' }))?.label).toBe('pay');
    expect(findRule(mixed, serviceFactory({ service_name: 'pay-e-1' }))).toBeUndefined();
  });

  it('never matches a name glob against a service without a name', () => {
    const byName = policyFromYaml(`version: 1\nservices:\n  - match: { name: "*" }\n`);
    expect(findRule(byName, serviceFactory({ service_name: undefined }))).toBeUndefined();
  });
});

describe('needsAcceptedConnections()', () => {
  const policy = contractPolicy();
  it('is true only when a pending connection comes from an allowed domain with max_connections', () => {
    const service = serviceFactory();
    expect(needsAcceptedConnections(policy, service, [connectionFactory({ domain_id: LIMITED })], NOW)).toBe(true);
    expect(needsAcceptedConnections(policy, service, [connectionFactory({ domain_id: PARTNER })], NOW)).toBe(false);
    expect(
      needsAcceptedConnections(
        policy,
        service,
        [connectionFactory({ domain_id: STRANGER }), connectionFactory({ domain_id: DENIED })],
        NOW,
      ),
    ).toBe(false);
    expect(
      needsAcceptedConnections(
        policy,
        serviceFactory({ id: 'unmanaged' }),
        [connectionFactory({ domain_id: LIMITED })],
        NOW,
      ),
    ).toBe(false);
  });
});
