import { policyJsonSchema, policySchema } from '../../../lib/policy/schema';

type Json = { [k: string]: unknown };

/** Every property of every object in the JSON Schema, with its path. */
function properties(schema: unknown, path = ''): [string, Json][] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Json;
  const out: [string, Json][] = [];
  for (const [key, value] of Object.entries((s.properties as Record<string, Json> | undefined) ?? {})) {
    out.push([`${path}.${key}`, value], ...properties(value, `${path}.${key}`));
  }
  for (const key of ['items', 'additionalProperties'])
    if (typeof s[key] === 'object') out.push(...properties(s[key], `${path}[]`));
  for (const key of ['anyOf', 'oneOf'])
    if (Array.isArray(s[key])) for (const branch of s[key]) out.push(...properties(branch, path));
  return out;
}

describe('policySchema', () => {
  it('describes every field (the descriptions reach the JSON Schema)', () => {
    const props = properties(policyJsonSchema());
    expect(props.length).toBeGreaterThan(30);
    const undocumented = props
      .filter(([, p]) => typeof p.description !== 'string' || p.description.length < 10)
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('is strict at every level: unknown keys are not allowed', () => {
    const schema = policyJsonSchema() as Json;
    const objects: Json[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (typeof v === 'object' && v !== null) {
        if ((v as Json).type === 'object' && (v as Json).properties) objects.push(v as Json);
        Object.values(v).forEach(visit);
      }
    };
    visit(schema);
    // policy, defaults, group member, rule, match, allow { group }, allow { domain }, deny
    expect(objects).toHaveLength(8);
    for (const o of objects) expect(o.additionalProperties).toBe(false);
  });

  it('says in JSON Schema that a match names exactly one of id and name', () => {
    const match = properties(policyJsonSchema()).find(([path]) => path === '.services[].match')?.[1];
    expect(match?.oneOf).toEqual([{ required: ['id'] }, { required: ['name'] }]);
  });

  it('accepts the example of CONTRACT.md section 2', () => {
    const parsed = policySchema.parse({
      version: 1,
      owner_domain: '6e9dfd51d1124e8d8498dce894923a0d',
      defaults: {
        unlisted_pending: 'leave',
        over_limit: 'leave',
        revoke: 'never',
        whitelist: 'reconcile',
        allow_wildcard: false,
        require_approval: true,
      },
      groups: { partners: [{ domain: '5fc973eea581490997e82ea11a1df31f', expires: '2027-06-30', max_connections: 3 }] },
      services: [
        {
          rule: 'payments',
          match: { id: '4189d3c2-8882-4871-a3c2-d380272eed88' },
          allow: [{ group: 'partners' }, { domain: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', max_connections: 2 }],
          deny: [{ domain: 'ffffffffffffffffffffffffffffffff' }],
          unlisted_pending: 'reject',
        },
      ],
    });
    expect(parsed.services[0]!.unlisted_pending).toBe('reject');
  });
});
