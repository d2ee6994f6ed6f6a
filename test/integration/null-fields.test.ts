import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { runCaptured } from '../support/capture';
import { tempFiles } from '../support/simulator';

/**
 * Odd but harmless answers (CONTRACT section 6, hardening): an API that sends `null` for an
 * optional field of a listed record (`description`, `created_at`, ...) is read as if the field
 * were absent, instead of failing the whole service. A small server on 127.0.0.1 answers the
 * three listings a sweep reads with such records; a `null` where a field is required still fails.
 */
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SERVICE = '4189d3c2-8882-4871-a3c2-d380272eed88';
const PARTNER = '5fc973eea581490997e82ea11a1df31f';
const ENDPOINT = 'fd69d29f-dc29-4a9b-80d8-b51d1e7e58ea';

function listings(serviceId: unknown): Record<string, unknown> {
  return {
    [`/v1/${PROJECT}/vpc-endpoint-services`]: {
      endpoint_services: [
        {
          id: serviceId,
          service_name: 'partner-api',
          approval_enabled: true,
          status: 'available',
          server_type: null,
          vpc_id: null,
          ports: null,
          connection_count: null,
          created_at: null,
          updated_at: null,
        },
      ],
      total_count: 1,
    },
    [`/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/connections`]: {
      connections: [
        {
          id: ENDPOINT,
          marker_id: null,
          domain_id: PARTNER,
          status: 'pendingAcceptance',
          description: null,
          created_at: null,
          updated_at: null,
        },
      ],
      total_count: 1,
    },
    [`/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/permissions`]: {
      permissions: [{ id: 'p-1', permission: `iam:domain::${PARTNER}`, description: null, created_at: null }],
      total_count: 1,
    },
  };
}

async function listen(bodies: Record<string, unknown>) {
  const server: Server = createServer((req, res) => {
    req.resume();
    const body = bodies[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body ?? { error_code: 'APIGW.0101', error_msg: 'The API does not exist' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const files = tempFiles('vpcep-null-fields-', {
  'policy.yaml': [
    'version: 1',
    'services:',
    '  - rule: partners',
    '    match: { name: "partner-*" }',
    '    allow:',
    `      - domain: ${PARTNER}`,
    '',
  ].join('\n'),
});
const env = (url: string) => ({
  VPCEP_ENDPOINT: url,
  HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
  HUAWEICLOUD_SDK_AK: 'AKNULLFIELDS000001',
  HUAWEICLOUD_SDK_SK: 'sk-null-fields',
});

describe('null for an optional field of a listed record', () => {
  it('counts as absent: the service is read and planned, the records print without the field', async () => {
    const api = await listen(listings(SERVICE));
    try {
      const plan = await runCaptured(
        ['plan', '--policy', files.path('policy.yaml'), '--scope', 'compliance', '--json'],
        env(api.url),
      );
      expect(plan.err).not.toContain('expected');
      expect(plan.code).toBe(0);
      const doc = JSON.parse(plan.out) as { actions: { type: string; endpoint_id?: string }[] };
      expect(doc.actions).toEqual([
        expect.objectContaining({ type: 'connection.accept', service_id: SERVICE, endpoint_id: ENDPOINT }),
      ]);

      const whitelist = await runCaptured(['whitelist', SERVICE, '--json'], env(api.url));
      expect(whitelist.code).toBe(0);
      expect(JSON.parse(whitelist.out)).toEqual([{ id: 'p-1', permission: `iam:domain::${PARTNER}` }]);

      const connections = await runCaptured(['connections', SERVICE, '--json'], env(api.url));
      expect(connections.code).toBe(0);
      expect(JSON.parse(connections.out)).toEqual([{ id: ENDPOINT, domain_id: PARTNER, status: 'pendingAcceptance' }]);
    } finally {
      await api.close();
    }
  });

  it('still fails where the field is required, naming it', async () => {
    const api = await listen(listings(null));
    try {
      const run = await runCaptured(['services'], env(api.url));
      expect(run.code).toBe(1);
      expect(run.err).toContain('endpoint_services[0].id');
    } finally {
      await api.close();
    }
  });
});
