import { collect } from '../../../lib/collect';
import { AppError } from '../../../lib/errors';
import {
  createVpcepClient,
  CreateVpcepClientOptions,
  DEFAULT_LIST_BOUNDS,
  RetryQuota,
  VpcepApiError,
  VpcepClient,
} from '../../../lib/vpcep/client';
import { PAYMENTS as SERVICE } from '../../support/ids';
import { AK, fakeFetch, fixture, networkError, NOW, PROJECT, Responder, SK } from './fake-fetch';

const ENDPOINT = 'https://vpcep.tr-west-1.myhuaweicloud.com';
const BASE = `/v1/${PROJECT}`;

function setup(handler: Responder, overrides: Partial<CreateVpcepClientOptions> = {}) {
  const fake = fakeFetch(handler);
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const client = createVpcepClient({
    endpoint: ENDPOINT,
    projectId: PROJECT,
    credentials: { ak: AK, sk: SK },
    fetch: fake.fetch,
    clock: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    logger: { warn: (m) => warnings.push(m) },
    ...overrides,
  });
  return { client, requests: fake.requests, sleeps, warnings };
}

async function failure(promise: Promise<unknown>): Promise<VpcepApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VpcepApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('createVpcepClient(): every operation on the reference examples', () => {
  it('4.1.1 lists the API versions', async () => {
    const t = setup(() => ({ body: fixture('4.1.1-list-versions.response.json') }));
    const versions = await t.client.listVersions();
    expect(versions.map((v) => [v.id, v.status])).toEqual([
      ['v1', 'CURRENT'],
      ['v2', 'CURRENT'],
    ]);
    expect(t.requests[0]?.method).toBe('GET');
    expect(t.requests[0]?.url.pathname).toBe('/');
  });

  it('4.1.2 gets one API version', async () => {
    const t = setup(() => ({ body: fixture('4.1.2-get-version.response.json') }));
    expect(await t.client.getVersion('v1')).toMatchObject({ id: 'v1', version: '1', min_version: '' });
    expect(t.requests[0]?.url.pathname).toBe('/v1');
  });

  it('4.2.1 creates a service, sending the body and the project id', async () => {
    const t = setup(() => ({ body: fixture('4.2.1-create-service.response.json') }));
    const service = await t.client.createService(fixture('4.2.1-create-service.request.json') as never);
    expect(service).toMatchObject({
      id: '4189d3c2-8882-4871-a3c2-d380272eed83',
      approval_enabled: false,
      status: 'available',
      ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }, { client_port: 8081 }],
    });
    const req = t.requests[0]!;
    expect([req.method, req.url.pathname]).toEqual(['POST', `${BASE}/vpc-endpoint-services`]);
    expect(req.body).toEqual(fixture('4.2.1-create-service.request.json'));
    expect(req.headers['X-Project-Id']).toBe(PROJECT);
    expect(req.headers['Content-Type']).toBe('application/json');
  });

  it('4.2.2 gets a service', async () => {
    const t = setup(() => ({ body: fixture('4.2.2-get-service.response.json') }));
    expect(await t.client.getService(SERVICE)).toMatchObject({
      service_name: 'test123',
      project_id: '6e9dfd51d1124e8d8498dce894923a0d',
    });
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoint-services/${SERVICE}`);
  });

  it('4.2.3 updates a service with PUT', async () => {
    const t = setup(() => ({ body: fixture('4.2.3-update-service.response.json') }));
    await t.client.updateService(SERVICE, fixture('4.2.3-update-service.request.json') as never);
    expect([t.requests[0]?.method, t.requests[0]?.url.pathname]).toEqual([
      'PUT',
      `${BASE}/vpc-endpoint-services/${SERVICE}`,
    ]);
    expect(t.requests[0]?.body).toEqual(fixture('4.2.3-update-service.request.json'));
  });

  it('4.2.4 deletes a service (empty answer)', async () => {
    const t = setup(() => ({ status: 204 }));
    await expect(t.client.deleteService(SERVICE)).resolves.toBeUndefined();
    expect([t.requests[0]?.method, t.requests[0]?.url.pathname]).toEqual([
      'DELETE',
      `${BASE}/vpc-endpoint-services/${SERVICE}`,
    ]);
  });

  it('4.2.5 lists services, asking for 1000 a page, oldest first', async () => {
    const t = setup(() => ({ body: fixture('4.2.5-list-services.response.json') }));
    const services = await collect(t.client.listServices());
    expect(services).toEqual([
      expect.objectContaining({
        id: '4189d3c2-8882-4871-a3c2-d380272eed83',
        approval_enabled: false,
        updated_at: '2018-01-30T07:42:01Z',
      }),
    ]);
    const q = t.requests[0]!.url.searchParams;
    expect([q.get('limit'), q.get('offset'), q.get('sort_key'), q.get('sort_dir')]).toEqual([
      '1000',
      null,
      'created_at',
      'asc',
    ]);
  });

  it('4.2.6 lists connections with marker_id as a number and passes the filters', async () => {
    const t = setup(() => ({ body: fixture('4.2.6-list-connections.response.json') }));
    const connections = await collect(
      t.client.listConnections(SERVICE, { status: 'pendingAcceptance', marker_id: 16777510 }),
    );
    expect(connections).toEqual([
      {
        id: 'adb7b229-bb11-4072-bcc0-3327cd784263',
        status: 'accepted',
        marker_id: 16777510,
        domain_id: '5fc973eea581490997e82ea11a1df31f',
        created_at: '2018-09-17T11:10:11Z',
        updated_at: '2018-09-17T11:10:12Z',
      },
      expect.objectContaining({ id: 'fd69d29f-dc29-4a9b-80d8-b51d1e7e58ea', marker_id: 16777513 }),
    ]);
    const req = t.requests[0]!;
    expect(req.url.pathname).toBe(`${BASE}/vpc-endpoint-services/${SERVICE}/connections`);
    expect(req.url.searchParams.get('status')).toBe('pendingAcceptance');
    expect(req.url.searchParams.get('marker_id')).toBe('16777510');
  });

  it('4.2.7 accepts one endpoint per call and turns a string marker_id into a number', async () => {
    const t = setup(() => ({ body: fixture('4.2.7-connection-action.response.json') }));
    const result = await t.client.acceptOrReject(SERVICE, '705290f3-0d00-41f2-aedc-71f09844e879', 'receive');
    expect(result).toEqual([expect.objectContaining({ status: 'accepted', marker_id: Number('422321321312321321') })]);
    expect(typeof result[0]?.marker_id).toBe('number');
    expect([t.requests[0]?.method, t.requests[0]?.url.pathname]).toEqual([
      'POST',
      `${BASE}/vpc-endpoint-services/${SERVICE}/connections/action`,
    ]);
    expect(t.requests[0]?.body).toEqual(fixture('4.2.7-connection-action.request.json'));
  });

  it('4.2.7 reports the documented error body as a VpcepApiError', async () => {
    const t = setup(() => ({
      status: 400,
      body: fixture('4.2.7-connection-action.error.json'),
      headers: { 'X-Request-Id': 'req-42' },
    }));
    const err = await failure(t.client.acceptOrReject(SERVICE, 'e1', 'reject'));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: 400,
      errorCode: 'Endpoint.2013',
      errorMsg: 'The endpoint does not belong to the endpoint service.',
      requestId: 'req-42',
      retryable: false,
      operation: 'acceptOrReject',
      code: 'Endpoint.2013',
    });
    expect(err.message).toContain('Endpoint.2013');
    expect(t.requests).toHaveLength(1);
  });

  it('4.2.8 lists whitelist records 500 a page', async () => {
    const t = setup(() => ({ body: fixture('4.2.8-list-whitelist.response.json') }));
    expect(await collect(t.client.listWhitelist(SERVICE))).toEqual([
      {
        id: 'f2659906-c622-480a-83e9-ef42bdb67b90',
        permission: '*',
        description: 'demo',
        created_at: '2018-10-18T13:26:40Z',
      },
    ]);
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoint-services/${SERVICE}/permissions`);
    expect(t.requests[0]?.url.searchParams.get('limit')).toBe('500');
  });

  it('4.2.9 adds and removes whitelist records in one batch call each', async () => {
    const t = setup(() => ({ body: fixture('4.2.9-whitelist-action.response.json') }));
    const added = await t.client.updateWhitelist(SERVICE, 'add', ['iam:domain::fc973eea581490997e82ea11a1d0101']);
    await t.client.updateWhitelist(SERVICE, 'remove', ['iam:domain::5fc973eea581490997e82ea11a1d0101']);
    expect(added).toEqual([
      { permission: 'iam:domain::5fc973eea581490997e82ea11a1d0101' },
      { permission: 'iam:domain::5fc973eea581490997e82ea11a1d0102' },
    ]);
    expect(t.requests.map((r) => r.body)).toEqual([
      fixture('4.2.9-whitelist-add.request.json'),
      fixture('4.2.9-whitelist-remove.request.json'),
    ]);
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoint-services/${SERVICE}/permissions/action`);
  });

  it('4.2.9 sends nothing for an empty list and refuses a malformed permission before sending', async () => {
    const t = setup(() => ({ body: fixture('4.2.9-whitelist-action.response.json') }));
    expect(await t.client.updateWhitelist(SERVICE, 'add', [])).toEqual([]);
    await expect(t.client.updateWhitelist(SERVICE, 'add', ['domain::x'])).rejects.toThrow(/permissions\[0\]/);
    expect(t.requests).toHaveLength(0);
  });

  it('4.2.10 lists public services with is_charge "true" as a boolean', async () => {
    const t = setup(() => ({ body: fixture('4.2.10-list-public-services.response.json') }));
    const services = await collect(t.client.listPublicServices());
    expect(services.map((s) => [s.service_name, s.owner, s.is_charge])).toEqual([
      ['test123', 'example', true],
      ['OBS', 'example', true],
    ]);
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoint-services/public`);
  });

  it('4.2.11 describes a service by id', async () => {
    const t = setup(() => ({ body: fixture('4.2.11-describe-service.response.json') }));
    expect(await t.client.describeService({ id: '4189d3c2-8882-4871-a3c2-d380272eed83' })).toEqual({
      id: '9d4c1028-1336-4556-9881-b5d807c1b8a8',
      service_name: 'test123',
      service_type: 'interface',
      created_at: '2018-09-17T07:28:31Z',
      is_charge: true,
    });
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoint-services/describe`);
    expect(t.requests[0]?.url.searchParams.get('id')).toBe('4189d3c2-8882-4871-a3c2-d380272eed83');
  });

  it('4.3.1 creates an endpoint (marker_id string -> number, tags kept)', async () => {
    const t = setup(() => ({ body: fixture('4.3.1-create-endpoint.response.json') }));
    const endpoint = await t.client.createEndpoint(fixture('4.3.1-create-endpoint.request.json') as never);
    expect(endpoint).toMatchObject({
      id: '4189d3c2-8882-4871-a3c2-d380272eed83',
      status: 'creating',
      marker_id: 322312312312,
      enable_dns: false,
      enable_whitelist: true,
      tags: [{ key: 'test1', value: 'test1' }],
    });
    expect([t.requests[0]?.method, t.requests[0]?.url.pathname]).toEqual(['POST', `${BASE}/vpc-endpoints`]);
    expect(t.requests[0]?.body).toEqual(fixture('4.3.1-create-endpoint.request.json'));
  });

  it('4.3.2 gets an endpoint', async () => {
    const t = setup(() => ({ body: fixture('4.3.2-get-endpoint.response.json') }));
    expect(await t.client.getEndpoint('4189d3c2-8882-4871-a3c2-d380272eed83')).toMatchObject({
      status: 'accepted',
      marker_id: 322312312312,
    });
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/vpc-endpoints/4189d3c2-8882-4871-a3c2-d380272eed83`);
  });

  it('4.3.3 deletes an endpoint', async () => {
    const t = setup(() => ({ status: 200 }));
    await t.client.deleteEndpoint('4189d3c2-8882-4871-a3c2-d380272eed83');
    expect([t.requests[0]?.method, t.requests[0]?.url.pathname]).toEqual([
      'DELETE',
      `${BASE}/vpc-endpoints/4189d3c2-8882-4871-a3c2-d380272eed83`,
    ]);
  });

  it('4.3.4 lists endpoints: "true" booleans, string marker_ids, unknown dns_name dropped', async () => {
    const t = setup(() => ({ body: fixture('4.3.4-list-endpoints.response.json') }));
    const endpoints = await collect(t.client.listEndpoints());
    expect(endpoints.map((e) => [e.marker_id, e.enable_dns, e.ip])).toEqual([
      [16777337, true, '192.168.0.232'],
      [16777322, true, '192.168.0.115'],
    ]);
    expect(endpoints[0]).not.toHaveProperty('dns_name');
  });

  it('4.4.1 gets the quotas of a resource type', async () => {
    const t = setup(() => ({ body: fixture('4.4.1-quotas.response.json') }));
    expect(await t.client.getQuotas('endpoint_service')).toEqual({
      resources: [
        { type: 'endpoint', used: 4, quota: 150 },
        { type: 'endpoint_service', used: 10, quota: 100 },
      ],
    });
    expect(t.requests[0]?.url.pathname).toBe(`${BASE}/quotas`);
    expect(t.requests[0]?.url.searchParams.get('type')).toBe('endpoint_service');
  });
});

describe('authentication', () => {
  it('signs every request with AK/SK (the fake checks each signature) and sends the security token', async () => {
    const t = setup(() => ({ body: fixture('4.2.2-get-service.response.json') }), {
      credentials: { ak: AK, sk: SK, securityToken: 'temp-token' },
    });
    await t.client.getService(SERVICE);
    const h = t.requests[0]!.headers;
    expect(h.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=TESTAKEXAMPLE0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(h['X-Sdk-Date']).toBe('20261126T080000Z');
    expect(h['X-Security-Token']).toBe('temp-token');
  });

  it('sends X-Auth-Token instead with token credentials', async () => {
    const fake = fakeFetch(() => ({ body: fixture('4.2.2-get-service.response.json') }), { checkSignature: false });
    const client = createVpcepClient({
      endpoint: ENDPOINT,
      projectId: PROJECT,
      credentials: { token: 'iam-token' },
      fetch: fake.fetch,
    });
    await client.getService(SERVICE);
    expect(fake.requests[0]?.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Project-Id': PROJECT,
      'X-Auth-Token': 'iam-token',
    });
  });

  it('refuses http:// unless the host is loopback', () => {
    const fake = fakeFetch(() => ({}));
    const make = (endpoint: string) => () =>
      createVpcepClient({ endpoint, projectId: PROJECT, credentials: { ak: AK, sk: SK }, fetch: fake.fetch });
    expect(make('http://vpcep.example.com')).toThrow(/http:\/\/ .*not loopback/);
    expect(make('ftp://127.0.0.1')).toThrow(/must use https/);
    for (const ok of [
      'http://127.0.0.1:8080',
      'http://127.1.2.3',
      'http://localhost:1',
      'http://[::1]:9000',
      'https://vpcep.example.com',
    ])
      expect(make(ok)).not.toThrow();
  });
});

describe('endpoint URLs with credentials', () => {
  it('refuses user:password in the endpoint without echoing the password', () => {
    const fake = fakeFetch(() => ({}));
    for (const endpoint of [
      'https://admin:hunter2secret@vpcep.example.com',
      'http://admin:hunter2secret@127.0.0.1:8080',
      'https://admin:hunter2 secret@vpcep.example.com:x',
    ]) {
      let message = '';
      try {
        createVpcepClient({ endpoint, projectId: PROJECT, credentials: { ak: AK, sk: SK }, fetch: fake.fetch });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2');
    }
    expect(() =>
      createVpcepClient({
        endpoint: 'https://admin:pw@vpcep.example.com',
        projectId: PROJECT,
        credentials: { ak: AK, sk: SK },
        fetch: fake.fetch,
      }),
    ).toThrow(/must not carry a user name or password \(https:\/\/vpcep\.example\.com\)/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('network errors', () => {
  it('name the method, host and path of the call', async () => {
    const t = setup(() => networkError('ECONNREFUSED'), { retry: { maxAttempts: 1 } });
    const err = await failure(t.client.getService(SERVICE));
    expect(err.message).toContain(`GET ${ENDPOINT}${BASE}/vpc-endpoint-services/${SERVICE}) failed: ECONNREFUSED`);
  });

  it('do not retry ENOTFOUND (the name does not exist) but retry EAI_AGAIN (the resolver is busy)', async () => {
    const notFound = setup(() => networkError('ENOTFOUND'));
    const err = await failure(notFound.client.getService(SERVICE));
    expect(err).toMatchObject({ errorCode: 'ENOTFOUND', retryable: false, attempts: 1 });
    expect(err.message).toContain('vpcep.tr-west-1.myhuaweicloud.com');
    expect(notFound.requests).toHaveLength(1);
    const again = setup((_, i) =>
      i === 0 ? networkError('EAI_AGAIN') : { body: fixture('4.2.2-get-service.response.json') },
    );
    await again.client.getService(SERVICE);
    expect(again.requests).toHaveLength(2);
  });
});

describe('pagination', () => {
  function connections(n: number, from = 0) {
    return Array.from({ length: n }, (_, i) => ({
      id: `c-${from + i}`,
      domain_id: 'd1',
      status: 'pendingAcceptance',
      marker_id: String(1000 + from + i),
    }));
  }
  /** A server holding `total` connections that honours limit up to `cap` and offset. */
  function server(total: number, cap = 1000): Responder {
    const rows = connections(total);
    return (req) => {
      const limit = Math.min(Number(req.url.searchParams.get('limit') ?? 10), cap);
      const offset = Number(req.url.searchParams.get('offset') ?? 0);
      return { body: { connections: rows.slice(offset, offset + limit), total_count: total } };
    };
  }

  it('reads every page with the largest limit and stops at total_count', async () => {
    const t = setup(server(2345));
    const rows = await collect(t.client.listConnections(SERVICE));
    expect(rows).toHaveLength(2345);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2345);
    expect(t.requests.map((r) => [r.url.searchParams.get('limit'), r.url.searchParams.get('offset')])).toEqual([
      ['1000', null],
      ['1000', '1000'],
      ['1000', '2000'],
    ]);
  });

  it('asks no further page when total_count is reached on a full page', async () => {
    const t = setup(server(1000));
    expect(await collect(t.client.listConnections(SERVICE))).toHaveLength(1000);
    expect(t.requests).toHaveLength(1);
  });

  it('keeps going when the server sends smaller pages than asked', async () => {
    const t = setup(server(1250, 300));
    expect(await collect(t.client.listConnections(SERVICE))).toHaveLength(1250);
    expect(t.requests.map((r) => r.url.searchParams.get('offset'))).toEqual([null, '300', '600', '900', '1200']);
  });

  it('skips records repeated across pages (a record added during the listing shifts the pages)', async () => {
    const pages = [connections(3, 0), connections(3, 2)];
    const t = setup((_, i) => ({ body: { connections: pages[i] ?? [], total_count: 6 } }), {});
    const rows = await collect(t.client.listConnections(SERVICE));
    expect(rows.map((r) => r.id)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
  });

  it('fails instead of looping when the API returns the same page forever', async () => {
    const t = setup(() => ({ body: { connections: connections(2), total_count: 5000 } }));
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      code: 'VPCEP_PAGE_REPEATED',
      message: expect.stringContaining(`connections of service ${SERVICE}`),
    });
    expect(t.requests).toHaveLength(2);
  });

  it('stops at a short page when total_count is missing', async () => {
    const t = setup((_, i) => ({ body: { connections: i === 0 ? connections(1000) : connections(7, 1000) } }));
    expect(await collect(t.client.listConnections(SERVICE))).toHaveLength(1007);
    expect(t.requests).toHaveLength(2);
  });

  /** Full pages of new records forever, with no total_count. */
  const endless: Responder = (req) => ({
    body: { connections: connections(1000, Number(req.url.searchParams.get('offset') ?? 0)) },
  });

  it('fails past the bound of its listing kind, naming the listing and the bound', async () => {
    const t = setup(endless, { listBounds: { connections: 2500 } });
    const err = await collect(t.client.listConnections(SERVICE)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VPCEP_LISTING_BOUND', retryable: false });
    expect((err as Error).message).toBe(
      `listing connections of service ${SERVICE}: more than 2500 records, the bound (listBounds.connections, connections of one service); stopping at offset 2000`,
    );
    expect(t.requests).toHaveLength(3);
  });

  it('has a default bound for every listing kind, from the quotas', async () => {
    expect(DEFAULT_LIST_BOUNDS).toEqual({
      services: 100_000,
      connections: 100_000,
      whitelist: 10_000,
      publicServices: 100_000,
      endpoints: 100_000,
      allListings: 200_000,
      allListingsBytes: 64 * 1024 * 1024,
    });
    const t = setup((req) => ({
      body: {
        permissions: Array.from({ length: 500 }, (_, i) => ({
          id: `p-${Number(req.url.searchParams.get('offset') ?? 0) + i}`,
          permission: '*',
        })),
      },
    }));
    await expect(collect(t.client.listWhitelist(SERVICE))).rejects.toMatchObject({
      code: 'VPCEP_LISTING_BOUND',
      message: expect.stringContaining('more than 10000 records, the bound (listBounds.whitelist'),
    });
    expect(t.requests).toHaveLength(21);
  });

  it("bounds the records of all listings in progress together, and frees a listing's share when it ends", async () => {
    const t = setup(endless, { listBounds: { connections: 10_000, allListings: 2500 } });
    const first = t.client.listConnections(SERVICE);
    const second = t.client.listConnections(SERVICE);
    for (let i = 0; i < 2000; i++) await first.next();
    await expect(collect(second)).rejects.toMatchObject({
      code: 'VPCEP_LISTING_BOUND',
      message: expect.stringContaining(
        'the listings in progress hold more than 2500 records together, the bound (listBounds.allListings, records of all listings in progress at once)',
      ),
    });
    await first.return(undefined);
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      message: expect.stringContaining('stopping at offset 2000'),
    });
  });

  it("bounds the bytes of the pages all listings in progress hold together, and frees a listing's share when it ends", async () => {
    const page = Buffer.byteLength(JSON.stringify({ connections: connections(1000, 0) }));
    const bound = Math.floor(page * 2.5);
    const t = setup(endless, { listBounds: { connections: 10_000, allListingsBytes: bound } });
    const first = t.client.listConnections(SERVICE);
    await first.next(); // its first page is held
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      code: 'VPCEP_LISTING_BOUND',
      message: expect.stringContaining(
        `would hold more than ${bound} bytes of pages together, the bound (listBounds.allListingsBytes, bytes of the pages of all listings in progress at once); stopping at offset 1000`,
      ),
    });
    await first.return(undefined);
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      message: expect.stringContaining('stopping at offset 2000'),
    });
  });

  it('fails at the first page when total_count is over the bound', async () => {
    const t = setup(server(5000), { listBounds: { connections: 4000 } });
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      code: 'VPCEP_LISTING_BOUND',
      message: expect.stringContaining('total_count 5000 is over the bound of 4000 records'),
    });
    expect(t.requests).toHaveLength(1);
  });

  it('fails when total_count grows between two pages by more than a page (a lying count)', async () => {
    const t = setup((req) => {
      const offset = Number(req.url.searchParams.get('offset') ?? 0);
      return { body: { connections: connections(1000, offset), total_count: 2000 + offset * 2 } };
    });
    await expect(collect(t.client.listConnections(SERVICE))).rejects.toMatchObject({
      code: 'VPCEP_TOTAL_COUNT_GREW',
      message: expect.stringContaining(
        'total_count grew from 2000 (page at offset 0) to 4000 (page at offset 1000), more than a page (1000)',
      ),
    });
    expect(t.requests).toHaveLength(2);
  });

  it('takes a total_count that grows by up to a page between pages (records added while listing)', async () => {
    const t = setup((req) => {
      const offset = Number(req.url.searchParams.get('offset') ?? 0);
      const total = offset === 0 ? 1500 : 2400;
      return { body: { connections: connections(Math.min(1000, total - offset), offset), total_count: total } };
    });
    expect(await collect(t.client.listConnections(SERVICE))).toHaveLength(2400);
  });
});

describe('response size', () => {
  const big = (bytes: number) => ({ raw: JSON.stringify({ id: SERVICE, padding: 'x'.repeat(bytes) }) });

  it('refuses a body over maxResponseBytes before parsing it, and does not retry', async () => {
    const t = setup(() => big(2000), { maxResponseBytes: 1000 });
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ errorCode: 'VPCEP_RESPONSE_TOO_LARGE', retryable: false, attempts: 1 });
    expect(err.message).toContain(
      "the response body is larger than 1000 bytes, the client's bound; refused before parsing",
    );
    expect(t.requests).toHaveLength(1);
  });

  it('is 16 MiB by default', async () => {
    const t = setup(() => big(16 * 1024 * 1024));
    const err = await failure(t.client.getService(SERVICE));
    expect(err.message).toContain('larger than 16 MiB');
  });

  /** A fetch whose answer declares `length` and streams `chunks`, counting what was read. */
  function streaming(chunks: Iterable<string>, length?: number) {
    const read = { chunks: 0, text: false };
    const fetch: CreateVpcepClientOptions['fetch'] = async () => ({
      status: 200,
      headers: { get: (name) => (name === 'content-length' && length !== undefined ? String(length) : null) },
      text: async () => {
        read.text = true;
        return '';
      },
      body: (async function* () {
        for (const c of chunks) {
          read.chunks++;
          yield c;
        }
      })(),
    });
    return { fetch, read };
  }

  it('refuses on the declared Content-Length before reading a byte', async () => {
    const s = streaming(['{}'], 300 * 1024 * 1024);
    const t = setup(() => ({}), { fetch: s.fetch });
    expect((await failure(t.client.getService(SERVICE))).errorCode).toBe('VPCEP_RESPONSE_TOO_LARGE');
    expect(s.read).toEqual({ chunks: 0, text: false });
  });

  it('stops reading a streamed body as soon as it passes the bound', async () => {
    const s = streaming(
      (function* () {
        for (;;) yield 'x'.repeat(100);
      })(),
    );
    const t = setup(() => ({}), { fetch: s.fetch, maxResponseBytes: 1000 });
    expect((await failure(t.client.getService(SERVICE))).errorCode).toBe('VPCEP_RESPONSE_TOO_LARGE');
    expect(s.read.chunks).toBe(11);
  });
});

describe('retries', () => {
  const ok = () => ({ body: fixture('4.2.2-get-service.response.json') });
  const failOnce =
    (first: ReturnType<Responder>): Responder =>
    (_, i) =>
      i === 0 ? first : ok();
  const serverError = { status: 500, body: { error_code: 'EndPoint.0001', error_msg: 'System error. Please retry.' } };

  it.each([
    ['HTTP 500 EndPoint.0001', serverError, 50],
    ['HTTP 503 without a body', { status: 503, raw: '<html>busy</html>' }, 50],
    ['a connection reset', networkError('ECONNRESET'), 50],
  ] as const)('retries a read after %s (transient: short backoff)', async (_name, reply, wait) => {
    const t = setup(failOnce(reply));
    await expect(t.client.getService(SERVICE)).resolves.toMatchObject({ id: '4189d3c2-8882-4871-a3c2-d380272eed83' });
    expect(t.requests).toHaveLength(2);
    expect(t.client.stats()).toEqual({
      requests: 2,
      calls: 1,
      retries: 1,
      throttled: 0,
      byOperation: { getService: 2 },
    });
    // Full jitter: random() 0.5 of the first ceiling (100 ms, the AWS SDK's base).
    expect(t.sleeps).toEqual([wait]);
    expect(t.warnings[0]).toMatch(/getService .* failed .*retry 1 of 7/);
  });

  it.each([
    [
      'EndPoint.0022 sent as HTTP 400',
      {
        status: 400,
        body: {
          error_code: 'EndPoint.0022',
          error_msg: 'The number of requests exceeded the limit. Please try later.',
        },
      },
    ],
    [
      'APIGW.0308 from the gateway',
      { status: 429, body: { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' } },
    ],
    [
      'APIG.0308 (the other spelling)',
      { status: 429, body: { error_code: 'APIG.0308', error_msg: 'The throttling threshold has been reached' } },
    ],
    ['a bare 429', { status: 429 }],
  ] as const)('waits longer after throttling (%s) and counts it', async (_name, reply) => {
    const t = setup(failOnce(reply));
    await t.client.getService(SERVICE);
    expect(t.client.stats()).toMatchObject({ requests: 2, retries: 1, throttled: 1 });
    // The throttling base (500 ms) instead of 100 ms.
    expect(t.sleeps).toEqual([250]);
    expect(t.warnings[0]).toMatch(/throttled; waiting 250 ms/);
  });

  it('honours Retry-After on a throttled answer, bounded to 20 s', async () => {
    const once = setup(failOnce({ status: 429, body: { error_code: 'APIGW.0308' }, headers: { 'Retry-After': '3' } }));
    await once.client.getService(SERVICE);
    expect(once.sleeps).toEqual([3000]);
    const long = setup(
      failOnce({ status: 429, body: { error_code: 'APIGW.0308' }, headers: { 'Retry-After': '3600' } }),
    );
    await long.client.getService(SERVICE);
    expect(long.sleeps).toEqual([20_000]);
  });

  it.each(['0', '-1', 'Thu, 26 Nov 2026 07:00:00 GMT', 'now'])(
    'waits the throttling backoff whatever a Retry-After of %j says',
    async (value) => {
      const t = setup(failOnce({ status: 429, body: { error_code: 'APIGW.0308' }, headers: { 'Retry-After': value } }));
      await t.client.getService(SERVICE);
      expect(t.sleeps).toEqual([250]);
    },
  );

  it('honours Retry-After on a 503 too', async () => {
    const t = setup(failOnce({ status: 503, headers: { 'Retry-After': '2' } }));
    await t.client.getService(SERVICE);
    expect(t.sleeps).toEqual([2000]);
  });

  it('never gives up on a throttled call while the run has time, and spends no quota on it', async () => {
    const quota = new RetryQuota({ capacity: 5 });
    const t = setup((_, i) => (i < 30 ? { status: 400, body: { error_code: 'EndPoint.0022' } } : ok()), { quota });
    await t.client.getService(SERVICE);
    expect(t.requests).toHaveLength(31);
    expect(quota.available).toBe(5);
    expect(t.client.stats()).toMatchObject({ throttled: 30, retries: 30 });
  });

  it('times a hanging request out with AbortController and retries it', async () => {
    const t = setup((_, i) => (i === 0 ? 'hang' : ok()), { timeoutMs: 5 });
    await t.client.getService(SERVICE);
    expect(t.requests).toHaveLength(2);
    expect(t.warnings[0]).toContain('TIMEOUT');
  });

  it('gives up after 8 transient failures, with exponential backoff', async () => {
    const t = setup(() => serverError, { random: () => 0.999 });
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ status: 500, errorCode: 'EndPoint.0001', retryable: true, attempts: 8 });
    expect(err.message).toContain('gave up after 8 attempts');
    expect(t.requests).toHaveLength(8);
    expect(t.sleeps).toEqual([99, 199, 399, 799, 1598, 3196, 6393]);
  });

  it('stops retrying when the retry quota is empty, and says so in the error', async () => {
    // 12 = two retries after a 5xx (5 each); the third finds 2 left.
    const quota = new RetryQuota({ capacity: 12 });
    const t = setup(() => ({ status: 503 }), { quota });
    const first = await failure(t.client.getService(SERVICE));
    expect(first.attempts).toBe(3);
    expect(first.message).toContain('HTTP 503 (not retried: retry quota exhausted)');
    expect(first.retryNote).toBe('not retried: retry quota exhausted');
    const second = await failure(t.client.getService(SERVICE));
    expect(second.attempts).toBe(1);
    expect(second.retryable).toBe(true);
    expect(t.client.stats()).toMatchObject({ requests: 4, retries: 2 });
  });

  it('refills the quota on success: a long run with scattered errors never runs dry', async () => {
    const quota = new RetryQuota();
    // Every 20th request fails once: 10,000 calls need 500 retries, 5 times the capacity's worth.
    const t = setup((_, i) => (i % 21 === 0 ? serverError : ok()), { quota });
    for (let n = 0; n < 10_000; n++) await t.client.getService(SERVICE);
    expect(t.client.stats().retries).toBeGreaterThan(450);
    expect(quota.available).toBe(500);
  });

  it('does not retry a 4xx that is not transient', async () => {
    const t = setup(() => ({ status: 400, body: { error_code: 'EndPoint.0002', error_msg: 'Parameter error.' } }));
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ status: 400, errorCode: 'EndPoint.0002', retryable: false, attempts: 1 });
    expect(t.requests).toHaveLength(1);
  });

  it('retries idempotent mutations (accept) after an ambiguous 500', async () => {
    const t = setup((_, i) => (i === 0 ? { status: 500 } : { body: fixture('4.2.7-connection-action.response.json') }));
    await t.client.acceptOrReject(SERVICE, 'e1', 'receive');
    expect(t.requests).toHaveLength(2);
  });

  it('does not retry a create after an ambiguous failure (a second resource could be made)', async () => {
    const body = fixture('4.2.1-create-service.request.json') as never;
    for (const reply of [{ status: 500, body: { error_code: 'EndPoint.0001' } }, networkError('ECONNRESET')]) {
      const t = setup(() => reply);
      const err = await failure(t.client.createService(body));
      expect(err.retryable).toBe(false);
      expect(t.requests).toHaveLength(1);
    }
  });

  it('retries a create when the failure proves it was not applied (throttled, connection refused)', async () => {
    const body = fixture('4.2.1-create-service.request.json') as never;
    for (const first of [{ status: 400, body: { error_code: 'EndPoint.0022' } }, networkError('ECONNREFUSED')]) {
      const t = setup((_, i) => (i === 0 ? first : { body: fixture('4.2.1-create-service.response.json') }));
      await t.client.createService(body);
      expect(t.requests).toHaveLength(2);
    }
  });
});

describe('the run deadline', () => {
  const ok = () => ({ body: fixture('4.2.2-get-service.response.json') });

  it('sends nothing when the call could not finish before the deadline', async () => {
    const t = setup(ok, { deadline: new Date(NOW.getTime() + 500) });
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ code: 'DEADLINE', attempts: 0 });
    expect(err.message).toContain("not sent: it could not finish before the run's deadline");
    expect(t.requests).toHaveLength(0);
  });

  it('gives each request only the time left before the deadline', async () => {
    const t = setup((_, i) => (i === 0 ? 'hang' : ok()), {
      deadline: new Date(NOW.getTime() + 30),
      timeoutMs: 30_000,
      retry: { minCallMs: 10 },
    });
    const err = await failure(t.client.getService(SERVICE));
    // The request timed out after the 30 ms that were left, not 30 s, and no retry could fit.
    expect(err).toMatchObject({
      errorCode: 'TIMEOUT',
      errorMsg: "no answer within 30 ms (not retried: the run's deadline is too near)",
      attempts: 1,
    });
    expect(err.message).toContain("not retried: the run's deadline is too near");
  });

  it('does not wait for a retry that would end after the deadline', async () => {
    const t = setup(() => ({ status: 429, body: { error_code: 'APIGW.0308' }, headers: { 'Retry-After': '10' } }), {
      deadline: new Date(NOW.getTime() + 5000),
    });
    const err = await failure(t.client.getService(SERVICE));
    expect(t.requests).toHaveLength(1);
    expect(t.sleeps).toEqual([]);
    expect(err).toMatchObject({ errorCode: 'APIGW.0308', retryable: true });
  });
});

describe('interruption (signal)', () => {
  const ok = () => ({ body: fixture('4.2.2-get-service.response.json') });

  it('starts no request once the signal is aborted: the call fails with INTERRUPTED', async () => {
    const controller = new AbortController();
    const t = setup(ok, { signal: controller.signal });
    await t.client.getService(SERVICE);
    controller.abort();
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ code: 'INTERRUPTED', attempts: 0 });
    expect(t.requests).toHaveLength(1);
  });

  it('starts no retry once aborted, even in the middle of a backoff', async () => {
    const controller = new AbortController();
    const t = setup(() => ({ status: 500 }), {
      signal: controller.signal,
      sleep: () => {
        controller.abort();
        return new Promise<void>(() => {});
      },
    });
    const err = await failure(t.client.getService(SERVICE));
    expect(err).toMatchObject({ code: 'INTERRUPTED', status: 500, attempts: 1 });
    expect(err.message).toContain('not retried: the run was interrupted');
    expect(t.requests).toHaveLength(1);
  });

  it('cuts a listing page in flight off and starts no further page: the listing fails with INTERRUPTED', async () => {
    const controller = new AbortController();
    const full = Array.from({ length: 1000 }, (_, i) => ({
      id: `c-${i}`,
      domain_id: 'd1',
      status: 'pendingAcceptance',
    }));
    const t = setup(
      (_, i) => {
        if (i === 0) return { body: { connections: full, total_count: 5000 } };
        // The second page is in flight when the run is interrupted; it would never be answered.
        setImmediate(() => controller.abort());
        return 'hang';
      },
      { signal: controller.signal },
    );
    const err = await failure(collect(t.client.listConnections(SERVICE)));
    expect(err).toMatchObject({ code: 'INTERRUPTED', attempts: 1 });
    expect(err.message).toBe(
      `listConnections (GET ${ENDPOINT}${BASE}/vpc-endpoint-services/${SERVICE}/connections) cut off in flight: the run was interrupted`,
    );
    expect(t.requests).toHaveLength(2);
  });

  it('lets an accept in flight run on to its answer: only reads are cut off', async () => {
    const controller = new AbortController();
    let answer: (() => void) | undefined;
    const fake = fakeFetch(() => ({ body: fixture('4.2.7-connection-action.response.json') }));
    // Answers when told to, unless its signal aborts first (as node-fetch does).
    const slowFetch: typeof fake.fetch = (url, init) =>
      new Promise((resolve, reject) => {
        init.signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        );
        answer = () => resolve(fake.fetch(url, init));
      });
    const t = setup(() => ({}), { signal: controller.signal, fetch: slowFetch });
    const pending = t.client.acceptOrReject(SERVICE, 'e1', 'receive');
    await new Promise((r) => setImmediate(r));
    controller.abort();
    answer!();
    await expect(pending).resolves.toHaveLength(1);
  });

  it('lets a request in flight run on and return normally', async () => {
    const controller = new AbortController();
    let answer: (() => void) | undefined;
    const fake = fakeFetch(ok);
    const slowFetch: typeof fake.fetch = (url, init) =>
      new Promise((resolve) => (answer = () => resolve(fake.fetch(url, init))));
    const t = setup(ok, { signal: controller.signal, fetch: slowFetch });
    const pending = t.client.getService(SERVICE);
    await new Promise((r) => setImmediate(r));
    controller.abort();
    answer!();
    await expect(pending).resolves.toMatchObject({ id: '4189d3c2-8882-4871-a3c2-d380272eed83' });
  });
});

describe('path parameters', () => {
  it.each(['.', '..', 'a/b', '../other', ''])('refuses the service id %j before any request', async (id) => {
    const t = setup(() => ({ body: {} }));
    await expect(t.client.getService(id)).rejects.toMatchObject({ code: 'INVALID_ID' });
    await expect(collect(t.client.listConnections(id))).rejects.toMatchObject({ code: 'INVALID_ID' });
    await expect(t.client.acceptOrReject(SERVICE, id, 'receive')).rejects.toMatchObject({ code: 'INVALID_ID' });
    await expect(t.client.updateWhitelist(id, 'add', [])).rejects.toMatchObject({ code: 'INVALID_ID' });
    expect(t.requests).toHaveLength(0);
  });

  it('names the refused value', async () => {
    const t = setup(() => ({ body: {} }));
    await expect(t.client.getEndpoint('..')).rejects.toThrow('the endpoint id ".." cannot be part of a URL path');
  });
});

describe('schema errors', () => {
  it('names the field of a response that breaks the schema', async () => {
    const t = setup(() => ({
      body: {
        connections: [
          { id: 'a', domain_id: 'd', status: 'accepted', marker_id: 1 },
          { id: 'b', domain_id: 'd', status: 'accepted', marker_id: 'abc' },
        ],
        total_count: 2,
      },
    }));
    const err = await failure(collect(t.client.listConnections(SERVICE)));
    expect(err.code).toBe('VPCEP_BAD_RESPONSE');
    expect(err.message).toContain('connections[1].marker_id');
    expect(err.retryable).toBe(false);
  });

  it('names a missing required field', async () => {
    const t = setup(() => ({ body: { endpoint_services: [{ id: 's1' }], total_count: 1 } }));
    await expect(collect(t.client.listServices())).rejects.toThrow(/endpoint_services\[0\]\.approval_enabled/);
  });

  it('says what was expected and what was found', async () => {
    const services = setup(() => ({
      body: { endpoint_services: [{ id: 's1', approval_enabled: 'maybe' }], total_count: 1 },
    }));
    await expect(collect(services.client.listServices())).rejects.toThrow(
      'endpoint_services[0].approval_enabled: expected a boolean (true/false or "true"/"false"); got "maybe"',
    );
    const connections = setup(() => ({
      body: { connections: [{ id: 'a', domain_id: 'd', status: 'accepted', marker_id: 'abc' }], total_count: 1 },
    }));
    await expect(collect(connections.client.listConnections(SERVICE))).rejects.toThrow(
      'connections[0].marker_id: expected an integer or a numeric string; got "abc"',
    );
    const missing = setup(() => ({ body: { endpoint_services: [{ id: 's1' }], total_count: 1 } }));
    await expect(collect(missing.client.listServices())).rejects.toThrow(
      'endpoint_services[0].approval_enabled: expected a boolean (true/false or "true"/"false"); missing',
    );
    const typed = setup(() => ({ body: { endpoint_services: [{ id: 7, approval_enabled: true }], total_count: 1 } }));
    await expect(collect(typed.client.listServices())).rejects.toThrow(
      'endpoint_services[0].id: expected string; got 7',
    );
  });

  it('rejects a body that is not JSON', async () => {
    const t = setup(() => ({ raw: '<html>' }));
    await expect(t.client.getService(SERVICE)).rejects.toMatchObject({
      code: 'VPCEP_BAD_RESPONSE',
      message: expect.stringContaining('not JSON'),
    });
  });
});

describe('secrets', () => {
  it('never puts the AK, SK, token or signature into an error', async () => {
    const leakyTransport = Object.assign(
      new Error(
        `socket hang up; headers: Authorization: SDK-HMAC-SHA256 Access=${AK}, Signature=abc; X-Security-Token: temp-token`,
      ),
      { code: 'ECONNRESET' },
    );
    const replies = [
      { status: 401, body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information' } },
      leakyTransport,
      { raw: '{' },
    ];
    for (const reply of replies) {
      const t = setup(() => reply, {
        credentials: { ak: AK, sk: SK, securityToken: 'temp-token' },
        retry: { maxAttempts: 1 },
      });
      const err = await failure(t.client.getService(SERVICE));
      const text = [
        err.message,
        err.stack,
        JSON.stringify(err),
        String(err.cause),
        (err.cause as Error | undefined)?.message,
      ].join('\n');
      for (const secret of [AK, SK, 'temp-token', 'Signature=']) expect(text).not.toContain(secret);
      for (const w of t.warnings) for (const secret of [AK, SK, 'temp-token']) expect(w).not.toContain(secret);
    }
  });
});

describe('secrets echoed by the server', () => {
  function secretsOf(headers: Record<string, string>): string[] {
    const auth = headers.Authorization;
    const out = [
      headers['X-Auth-Token'],
      headers['X-Security-Token'],
      auth,
      auth ? /Signature=([0-9a-f]+)/.exec(auth)?.[1] : undefined,
    ];
    return out.filter((s): s is string => !!s);
  }

  it('scrubs the Authorization header, signature, AK, SK and security token from an echoed error_msg', async () => {
    const echo: Responder = (req) => ({
      status: 400,
      headers: { 'X-Request-Id': `req-${req.headers['X-Security-Token']}` },
      body: {
        error_code: 'EndPoint.0002',
        error_msg: `bad request; Authorization: ${req.headers.Authorization}; X-Security-Token: ${req.headers['X-Security-Token']}; ak=${AK}; sk=${SK}`,
      },
    });
    const t = setup(echo, { credentials: { ak: AK, sk: SK, securityToken: 'temp-token-123' } });
    const err = await failure(t.client.getService(SERVICE));
    const sent = t.requests[0]!.headers;
    const secrets = [AK, SK, 'temp-token-123', ...secretsOf(sent)];
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const text = [err.message, err.errorMsg, err.requestId, String(err), JSON.stringify(err), err.stack].join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(err.errorMsg).toContain('[redacted]');
    expect(err.errorCode).toBe('EndPoint.0002');
  });

  it('scrubs an echoed X-Auth-Token', async () => {
    const fake = fakeFetch(
      (req) => ({
        status: 401,
        body: { error_code: 'APIGW.0301', error_msg: `token ${req.headers['X-Auth-Token']} is invalid` },
      }),
      { checkSignature: false },
    );
    const client = createVpcepClient({
      endpoint: ENDPOINT,
      projectId: PROJECT,
      credentials: { token: 'iam-token-secret' },
      fetch: fake.fetch,
    });
    const err = await failure(client.getService(SERVICE));
    expect(fake.requests[0]?.headers['X-Auth-Token']).toBe('iam-token-secret');
    for (const text of [err.message, err.errorMsg, String(err), JSON.stringify(err)])
      expect(text).not.toContain('iam-token-secret');
    expect(err.errorMsg).toBe('token [redacted] is invalid');
  });
});

describe('secrets in 2xx answers', () => {
  it('scrubs the echoed Authorization header, signature and security token from a schema error', async () => {
    // A server that answers 200 with the request's own credentials where lists are expected.
    const echo: Responder = (req) => ({
      body: {
        connections: req.headers['Authorization'],
        total_count: req.headers['X-Security-Token'],
        extra: { ak: AK },
        endpoint_services: [
          {
            id: req.headers['Authorization']!.split('Signature=')[1],
            approval_enabled: req.headers['X-Security-Token'],
          },
        ],
      },
    });
    for (const read of [
      (c: VpcepClient) => collect(c.listConnections(SERVICE)),
      (c: VpcepClient) => collect(c.listServices()),
    ]) {
      const t = setup(echo, {
        credentials: {
          ak: AK,
          sk: SK,
          securityToken: 'temp-token-with-"quotes"-and-a-long-tail-that-gets-cut-by-the-shortener-of-values',
        },
      });
      const err = await failure(read(t.client));
      expect(err.code).toBe('VPCEP_BAD_RESPONSE');
      const signature = String(t.requests[0]!.headers['Authorization']).split('Signature=')[1]!;
      const text = [err.message, err.stack, JSON.stringify(err)].join('\n');
      expect(text).toContain('[redacted]');
      for (const secret of [AK, SK, signature, signature.slice(0, 20), 'temp-token', 'SDK-HMAC-SHA256 Access'])
        expect(text).not.toContain(secret);
    }
  });

  it('scrubs an echoed X-Auth-Token from a schema error', async () => {
    const token = 'MIIT' + 'x'.repeat(200);
    const fake = fakeFetch((req) => ({ body: { permissions: req.headers['X-Auth-Token'] } }), {
      checkSignature: false,
    });
    const t = setup(() => ({}), { credentials: { token }, fetch: fake.fetch });
    const err = await failure(collect(t.client.listWhitelist(SERVICE)));
    expect(err.message).toContain('permissions: expected array; got "[redacted]"');
    expect(err.message).not.toContain('MIIT');
  });
});

describe('stats()', () => {
  it('counts requests per operation', async () => {
    const t = setup((req) =>
      req.url.pathname.endsWith('/permissions')
        ? { body: fixture('4.2.8-list-whitelist.response.json') }
        : { body: fixture('4.2.6-list-connections.response.json') },
    );
    const client: VpcepClient = t.client;
    await collect(client.listConnections(SERVICE));
    await collect(client.listWhitelist(SERVICE));
    await collect(client.listWhitelist(SERVICE));
    expect(client.stats()).toEqual({
      requests: 3,
      calls: 3,
      retries: 0,
      throttled: 0,
      byOperation: { listConnections: 1, listWhitelist: 2 },
    });
  });
});
