/**
 * The real CLI against a small HTTP server on 127.0.0.1 that checks every request's AK/SK
 * signature with verifySignature (as the API gateway would) and serves connections page by page.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

import { startSimulator } from '../../lib/simulator';
import { isoSeconds } from '../../lib/time';
import { verifySignature } from '../../lib/vpcep/sign';
import { runCaptured } from '../support/capture';
import { runCliProcess } from '../support/cli-process';
import { PAYMENTS as SERVICE } from '../support/ids';
import { apiEnv } from '../support/simulator';

const AK = 'INTEGRATIONAK0000001';
const SK = 'integration-secret-key';
const PROJECT = 'p0a1b2c3d4';
const TOTAL = 2500;

interface Served {
  url: string;
  requests: { path: string; limit: string | null; offset: string | null; authorized: boolean }[];
  close: () => Promise<void>;
}

/** 4.2.6 over TOTAL connections, honouring limit (at most 1000) and offset, marker_id sent as a numeric string. */
function startServer(): Promise<Served> {
  const rows = Array.from({ length: TOTAL }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    marker_id: String(16777216 + i),
    domain_id: i % 2 ? '5fc973eea581490997e82ea11a1df31f' : '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    status: i % 3 ? 'accepted' : 'pendingAcceptance',
    created_at: isoSeconds(new Date(Date.UTC(2026, 0, 1) + i * 1000)),
    extra_field: 'ignored',
  }));
  const requests: Served['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const verdict = verifySignature(
        {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        },
        (ak) => (ak === AK ? SK : undefined),
      );
      requests.push({
        path: url.pathname,
        limit: url.searchParams.get('limit'),
        offset: url.searchParams.get('offset'),
        authorized: verdict.ok,
      });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!verdict.ok) return send(401, { error_code: 'APIGW.0301', error_msg: verdict.reason });
      if (url.pathname !== `/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/connections`)
        return send(404, { error_code: 'EndPoint.0005', error_msg: 'The requested resource is unavailable.' });
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 10), 1000);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      send(200, { connections: rows.slice(offset, offset + limit), total_count: rows.length });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

describe('vpcep-approver connections (real CLI, signature-checking server)', () => {
  let served: Served;
  beforeEach(async () => {
    served = await startServer();
  });
  afterEach(async () => {
    await served.close();
  });

  it('lists all 2,500 connections of a service as JSON in exactly 3 signed requests', async () => {
    const result = await runCliProcess(
      ['connections', SERVICE, '--json', '--endpoint', served.url, '--project-id', PROJECT],
      { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as { id: string; marker_id: unknown }[];
    expect(records).toHaveLength(TOTAL);
    expect(new Set(records.map((r) => r.id)).size).toBe(TOTAL);
    expect(records.every((r) => typeof r.marker_id === 'number')).toBe(true);
    expect(records[0]).toEqual({
      id: '00000000-0000-4000-8000-000000000000',
      marker_id: 16777216,
      domain_id: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      status: 'pendingAcceptance',
      created_at: '2026-01-01T00:00:00Z',
    });
    expect(served.requests).toEqual([
      {
        path: `/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/connections`,
        limit: '1000',
        offset: null,
        authorized: true,
      },
      {
        path: `/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/connections`,
        limit: '1000',
        offset: '1000',
        authorized: true,
      },
      {
        path: `/v1/${PROJECT}/vpc-endpoint-services/${SERVICE}/connections`,
        limit: '1000',
        offset: '2000',
        authorized: true,
      },
    ]);
  });

  it('prints a table by default and fails with exit 1 and a clear message on a wrong secret, never echoing it', async () => {
    const table = await runCliProcess(
      ['connections', SERVICE, '--status', 'pendingAcceptance', '--endpoint', served.url, '--project-id', PROJECT],
      { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK },
    );
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ENDPOINT ID\s+DOMAIN\s+STATUS\s+MARKER\s+CREATED$/);

    const wrong = await runCliProcess(
      ['connections', SERVICE, '--json', '--endpoint', served.url, '--project-id', PROJECT],
      { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: 'not-the-secret' },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(
      /^error: listConnections \(GET .*\) failed: HTTP 401 APIGW.0301 "signature does not match"/,
    );
    expect(wrong.stderr).not.toContain('not-the-secret');
    expect(wrong.stderr).not.toContain(AK);
  });
});

describe('read commands in-process', () => {
  const run = runCaptured;

  it.each([['services'], ['connections'], ['whitelist']])('%s --help lists the connection options', async (name) => {
    const { code, out } = await run([name, '--help']);
    expect(code).toBe(0);
    for (const option of ['--endpoint <url>', '--region <region>', '--project-id <id>', '--json', 'HUAWEICLOUD_SDK_AK'])
      expect(out).toContain(option);
  });

  it('says so when a listing is empty', async () => {
    const sim = await startSimulator({ state: { project_id: PROJECT, services: [] } });
    try {
      const env = apiEnv(sim, { ak: AK, sk: SK });
      expect(await run(['services'], env)).toEqual({ code: 0, out: 'no endpoint services\n', err: '' });
      expect(await run(['services', '--json'], env)).toEqual({ code: 0, out: '[]\n', err: '' });
    } finally {
      await sim.stop();
    }
    const empty = await startSimulator({ state: { project_id: PROJECT, services: [{ id: SERVICE }] } });
    try {
      const env = apiEnv(empty, { ak: AK, sk: SK });
      expect(await run(['connections', SERVICE], env)).toEqual({ code: 0, out: 'no connections\n', err: '' });
      expect(await run(['connections', SERVICE, '--status', 'pendingAcceptance'], env)).toEqual({
        code: 0,
        out: 'no connections with status pendingAcceptance\n',
        err: '',
      });
      expect(await run(['whitelist', SERVICE], env)).toEqual({ code: 0, out: 'no whitelist records\n', err: '' });
    } finally {
      await empty.stop();
    }
  });

  it('names the missing settings and exits 1 before any request', async () => {
    const { code, out, err } = await run(['services', '--json']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('VPCEP_ENDPOINT or HUAWEICLOUD_SDK_REGION');
    expect(err).toContain('HUAWEICLOUD_SDK_PROJECT_ID');
  });

  it('refuses an unknown --status with the valid choices', async () => {
    const { code, err } = await run(['connections', SERVICE, '--status', 'pending']);
    expect(code).toBe(1);
    expect(err).toContain('pendingAcceptance');
  });

  it('refuses http:// to a host that is not loopback', async () => {
    const { code, err } = await run(
      ['whitelist', SERVICE, '--endpoint', 'http://vpcep.example.com', '--project-id', PROJECT],
      { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK },
    );
    expect(code).toBe(1);
    expect(err).toMatch(/--endpoint "http:\/\/vpcep.example.com" uses http:\/\//);
  });
});
