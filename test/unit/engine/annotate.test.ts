import pLimit from 'p-limit';

import { annotationText, createAnnotator, describedConnections } from '../../../lib/engine/annotate';
import { ReviewDeps } from '../../../lib/engine/ports';
import { createJsonLogger } from '../../../lib/logger';
import { ActionResult, Connection } from '../../../lib/model';
import { captureStream } from '../../support/capture';
import { apiError, createFakeEngineClient } from '../../support/fake-engine-client';

/** The descriptions VPCEP_ANNOTATE writes: their text, which connections get one, and a failed call. */
const SERVICE = 's1';
const decided = (
  n: number,
  type: ActionResult['type'],
  outcome: ActionResult['outcome'] = 'succeeded',
): ActionResult => ({
  type,
  service_id: SERVICE,
  endpoint_id: `e${n}`,
  domain_id: 'd1',
  rule: 'payments',
  reason: 'domain d1 allowed by services[0].allow[0]',
  outcome,
});
const read = (n: number, description?: string): Connection => ({
  id: `e${n}`,
  domain_id: 'd1',
  status: 'accepted',
  ...(description !== undefined && { description }),
});

describe('annotationText', () => {
  it('says the decision, the rule, the reason and the run', () => {
    expect(annotationText(decided(1, 'connection.accept'), 'run-1')).toBe(
      'vpcep-approver: accepted, rule payments, domain d1 allowed by services[0].allow[0], run run-1',
    );
  });

  it('strips < and > from every part and stays within 512 characters', () => {
    const text = annotationText(
      { type: 'connection.reject', rule: '<b>pay</b>', reason: `<script>${'x'.repeat(900)}` },
      'r<1>',
    );
    expect(text).not.toMatch(/[<>]/);
    expect(text.length).toBe(512);
    expect(text).toMatch(/^vpcep-approver: rejected, rule bpay\/b, scriptxxx.*\.\.\., run r1$/);
  });
});

describe('describedConnections', () => {
  it('describes succeeded accepts and rejects whose description is empty or vpcep-approver’s, nothing else', () => {
    const results = [
      decided(1, 'connection.accept'),
      decided(2, 'connection.reject'),
      decided(3, 'connection.accept'),
      decided(4, 'connection.accept', 'failed'),
      decided(5, 'connection.reject', 'planned'),
      { ...decided(6, 'whitelist.add'), endpoint_id: undefined },
    ];
    const now = [read(1), read(2, 'vpcep-approver: accepted, run old'), read(3, 'Bob: keep'), read(4), read(5)];
    expect(describedConnections(results, now, 'r').map((d) => d.id)).toEqual(['e1', 'e2']);
  });
});

describe('createAnnotator', () => {
  const setup = () => {
    const fake = createFakeEngineClient([
      { service: { id: SERVICE, approval_enabled: true }, connections: [read(1)], whitelist: [] },
    ]);
    const log = captureStream();
    const deps = {
      client: fake.client,
      limit: pLimit(2),
      logger: createJsonLogger({ stream: log.stream, level: 'warn' }),
    } as unknown as ReviewDeps;
    return { fake, deps, log };
  };

  it('a failed call is a warning and the next service is still described', async () => {
    const { fake, deps, log } = setup();
    let fail = true;
    fake.hooks.before = (call) => {
      if (call.startsWith('describe') && fail) {
        fail = false;
        throw apiError(500, 'EndPoint.0001', 'System error. Please retry.');
      }
    };
    const annotator = createAnnotator('r');
    await expect(annotator.annotate(deps, SERVICE, [decided(1, 'connection.accept')], [read(1)])).resolves.toBe(
      undefined,
    );
    await annotator.annotate(deps, SERVICE, [decided(1, 'connection.accept')], [read(1)]);
    expect(fake.calls).toEqual([`describe ${SERVICE} 1`, `describe ${SERVICE} 1`]);
    expect(log.text()).toContain('could not write the decisions as connection descriptions');
    expect(fake.services[0]!.connections[0]!.description).toMatch(/^vpcep-approver: accepted/);
  });

  it('after 404 APIGW.0101 no further call is made, and the warning is given once', async () => {
    const { fake, deps, log } = setup();
    fake.hooks.before = (call) => {
      if (call.startsWith('describe')) throw apiError(404, 'APIGW.0101', 'The API does not exist');
    };
    const annotator = createAnnotator('r');
    await Promise.all(
      [1, 2, 3].map(() => annotator.annotate(deps, SERVICE, [decided(1, 'connection.accept')], [read(1)])),
    );
    expect(fake.calls).toEqual([`describe ${SERVICE} 1`]);
    expect(log.text().split('does not offer connection descriptions').length - 1).toBe(1);
  });
});
