import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { UsageError } from '../../../lib/errors';
import { generateState, parseSimulatorState } from '../../../lib/simulator';

describe('parseSimulatorState()', () => {
  it('fills every default from ids alone', () => {
    const state = parseSimulatorState({
      services: [
        {
          id: 's1',
          connections: [{ id: 'c1' }, { id: 'c2', marker_id: '42' }],
          permissions: [{ id: 'p1', permission: 'iam:domain::abc' }],
        },
      ],
    });
    const s = state.services[0]!;
    expect(s).toMatchObject({
      id: 's1',
      approval_enabled: true,
      status: 'available',
      server_type: 'VM',
      service_type: 'interface',
      tcp_proxy: 'close',
    });
    expect(s.connections[0]).toMatchObject({
      id: 'c1',
      status: 'pendingAcceptance',
      created_at: '2024-01-01T00:00:00Z',
    });
    expect(s.connections[1]!.marker_id).toBe(42);
    expect(s.connections[0]!.marker_id).not.toBe(42);
    expect(state.quotas).toEqual({ endpoint_service: 100, endpoint: 150 });
  });

  it('gives the same defaults on every run', () => {
    const input = { services: [{ id: 's1', connections: [{ id: 'c1' }] }] };
    expect(parseSimulatorState(input)).toEqual(parseSimulatorState(input));
  });

  it('names the source and the path of a bad value', () => {
    const bad = { services: [{ id: 's1', connections: [{ id: 'c1', status: 'sleeping' }] }] };
    expect(() => parseSimulatorState(bad, 'demo.json')).toThrow(UsageError);
    expect(() => parseSimulatorState(bad, 'demo.json')).toThrow(
      /demo\.json: services\[0\]\.connections\[0\]\.status: .*; got "sleeping"/,
    );
    expect(() => parseSimulatorState({ services: [{ id: 's1', surprise: 1 }] })).toThrow(/services\[0\]/);
  });

  it('refuses duplicate ids with their paths', () => {
    const dup = {
      services: [
        { id: 's1', connections: [{ id: 'c1' }] },
        { id: 's2', connections: [{ id: 'c1' }] },
      ],
    };
    expect(() => parseSimulatorState(dup)).toThrow(/services\[1\]\.connections\[0\]\.id: duplicate connection id "c1"/);
    expect(() => parseSimulatorState({ services: [{ id: 's1' }, { id: 's1' }] })).toThrow(
      /services\[1\]\.id: duplicate service id/,
    );
  });

  it('reads the bundled demo state', () => {
    const file = join(__dirname, '../../../policies/examples/demo-state.json');
    const state = parseSimulatorState(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(state.services.map((s) => s.service_name)).toEqual(['payments', 'analytics', 'reporting-api']);
    expect(state.services.flatMap((s) => s.connections).some((c) => c.status === 'pendingAcceptance')).toBe(true);
  });
});

describe('generateState()', () => {
  it('is deterministic with the seed and honours the counts and pending ratio', () => {
    const a = generateState({ services: 5, connectionsPerService: 40, pendingRatio: 1, seed: 9 });
    expect(a).toEqual(generateState({ services: 5, connectionsPerService: 40, pendingRatio: 1, seed: 9 }));
    expect(a.services).toHaveLength(5);
    expect(a.services.flatMap((s) => s.connections).every((c) => c.status === 'pendingAcceptance')).toBe(true);
    const ids = a.services.flatMap((s) => s.connections.map((c) => c.id));
    expect(new Set(ids).size).toBe(200);
  });

  it('produces a state the parser accepts unchanged', () => {
    const g = generateState({ services: 3, connectionsPerService: 4, seed: 2 });
    expect(parseSimulatorState(JSON.parse(JSON.stringify(g)))).toEqual(g);
  });
});
