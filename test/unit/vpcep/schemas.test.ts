import {
  connectionActionRequestSchema,
  connectionSchema,
  createEndpointRequestSchema,
  createServiceRequestSchema,
  describeIssues,
  listWhitelistResponseSchema,
  updateServiceRequestSchema,
  whitelistActionRequestSchema,
} from '../../../lib/vpcep/schemas';
import { fixture } from './fake-fetch';

describe('request-body schemas', () => {
  it.each([
    [createServiceRequestSchema, '4.2.1-create-service.request.json'],
    [updateServiceRequestSchema, '4.2.3-update-service.request.json'],
    [connectionActionRequestSchema, '4.2.7-connection-action.request.json'],
    [whitelistActionRequestSchema, '4.2.9-whitelist-add.request.json'],
    [whitelistActionRequestSchema, '4.2.9-whitelist-remove.request.json'],
    [createEndpointRequestSchema, '4.3.1-create-endpoint.request.json'],
  ] as const)('accept the reference example %#', (schema, name) => {
    expect(schema.safeParse(fixture(name)).success).toBe(true);
  });

  it('name the offending field', () => {
    const bad = whitelistActionRequestSchema.safeParse({
      permissions: ['iam:domain::ok', 'domain::x'],
      action: 'grant',
    });
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(describeIssues(bad.error)).toMatch(
        /permissions\[1\]: expected "iam:domain::<domain id>" or "\*".*action: /,
      );
    const action = connectionActionRequestSchema.safeParse({ action: 'accept', endpoints: [] });
    expect(action.success).toBe(false);
    if (!action.success) expect(describeIssues(action.error)).toMatch(/action: .*endpoints: /);
    expect(
      createServiceRequestSchema.safeParse({
        port_id: 'p',
        vpc_id: 'v',
        server_type: 'VM',
        ports: [{ server_port: 70000 }],
      }).success,
    ).toBe(false);
    expect(updateServiceRequestSchema.safeParse({ service_name: 'name with spaces' }).success).toBe(false);
  });
});

describe('connectionSchema', () => {
  it('normalises marker_id and drops unknown fields', () => {
    expect(
      connectionSchema.parse({ id: 'a', domain_id: 'd', status: 'accepted', marker_id: '42', error: [], surprise: 1 }),
    ).toEqual({ id: 'a', domain_id: 'd', status: 'accepted', marker_id: 42, error: [] });
  });

  it('refuses a marker_id that is not a number', () => {
    const result = connectionSchema.safeParse({ id: 'a', domain_id: 'd', status: 'accepted', marker_id: '4x' });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toContain('marker_id');
  });
});

describe('nullAsAbsent: null for an optional field of a record', () => {
  it('reads as the field left out, for a record and for its listing', () => {
    expect(
      connectionSchema.parse({
        id: 'a',
        domain_id: 'd',
        status: 'accepted',
        marker_id: null,
        created_at: null,
        updated_at: null,
        description: null,
      }),
    ).toStrictEqual({ id: 'a', domain_id: 'd', status: 'accepted' });
    expect(
      listWhitelistResponseSchema.parse({
        permissions: [{ id: 'p', permission: '*', description: null, created_at: null }],
        total_count: null,
      }),
    ).toStrictEqual({ permissions: [{ id: 'p', permission: '*' }] });
  });

  it('is still an error for a required field, naming it', () => {
    const result = connectionSchema.safeParse({ id: 'a', domain_id: null, status: 'accepted' });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toContain('domain_id');
  });
});
