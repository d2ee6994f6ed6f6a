import type { Action } from '../../../lib/model';
import { revocationHold, revocationsOf } from '../../../lib/policy/revocations';
import { OWNER, PARTNER } from '../../support/ids';
import { actionFactory, connectionFactory, whitelistRecordFactory } from '../../support/records';

/** What counts against the blast-radius cap (CONTRACT section 1, "Brake and cap"). */
const domain = (i: number) => i.toString(16).padStart(32, 'c');
const accepted = (d: string, id = `ep-${d.slice(-4)}`) => connectionFactory({ id, domain_id: d, status: 'accepted' });
const remove = (permission: string): Action =>
  actionFactory({ type: 'whitelist.remove', endpoint_id: undefined, permission });
const add = (permission: string): Action =>
  actionFactory({ type: 'whitelist.add', endpoint_id: undefined, permission });

describe('revocationsOf()', () => {
  const strangers = Array.from({ length: 20 }, (_, i) => domain(i));
  const connections = [...strangers.map((d) => accepted(d)), accepted(PARTNER), accepted(OWNER)];

  it.each(['*', 'iam:domain::*', ' IAM:DOMAIN::* '])(
    'counts removing the wildcard %j once per domain with accepted connections no remaining record admits',
    (wildcard) => {
      const whitelist = [wildcard, `iam:domain::${PARTNER}`].map((p) => whitelistRecordFactory('*', { permission: p }));
      const removal = remove(wildcard);
      const r = revocationsOf([removal], connections, whitelist, OWNER);
      // 20 strangers; the partner keeps its own record, the owner is always admitted.
      expect(r).toEqual({ actions: [removal], count: 20 });
    },
  );

  it('counts removing a record with an asterisk inside its id once per domain it matches and nothing else admits', () => {
    const abs = Array.from({ length: 5 }, (_, i) => `ab${domain(i).slice(2)}`);
    const pattern = remove('iam:domain::AB*');
    const whitelist = [whitelistRecordFactory('*', { permission: 'iam:domain::AB*' }), whitelistRecordFactory(abs[0]!)];
    const r = revocationsOf([pattern], [...abs.map((d) => accepted(d)), ...connections], whitelist, OWNER);
    // The four ab... domains without a record of their own; the others (cc..., the partner, the owner) never matched it.
    expect(r).toEqual({ actions: [pattern], count: 4 });
  });

  it('counts a domain admitted by a record added in the same plan as not shut out', () => {
    const whitelist = [whitelistRecordFactory('*'), whitelistRecordFactory(PARTNER)];
    const plan = [add(`iam:domain::${strangers[0]}`), remove('*')];
    expect(revocationsOf(plan, connections, whitelist, OWNER).count).toBe(19);
  });

  it('counts nothing when a wildcard stays or no domain with accepted connections is shut out', () => {
    const whitelist = ['*', 'iam:domain::*'].map((p) => whitelistRecordFactory('*', { permission: p }));
    expect(revocationsOf([remove('iam:domain::*')], connections, whitelist, OWNER)).toEqual({ actions: [], count: 0 });
    expect(revocationsOf([remove('*')], [accepted(OWNER)], [whitelistRecordFactory('*')], OWNER)).toEqual({
      actions: [],
      count: 0,
    });
  });

  it('counts a domain record once, unless the domain stays admitted (a wildcard kept, a duplicate record)', () => {
    const d = strangers[0]!;
    const removal = remove(`iam:domain::${d}`);
    expect(revocationsOf([removal], connections, [whitelistRecordFactory(d)])).toEqual({
      actions: [removal],
      count: 1,
    });
    const kept = [whitelistRecordFactory(d), whitelistRecordFactory('*')];
    expect(revocationsOf([removal], connections, kept).count).toBe(0);
    const padded = remove(` iam:domain::${d} `);
    const duplicate = [whitelistRecordFactory(d), whitelistRecordFactory('*', { permission: ` iam:domain::${d} ` })];
    expect(revocationsOf([padded], connections, duplicate).count).toBe(0);
  });

  it('counts each rejected accepted connection, and a domain shut out besides', () => {
    const d = strangers[0]!;
    const reject = actionFactory({ type: 'connection.reject', endpoint_id: connections[0]!.id, domain_id: d });
    const removal = remove(`iam:domain::${d}`);
    expect(revocationsOf([reject, removal], connections, [whitelistRecordFactory(d)])).toEqual({
      actions: [reject, removal],
      count: 2,
    });
  });
});

describe('revocationHold()', () => {
  it('holds a run whose wildcard removal counts more than the cap, though it is one action', () => {
    const revocations = [remove('*')];
    expect(
      revocationHold([{ service_id: 's', revocations, count: 20, accepted: 20 }], { max: 1, lifted: false }),
    ).toMatch(/would revoke 20 .* more than VPCEP_MAX_REVOCATIONS 1/);
    expect(
      revocationHold([{ service_id: 's', revocations, count: 20, accepted: 20 }], { max: 20, lifted: true }),
    ).toBeUndefined();
  });
});
