/**
 * Conformance suite of the embedded VPCEP simulator: real HTTP on 127.0.0.1, driven through the
 * project's own client (createVpcepClient) and through raw signed requests (signRequest), so
 * both the happy paths and the exact error answers of reference section 7.2 are checked.
 */
import { collect } from '../../lib/collect';
import { generateState, Simulator, SimulatorOptions, startSimulator } from '../../lib/simulator';
import { createVpcepClient, VpcepApiError } from '../../lib/vpcep/client';
import { createNodeFetch } from '../../lib/vpcep/http';
import { parseGatewayLimit } from '../../lib/vpcep/rate-limiter';
import { signRequest } from '../../lib/vpcep/sign';
import { OWNER, PARTNER, PAYMENTS as SVC } from '../support/ids';

const CREDS = { ak: 'SIMULATORTESTAK', sk: 'simulator-test-secret-key' };
const PROJECT = 'p0a1b2c3d4e5f607';
/** The client's fetch, as lib/deps.ts gives it in production (raw requests below use the global fetch). */
const nodeFetch = createNodeFetch();
const STRANGER = 'ffffffffffffffffffffffffffffffff';
const OPEN_SVC = '5133655d-0e28-4090-b669-13f87b355c78';

function baseState() {
  return {
    project_id: PROJECT,
    domain_id: OWNER,
    services: [
      {
        id: SVC,
        service_name: 'payments',
        approval_enabled: true,
        created_at: '2026-01-01T00:00:00Z',
        connections: [
          {
            id: 'c-pending-1',
            domain_id: PARTNER,
            status: 'pendingAcceptance' as const,
            created_at: '2026-02-01T00:00:00Z',
          },
          {
            id: 'c-pending-2',
            domain_id: STRANGER,
            status: 'pendingAcceptance' as const,
            created_at: '2026-02-02T00:00:00Z',
          },
          { id: 'c-accepted', domain_id: PARTNER, status: 'accepted' as const, created_at: '2026-02-03T00:00:00Z' },
          { id: 'c-rejected', domain_id: STRANGER, status: 'rejected' as const, created_at: '2026-02-04T00:00:00Z' },
          { id: 'c-creating', domain_id: PARTNER, status: 'creating' as const, created_at: '2026-02-05T00:00:00Z' },
        ],
        permissions: [{ id: 'w-partner', permission: `iam:domain::${PARTNER}`, created_at: '2026-01-02T00:00:00Z' }],
      },
      {
        id: OPEN_SVC,
        service_name: 'analytics',
        approval_enabled: false,
        created_at: '2026-01-05T00:00:00Z',
        permissions: [{ id: 'w-all', permission: '*' }],
      },
    ],
  };
}

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** A raw request, signed with `creds` (unless null), the body sent exactly as given. */
async function raw(
  sim: Simulator,
  method: string,
  path: string,
  opts: {
    body?: unknown;
    headers?: Record<string, string>;
    creds?: typeof CREDS | null;
    date?: Date;
    projectIdHeader?: string;
  } = {},
): Promise<Answer> {
  const url = `${sim.url}${path}`;
  const text =
    opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const base = { 'Content-Type': 'application/json', ...opts.headers };
  const creds = opts.creds === undefined ? CREDS : opts.creds;
  const headers = creds
    ? signRequest({ method, url, headers: base, body: text }, creds, {
        date: opts.date ?? new Date(),
        ...(opts.projectIdHeader ? { projectId: opts.projectIdHeader } : {}),
      })
    : base;
  const res = await fetch(url, { method, headers, body: text });
  const body = await res.text();
  return { status: res.status, body: body === '' ? undefined : JSON.parse(body), headers: res.headers };
}

const api = (p: string) => `/v1/${PROJECT}${p}`;
const err = (code: string, msg: string) => ({ error_code: code, error_msg: msg });

function clientFor(sim: Simulator, maxAttempts = 1) {
  return createVpcepClient({
    endpoint: sim.url,
    projectId: PROJECT,
    credentials: CREDS,
    fetch: nodeFetch,
    retry: { maxAttempts },
  });
}

let sim: Simulator;
async function start(extra: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  sim = await startSimulator({ state: baseState(), credentials: CREDS, ...extra });
  return sim;
}
afterEach(async () => {
  await sim?.stop();
});

describe('simulator: versions (4.1)', () => {
  it('lists v1 at / and describes it at /v1', async () => {
    await start();
    const client = clientFor(sim);
    const versions = await client.listVersions();
    expect(versions.map((v) => v.id)).toEqual(['v1']);
    expect((await client.getVersion('v1')).status).toBe('CURRENT');
    expect((await raw(sim, 'GET', '/v9')).body).toEqual(err('EndPoint.0005', 'The requested resource is unavailable.'));
  });
});

describe('simulator: endpoint services (4.2.1-4.2.5)', () => {
  it('lists the services of the state with connection_count and total_count', async () => {
    await start();
    const services = await collect(clientFor(sim).listServices());
    expect(services.map((s) => s.id).sort()).toEqual([OPEN_SVC, SVC].sort());
    const page = await raw(sim, 'GET', api('/vpc-endpoint-services?endpoint_service_name=PAY'));
    expect(page.body).toMatchObject({
      total_count: 1,
      endpoint_services: [{ id: SVC, service_name: 'payments', connection_count: 2, project_id: PROJECT }],
    });
  });

  it('creates a service as creating, which becomes available after the configured delay', async () => {
    let now = new Date('2026-11-26T08:00:00Z');
    await start({ clock: () => now, creatingDelayMs: 60_000 });
    const client = createVpcepClient({
      fetch: nodeFetch,
      endpoint: sim.url,
      projectId: PROJECT,
      credentials: CREDS,
      clock: () => now,
      retry: { maxAttempts: 1 },
    });
    const created = await client.createService({
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed11',
      vpc_id: 'vpc-1',
      server_type: 'VM',
      ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
      service_name: 'new-svc',
    });
    expect(created.status).toBe('creating');
    expect(created.approval_enabled).toBe(true); // 4.2.1: default true
    expect((await client.getService(created.id)).status).toBe('creating');
    now = new Date(now.getTime() + 60_000);
    expect((await client.getService(created.id)).status).toBe('available');
  });

  it('updates and deletes a service; a service with connected endpoints cannot be deleted', async () => {
    await start();
    const client = clientFor(sim);
    const updated = await client.updateService(OPEN_SVC, { approval_enabled: true, service_name: 'analytics2' });
    expect(updated).toMatchObject({ approval_enabled: true, service_name: 'analytics2' });
    const inUse = await raw(sim, 'DELETE', api(`/vpc-endpoint-services/${SVC}`));
    expect(inUse).toMatchObject({ status: 400, body: err('EndPoint.3006', 'The endpoint service is being used.') });
    await client.deleteService(OPEN_SVC);
    expect((await raw(sim, 'GET', api(`/vpc-endpoint-services/${OPEN_SVC}`))).body).toEqual(
      err('EndPoint.2003', 'The endpoint service does not exist.'),
    );
    expect(sim.state().services.map((s) => s.id)).toEqual([SVC]);
  });

  it('answers body errors with their 7.2 codes', async () => {
    await start();
    const good = {
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed12',
      vpc_id: 'vpc-1',
      server_type: 'VM',
      ports: [{ client_port: 80, server_port: 80 }],
    };
    const cases: [unknown, string, string][] = [
      [{ ...good, vpc_id: undefined }, 'EndPoint.2011', 'The input parameter VPC ID is empty.'],
      [{ ...good, server_type: 'XX' }, 'EndPoint.3021', 'Invalid serverType.'],
      [{ ...good, ports: [] }, 'EndPoint.2028', 'The endpoint service port or protocol is empty.'],
      [{ ...good, ports: [{ client_port: 80, server_port: 70000 }] }, 'EndPoint.3043', 'The service port is invalid.'],
      [
        { ...good, ports: [{ client_port: 80, server_port: 80, protocol: 'UDP' }] },
        'EndPoint.3075',
        'The protocol is invalid.',
      ],
      [{ ...good, service_name: 'this name is far too long' }, 'EndPoint.1003', 'Invalid service name.'],
      [{ ...good, approval_enabled: 'yes' }, 'EndPoint.0002', 'Parameter error.'],
    ];
    for (const [body, code, msg] of cases) {
      expect(await raw(sim, 'POST', api('/vpc-endpoint-services'), { body })).toMatchObject({
        status: 400,
        body: err(code, msg),
      });
    }
    expect(await raw(sim, 'POST', api('/vpc-endpoint-services'), { body: '' })).toMatchObject({
      status: 504,
      body: err('EndPoint.0011', 'The request body is null.'),
    });
    expect(await raw(sim, 'POST', api('/vpc-endpoint-services'), { body: '{not json' })).toMatchObject({
      status: 400,
      body: err('EndPoint.0002', 'Parameter error.'),
    });
    expect(sim.state().services).toHaveLength(2);
  });

  it('refuses a service beyond the quota (Endpoint.1018) and reports quotas (4.4)', async () => {
    sim = await startSimulator({
      state: { ...baseState(), quotas: { endpoint_service: 2, endpoint: 5 } },
      credentials: CREDS,
    });
    const quotas = await clientFor(sim).getQuotas();
    expect(quotas.resources).toEqual(
      expect.arrayContaining([
        { type: 'endpoint_service', used: 2, quota: 2 },
        { type: 'endpoint', used: 0, quota: 5 },
      ]),
    );
    const body = {
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed13',
      vpc_id: 'vpc-1',
      server_type: 'LB',
      ports: [{ client_port: 80, server_port: 81 }],
    };
    expect(await raw(sim, 'POST', api('/vpc-endpoint-services'), { body })).toMatchObject({
      status: 400,
      body: err('Endpoint.1018', 'Quota exceeded.'),
    });
    expect((await raw(sim, 'GET', api('/quotas?type=endpoint_service'))).body).toEqual({
      quotas: { resources: [{ type: 'endpoint_service', used: 2, quota: 2 }] },
    });
  });
});

describe('simulator: connections (4.2.6) and pagination', () => {
  it('filters by status, id and marker_id and sorts by created_at desc by default', async () => {
    await start();
    const client = clientFor(sim);
    const pending = await collect(client.listConnections(SVC, { status: 'pendingAcceptance' }));
    expect(pending.map((c) => c.id).sort()).toEqual(['c-pending-1', 'c-pending-2']);
    const all = await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections`));
    expect((all.body as { connections: { id: string }[] }).connections.map((c) => c.id)).toEqual([
      'c-creating',
      'c-rejected',
      'c-accepted',
      'c-pending-2',
      'c-pending-1',
    ]);
    const asc = await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections?sort_dir=asc&limit=2`));
    expect(asc.body).toMatchObject({ total_count: 5, connections: [{ id: 'c-pending-1' }, { id: 'c-pending-2' }] });
    const marker = sim.state().services[0]!.connections.find((c) => c.id === 'c-accepted')!.marker_id;
    expect(
      (await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections?marker_id=${marker}`))).body,
    ).toMatchObject({ total_count: 1, connections: [{ id: 'c-accepted', marker_id: marker }] });
    expect(
      (await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections?id=c-rejected&status=accepted`))).body,
    ).toEqual({ connections: [], total_count: 0 });
  });

  it('serves the pagination edge cases: offset at and past total_count, limit=0, bounds', async () => {
    await start();
    const path = (q: string) => api(`/vpc-endpoint-services/${SVC}/connections?${q}`);
    expect((await raw(sim, 'GET', path('offset=4&limit=10'))).body).toMatchObject({
      total_count: 5,
      connections: [{ id: 'c-pending-1' }],
    });
    expect((await raw(sim, 'GET', path('offset=5'))).body).toEqual({ connections: [], total_count: 5 });
    expect((await raw(sim, 'GET', path('offset=500'))).body).toEqual({ connections: [], total_count: 5 });
    expect((await raw(sim, 'GET', path('limit=0'))).body).toEqual({ connections: [], total_count: 5 });
    expect((await raw(sim, 'GET', path('limit=1000'))).status).toBe(200);
    const invalidLimit = err('EndPoint.0006', 'Invalid limit.');
    for (const q of ['limit=1001', 'limit=-1', 'limit=abc', 'limit='])
      expect(await raw(sim, 'GET', path(q))).toMatchObject({ status: 400, body: invalidLimit });
    for (const q of ['offset=-1', 'offset=1.5', 'offset=x'])
      expect(await raw(sim, 'GET', path(q))).toMatchObject({
        status: 400,
        body: err('EndPoint.0010', 'Invalid offset.'),
      });
    expect((await raw(sim, 'GET', path('sort_key=name'))).body).toEqual(err('EndPoint.0017', 'Invalid sort_key.'));
    expect((await raw(sim, 'GET', path('sort_dir=up'))).body).toEqual(err('EndPoint.0018', 'Invalid sort_dir.'));
    expect((await raw(sim, 'GET', path('status=sleeping'))).body).toEqual(err('EndPoint.0019', 'Invalid status.'));
    expect((await raw(sim, 'GET', path('marker_id=abc'))).body).toEqual(err('EndPoint.0021', 'Invalid marker_id.'));
  });

  it('pages through many connections without gaps or repeats', async () => {
    sim = await startSimulator({
      state: generateState({
        services: 2,
        connectionsPerService: 2500,
        pendingRatio: 0.5,
        seed: 7,
        project_id: PROJECT,
      }),
      credentials: CREDS,
    });
    const serviceId = sim.state().services[1]!.id;
    const ids = (await collect(clientFor(sim).listConnections(serviceId))).map((c) => c.id);
    expect(ids).toHaveLength(2500);
    expect(new Set(ids).size).toBe(2500);
  });

  it('answers EndPoint.2003 for an unknown service', async () => {
    await start();
    expect(await raw(sim, 'GET', api('/vpc-endpoint-services/nope/connections'))).toMatchObject({
      status: 400,
      body: err('EndPoint.2003', 'The endpoint service does not exist.'),
    });
  });
});

describe('simulator: accepting and rejecting (4.2.7)', () => {
  it('accepts pending, rejects pending and rejects an accepted connection', async () => {
    await start();
    const client = clientFor(sim);
    expect((await client.acceptOrReject(SVC, 'c-pending-1', 'receive'))[0]).toMatchObject({
      id: 'c-pending-1',
      status: 'accepted',
    });
    expect((await client.acceptOrReject(SVC, 'c-pending-2', 'reject'))[0]).toMatchObject({
      id: 'c-pending-2',
      status: 'rejected',
    });
    expect((await client.acceptOrReject(SVC, 'c-accepted', 'reject'))[0]).toMatchObject({
      id: 'c-accepted',
      status: 'rejected',
    });
    const byId = new Map(sim.state().services[0]!.connections.map((c) => [c.id, c.status]));
    expect(Object.fromEntries(byId)).toMatchObject({
      'c-pending-1': 'accepted',
      'c-pending-2': 'rejected',
      'c-accepted': 'rejected',
    });
  });

  it('treats accepting an accepted connection as a successful no-op, and may accept a rejected one', async () => {
    await start();
    const client = clientFor(sim);
    await client.acceptOrReject(SVC, 'c-accepted', 'receive');
    expect(sim.log().at(-1)).toMatchObject({ status: 200, mutated: false });
    expect((await client.acceptOrReject(SVC, 'c-rejected', 'receive'))[0]!.status).toBe('accepted');
    expect(sim.log().at(-1)).toMatchObject({ status: 200, mutated: true });
  });

  it('answers the 4.2.7 errors', async () => {
    await start();
    const path = api(`/vpc-endpoint-services/${SVC}/connections/action`);
    const post = (body: unknown) => raw(sim, 'POST', path, { body });
    expect(await post({ action: 'receive', endpoints: ['c-pending-1', 'c-pending-2'] })).toMatchObject({
      status: 400,
      body: err('EndPoint.2031', 'Only one endpoint is allowed.'),
    });
    expect(await post({ action: 'receive', endpoints: ['unknown'] })).toMatchObject({
      status: 400,
      body: err('EndPoint.2013', 'The endpoint does not belong to the endpoint service.'),
    });
    expect(await post({ action: 'approve', endpoints: ['c-pending-1'] })).toMatchObject({
      status: 400,
      body: err('EndPoint.2027', 'Invalid action.'),
    });
    expect(await post({ action: 'receive', endpoints: [] })).toMatchObject({
      status: 400,
      body: err('EndPoint.2002', 'The request input parameter is empty.'),
    });
    expect(await post({ action: 'receive', endpoints: ['c-creating'] })).toMatchObject({
      status: 400,
      body: err('EndPoint.2019', 'The endpoint is being created.'),
    });
    // An endpoint of another service does not belong to this one.
    const elsewhere = await raw(sim, 'POST', api('/vpc-endpoints'), {
      body: { endpoint_service_id: OPEN_SVC, vpc_id: 'v', subnet_id: 's' },
    });
    expect(await post({ action: 'reject', endpoints: [(elsewhere.body as { id: string }).id] })).toMatchObject({
      body: err('EndPoint.2013', 'The endpoint does not belong to the endpoint service.'),
    });
    expect(
      sim
        .state()
        .services[0]!.connections.filter((c) => c.status === 'pendingAcceptance')
        .map((c) => c.id),
    ).toEqual(['c-pending-1', 'c-pending-2']);
  });
});

describe('simulator: whitelist (4.2.8, 4.2.9)', () => {
  it('adds and removes records, fuzzy-filters and pages them', async () => {
    await start();
    const client = clientFor(sim);
    await client.updateWhitelist(SVC, 'add', [`iam:domain::${STRANGER}`, 'iam:domain::abc123']);
    const records = await collect(client.listWhitelist(SVC));
    expect(records.map((r) => r.permission).sort()).toEqual(
      [`iam:domain::${PARTNER}`, `iam:domain::${STRANGER}`, 'iam:domain::abc123'].sort(),
    );
    const fuzzy = await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/permissions?permission=ABC`));
    expect(fuzzy.body).toMatchObject({ total_count: 1, permissions: [{ permission: 'iam:domain::abc123' }] });
    await client.updateWhitelist(SVC, 'remove', ['iam:domain::abc123']);
    expect(
      sim
        .state()
        .services[0]!.permissions.map((p) => p.permission)
        .sort(),
    ).toEqual([`iam:domain::${PARTNER}`, `iam:domain::${STRANGER}`].sort());
    expect((await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/permissions?limit=501`))).body).toEqual(
      err('EndPoint.0006', 'Invalid limit.'),
    );
    expect((await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/permissions?limit=500&offset=3`))).body).toEqual({
      permissions: [],
      total_count: 2,
    });
  });

  it('answers the 4.2.9 format errors', async () => {
    await start();
    const path = api(`/vpc-endpoint-services/${SVC}/permissions/action`);
    expect(await raw(sim, 'POST', path, { body: { action: 'add', permissions: [] } })).toMatchObject({
      status: 400,
      body: err('EndPoint.3036', 'Invalid permissions.'),
    });
    expect(await raw(sim, 'POST', path, { body: { action: 'grant', permissions: ['*'] } })).toMatchObject({
      status: 400,
      body: err('EndPoint.3035', 'Invalid action.'),
    });
    expect(await raw(sim, 'POST', path, { body: { action: 'add', permissions: ['domain::abc'] } })).toMatchObject({
      status: 400,
      body: err('EndPoint.3002', 'Invalid permission.'),
    });
    expect(
      await raw(sim, 'POST', path, { body: { action: 'add', permissions: ['iam:domain::has-hyphen'] } }),
    ).toMatchObject({ body: err('EndPoint.3002', 'Invalid permission.') });
  });

  it('refuses more records than the limit (EndPoint.3049)', async () => {
    await start({ maxWhitelistRecords: 2 });
    const path = api(`/vpc-endpoint-services/${SVC}/permissions/action`);
    expect(
      await raw(sim, 'POST', path, { body: { action: 'add', permissions: ['iam:domain::a1', 'iam:domain::a2'] } }),
    ).toMatchObject({
      status: 400,
      body: err('EndPoint.3049', 'The maximum number of whitelist records has been reached.'),
    });
    expect(sim.state().services[0]!.permissions).toHaveLength(1);
  });
});

describe('simulator: public services and describe (4.2.10, 4.2.11)', () => {
  it('lists public services and describes own and public services', async () => {
    await start();
    const client = clientFor(sim);
    expect((await collect(client.listPublicServices())).map((p) => p.service_name).sort()).toEqual(['OBS', 'test123']);
    expect(await client.describeService({ id: SVC })).toMatchObject({
      id: SVC,
      service_name: 'payments',
      is_charge: false,
    });
    expect(await client.describeService({ endpoint_service_name: 'OBS' })).toMatchObject({
      service_type: 'gateway',
      is_charge: true,
    });
    expect(await raw(sim, 'GET', api('/vpc-endpoint-services/describe'))).toMatchObject({
      status: 400,
      body: err('EndPoint.2002', 'The request input parameter is empty.'),
    });
    expect(await raw(sim, 'GET', api('/vpc-endpoint-services/describe?id=missing'))).toMatchObject({
      status: 400,
      body: err('EndPoint.2003', 'The endpoint service does not exist.'),
    });
  });
});

describe('simulator: VPC endpoints (4.3)', () => {
  const request = (serviceId: string) => ({
    endpoint_service_id: serviceId,
    vpc_id: 'vpc-consumer',
    subnet_id: 'subnet-consumer',
  });

  it('lets a whitelisted domain connect: pendingAcceptance when approval is enabled, accepted otherwise', async () => {
    await start();
    const asPartner = { 'X-Domain-Id': PARTNER };
    const pending = await raw(sim, 'POST', api('/vpc-endpoints'), { body: request(SVC), headers: asPartner });
    expect(pending).toMatchObject({
      status: 200,
      body: {
        status: 'pendingAcceptance',
        endpoint_service_id: SVC,
        endpoint_service_name: 'payments',
        active_status: 'active',
      },
    });
    const accepted = await raw(sim, 'POST', api('/vpc-endpoints'), {
      body: request(OPEN_SVC),
      headers: { 'X-Domain-Id': STRANGER },
    });
    expect(accepted).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const id = (pending.body as { id: string }).id;
    const listed = await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections?status=pendingAcceptance`));
    expect(listed.body).toMatchObject({ total_count: 3 });
    expect((listed.body as { connections: { id: string; domain_id: string }[] }).connections).toContainEqual(
      expect.objectContaining({ id, domain_id: PARTNER }),
    );
  });

  it('refuses a domain that is not whitelisted (EndPoint.2012), but not the owner', async () => {
    await start();
    const denied = await raw(sim, 'POST', api('/vpc-endpoints'), {
      body: request(SVC),
      headers: { 'X-Domain-Id': STRANGER },
    });
    expect(denied).toMatchObject({
      status: 400,
      body: err('EndPoint.2012', 'You have no permission to connect to the VPC endpoint service.'),
    });
    const own = await clientFor(sim).createEndpoint(request(SVC));
    expect(own.status).toBe('pendingAcceptance');
  });

  it("gets, lists and deletes the caller's endpoints", async () => {
    await start();
    const client = clientFor(sim);
    const created = await client.createEndpoint({ ...request(SVC), enable_dns: true });
    expect(await client.getEndpoint(created.id)).toMatchObject({
      id: created.id,
      vpc_id: 'vpc-consumer',
      enable_dns: true,
    });
    expect((await collect(client.listEndpoints({ vpc_id: 'vpc-consumer' }))).map((e) => e.id)).toEqual([created.id]);
    await client.deleteEndpoint(created.id);
    expect(await raw(sim, 'GET', api(`/vpc-endpoints/${created.id}`))).toMatchObject({
      status: 404,
      body: err('EndPoint.2006', 'The requested endpoint does not exist.'),
    });
    expect(sim.state().services[0]!.connections.map((c) => c.id)).not.toContain(created.id);
  });

  it('answers the 4.3.1 body errors', async () => {
    await start();
    const post = (body: unknown) => raw(sim, 'POST', api('/vpc-endpoints'), { body });
    expect((await post({ vpc_id: 'v' })).body).toEqual(
      err('EndPoint.2029', 'The requested endpoint service ID is empty.'),
    );
    expect((await post({ endpoint_service_id: SVC })).body).toEqual(
      err('EndPoint.2011', 'The input parameter VPC ID is empty.'),
    );
    expect((await post({ endpoint_service_id: SVC, vpc_id: 'v' })).body).toEqual(
      err('EndPoint.2010', 'The input parameter subnet ID is empty.'),
    );
    expect((await post({ ...request(SVC), enable_dns: 'maybe' })).body).toEqual(
      err('EndPoint.2033', 'The entered parameter enable_dns is invalid.'),
    );
    expect((await post(request('no-such-service'))).body).toEqual(
      err('EndPoint.2003', 'The endpoint service does not exist.'),
    );
  });
});

describe('simulator: project id and routes', () => {
  it('answers EndPoint.0014 for another project id, in the path or in X-Project-Id', async () => {
    await start();
    expect(await raw(sim, 'GET', '/v1/otherproject/vpc-endpoint-services')).toMatchObject({
      status: 400,
      body: err('EndPoint.0014', 'Invalid project ID.'),
    });
    expect(await raw(sim, 'GET', api('/vpc-endpoint-services'), { projectIdHeader: 'otherproject' })).toMatchObject({
      status: 400,
      body: err('EndPoint.0014', 'Invalid project ID.'),
    });
  });

  it('answers 404 APIGW.0101 for a path no API has', async () => {
    await start();
    expect(await raw(sim, 'GET', api('/nothing-here'))).toMatchObject({
      status: 404,
      body: { error_code: 'APIGW.0101' },
    });
  });
});

describe('simulator: authentication (3.2)', () => {
  it('refuses a request without Authorization or X-Auth-Token', async () => {
    await start();
    const res = await raw(sim, 'GET', api('/vpc-endpoint-services'), { creds: null });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0301' });
  });

  it('refuses a wrong signature and an unknown AK, without echoing any secret', async () => {
    await start();
    for (const creds of [
      { ak: CREDS.ak, sk: 'wrong-secret' },
      { ak: 'UNKNOWNAK', sk: CREDS.sk },
    ]) {
      const res = await raw(sim, 'GET', api('/vpc-endpoint-services'), { creds });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error_code: 'APIGW.0301' });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(creds.sk);
      expect(text).not.toContain(creds.ak);
    }
  });

  it('refuses a body changed after signing', async () => {
    await start();
    const url = `${sim.url}${api(`/vpc-endpoint-services/${SVC}/connections/action`)}`;
    const headers = signRequest(
      {
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/json' },
        body: '{"action":"reject","endpoints":["c-accepted"]}',
      },
      CREDS,
    );
    const res = await fetch(url, { method: 'POST', headers, body: '{"action":"receive","endpoints":["c-pending-2"]}' });
    expect(res.status).toBe(401);
    expect(sim.state().services[0]!.connections.find((c) => c.id === 'c-pending-2')!.status).toBe('pendingAcceptance');
  });

  it('refuses an X-Sdk-Date more than 15 minutes off, and accepts one within', async () => {
    const now = new Date('2026-11-26T08:00:00Z');
    await start({ clock: () => now });
    const stale = await raw(sim, 'GET', api('/quotas'), { date: new Date(now.getTime() - 16 * 60_000) });
    expect(stale).toMatchObject({ status: 401, body: { error_code: 'APIGW.0301' } });
    const future = await raw(sim, 'GET', api('/quotas'), { date: new Date(now.getTime() + 16 * 60_000) });
    expect(future.status).toBe(401);
    expect((await raw(sim, 'GET', api('/quotas'), { date: new Date(now.getTime() - 14 * 60_000) })).status).toBe(200);
  });

  it('accepts a configured X-Auth-Token and refuses another', async () => {
    await start({ tokens: ['good-token'] });
    expect(
      (await raw(sim, 'GET', api('/quotas'), { creds: null, headers: { 'X-Auth-Token': 'good-token' } })).status,
    ).toBe(200);
    const bad = await raw(sim, 'GET', api('/quotas'), { creds: null, headers: { 'X-Auth-Token': 'bad-token' } });
    expect(bad).toMatchObject({ status: 401, body: { error_code: 'APIGW.0301' } });
    expect(JSON.stringify(bad.body)).not.toContain('bad-token');
    const client = createVpcepClient({
      fetch: nodeFetch,
      endpoint: sim.url,
      projectId: PROJECT,
      credentials: { token: 'good-token' },
      retry: { maxAttempts: 1 },
    });
    expect((await client.getQuotas()).resources.length).toBe(2);
  });

  it('needs no authentication when started without credentials or tokens', async () => {
    sim = await startSimulator({ state: baseState() });
    expect((await raw(sim, 'GET', api('/quotas'), { creds: null })).status).toBe(200);
  });
});

describe('simulator: fault injection', () => {
  async function statuses(seed: number, n: number): Promise<string[]> {
    const s = await startSimulator({ state: baseState(), faults: { seed, errorRate: 0.3, throttleRate: 0.3 } });
    try {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await raw(s, 'GET', api('/quotas'), { creds: null });
        out.push(r.status === 200 ? 'ok' : (r.body as { error_code: string }).error_code);
      }
      return out;
    } finally {
      await s.stop();
    }
  }

  it('fails the same requests the same way with the same seed', async () => {
    sim = await startSimulator({ state: baseState() });
    const a = await statuses(42, 40);
    const b = await statuses(42, 40);
    const c = await statuses(43, 40);
    expect(a).toEqual(b);
    expect(a).toContain('EndPoint.0001');
    expect(a).toContain('EndPoint.0022');
    expect(a).toContain('ok');
    expect(c).not.toEqual(a);
  });

  it('answers injected faults with the 7.2 bodies and counts them', async () => {
    await start({ faults: { seed: 1, errorRate: 1 } });
    expect(await raw(sim, 'GET', api('/quotas'))).toMatchObject({
      status: 500,
      body: err('EndPoint.0001', 'System error. Please retry.'),
    });
    sim.setFaults({ seed: 1, throttleRate: 1 });
    expect(await raw(sim, 'GET', api('/quotas'))).toMatchObject({
      status: 400,
      body: err('EndPoint.0022', 'The number of requests exceeded the limit. Please try later.'),
    });
    expect(sim.stats().faults).toEqual({ error: 1, throttle: 1, 'rate-limit': 0 });
    expect(sim.log().map((e) => e.fault)).toEqual(['error', 'throttle']);
  });

  it('does not apply a mutating request that failed', async () => {
    await start({ faults: { seed: 3, errorRate: 1 } });
    const before = sim.state();
    const action = await raw(sim, 'POST', api(`/vpc-endpoint-services/${SVC}/connections/action`), {
      body: { action: 'receive', endpoints: ['c-pending-1'] },
    });
    const whitelist = await raw(sim, 'POST', api(`/vpc-endpoint-services/${SVC}/permissions/action`), {
      body: { action: 'add', permissions: ['*'] },
    });
    const del = await raw(sim, 'DELETE', api(`/vpc-endpoint-services/${OPEN_SVC}`));
    expect([action.status, whitelist.status, del.status]).toEqual([500, 500, 500]);
    expect(sim.state()).toEqual(before);
    expect(sim.log().every((e) => !e.mutated)).toBe(true);
  });

  it('limits requests per second per project with 429 APIGW.0308', async () => {
    let now = new Date('2026-11-26T08:00:00.100Z');
    await start({ clock: () => now, faults: { rateLimitPerSecond: 2 } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await raw(sim, 'GET', api('/quotas'), { date: now })).status);
    expect(codes).toEqual([200, 200, 429]);
    now = new Date(now.getTime() + 1000);
    expect((await raw(sim, 'GET', api('/quotas'), { date: now })).status).toBe(200);
  });

  it('the client retries injected throttling and succeeds', async () => {
    await start({ faults: { seed: 5, throttleRate: 0.5 } });
    const client = createVpcepClient({
      fetch: nodeFetch,
      endpoint: sim.url,
      projectId: PROJECT,
      credentials: CREDS,
      retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 2 },
    });
    for (let i = 0; i < 10; i++) expect((await client.getService(SVC)).id).toBe(SVC);
    expect(sim.stats().faults.throttle).toBeGreaterThan(0);
  });

  it('reports an injected failure to the client as a VpcepApiError with the code', async () => {
    await start({ faults: { seed: 1, errorRate: 1 } });
    await expect(clientFor(sim).getService(SVC)).rejects.toMatchObject({
      constructor: VpcepApiError,
      errorCode: 'EndPoint.0001',
      status: 500,
    });
  });
});

describe('simulator: gateway limits', () => {
  /** The simulator's clock, moved by hand: windows of a minute pass without waiting. */
  function clockAt(iso: string) {
    let now = new Date(iso);
    return { clock: () => now, now: () => now, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
  }
  const accept = (t: { now: () => Date }, endpoint: string) =>
    raw(sim, 'POST', api(`/vpc-endpoint-services/${SVC}/connections/action`), {
      body: { action: 'receive', endpoints: [endpoint] },
      date: t.now(),
    });
  const get = (t: { now: () => Date }, path: string) => raw(sim, 'GET', api(path), { date: t.now() });
  const throttledBy = (a: Answer) =>
    a.status === 429 ? parseGatewayLimit((a.body as { error_msg: string }).error_msg) : undefined;

  it('a route limit throttles only its operation, naming its limit and unit as the gateway does', async () => {
    const t = clockAt('2026-11-26T08:00:00.100Z');
    await start({ clock: t.clock, faults: { routeLimits: { acceptOrReject: { requests: 1, per: 'minute' } } } });
    expect((await accept(t, 'c-pending-1')).status).toBe(200);
    const refused = await accept(t, 'c-pending-2');
    expect(refused).toMatchObject({
      status: 429,
      body: err(
        'APIGW.0308',
        'The throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 minute',
      ),
    });
    // The client's rate limiter reads the limit back from the message.
    expect(throttledBy(refused)).toEqual({ requests: 1, windowMs: 60_000 });
    // Reads and whitelist writes go on.
    for (let i = 0; i < 5; i++) {
      expect((await get(t, `/vpc-endpoint-services/${SVC}/connections`)).status).toBe(200);
      expect((await get(t, `/vpc-endpoint-services/${SVC}/permissions`)).status).toBe(200);
    }
    const whitelist = await raw(sim, 'POST', api(`/vpc-endpoint-services/${SVC}/permissions/action`), {
      body: { action: 'add', permissions: [`iam:domain::${STRANGER}`] },
      date: t.now(),
    });
    expect(whitelist.status).toBe(200);
    expect(sim.state().services[0]!.connections.find((c) => c.id === 'c-pending-2')!.status).toBe('pendingAcceptance');
  });

  it('a shared limit throttles every operation, and a request must fit both its route limit and the shared one', async () => {
    const t = clockAt('2026-11-26T08:00:00.100Z');
    await start({
      clock: t.clock,
      faults: {
        rateLimit: { requests: 3, per: 'second' },
        routeLimits: { listConnections: { requests: 1, per: 'second' } },
      },
    });
    const answers = [
      await get(t, `/vpc-endpoint-services/${SVC}/connections`),
      await get(t, `/vpc-endpoint-services/${SVC}/connections`),
      await get(t, '/quotas'),
      await accept(t, 'c-pending-1'),
      await get(t, `/vpc-endpoint-services/${SVC}/permissions`),
    ];
    expect(answers.map((a) => [a.status, throttledBy(a)?.requests])).toEqual([
      [200, undefined],
      [429, 1],
      [200, undefined],
      [200, undefined],
      [429, 3],
    ]);
    expect(sim.stats().faults['rate-limit']).toBe(2);
  });

  it('counts a per-minute limit over a sliding minute', async () => {
    const t = clockAt('2026-11-26T08:00:00.100Z');
    await start({ clock: t.clock, faults: { rateLimit: { requests: 2, per: 'minute' } } });
    const status = async () => (await get(t, '/quotas')).status;
    expect([await status(), await status()]).toEqual([200, 200]);
    t.advance(30_000);
    const refused = await get(t, '/quotas');
    expect(throttledBy(refused)).toEqual({ requests: 2, windowMs: 60_000 });
    t.advance(29_999);
    expect(await status()).toBe(429);
    t.advance(1);
    // A minute after the first two: room for two again.
    expect([await status(), await status(), await status()]).toEqual([200, 200, 429]);
  });

  it.each([
    [false, [200, 200, 429, 429, 200, 200, 429]],
    // Refused requests count too: a client that keeps knocking stays refused.
    [true, [200, 200, 429, 429, 429, 429, 429]],
  ])('with countRefused %s, two admitted then a request every 400 ms: %j', async (countRefused, expected) => {
    const t = clockAt('2026-11-26T08:00:00.100Z');
    await start({ clock: t.clock, faults: { rateLimit: { requests: 2, per: 'second' }, countRefused } });
    const out: number[] = [];
    for (let i = 0; i < 2; i++) out.push((await get(t, '/quotas')).status);
    for (let i = 0; i < 5; i++) {
      t.advance(400);
      out.push((await get(t, '/quotas')).status);
    }
    expect(out).toEqual(expected);
  });
});

describe('simulator: inspection', () => {
  it('logs every request with route, status and mutation, and counts them, in-process and over HTTP', async () => {
    await start();
    await raw(sim, 'GET', api(`/vpc-endpoint-services/${SVC}/connections?limit=1`));
    await raw(sim, 'POST', api(`/vpc-endpoint-services/${SVC}/connections/action`), {
      body: { action: 'receive', endpoints: ['c-pending-1'] },
    });
    await raw(sim, 'GET', '/v1/wrong/quotas');
    const log = sim.log();
    expect(log.map((e) => [e.method, e.route, e.status, e.mutated])).toEqual([
      ['GET', 'GET /v1/{project_id}/vpc-endpoint-services/{service_id}/connections', 200, false],
      ['POST', 'POST /v1/{project_id}/vpc-endpoint-services/{service_id}/connections/action', 200, true],
      ['GET', 'GET /v1/{project_id}/quotas', 400, false],
    ]);
    expect(log[0]).toMatchObject({ path: api(`/vpc-endpoint-services/${SVC}/connections`), query: 'limit=1' });
    expect(log[2]!.error_code).toBe('EndPoint.0014');
    const stats = sim.stats();
    expect(stats).toMatchObject({ requests: 3, mutations: 1, by_status: { '200': 2, '400': 1 } });
    expect(stats.peak_concurrency).toBeGreaterThanOrEqual(1);
    const overHttp = await fetch(`${sim.url}/__admin/stats`).then((r) => r.json());
    expect(overHttp).toEqual(stats);
    expect(await fetch(`${sim.url}/__admin/log`).then((r) => r.json())).toEqual(log);
    expect(JSON.stringify(log)).not.toContain(CREDS.ak);
  });

  it('counts concurrent requests', async () => {
    await start({ faults: { latencyMs: 50 } });
    await Promise.all(Array.from({ length: 5 }, () => raw(sim, 'GET', api('/quotas'))));
    expect(sim.stats().peak_concurrency).toBeGreaterThan(1);
  });
});
