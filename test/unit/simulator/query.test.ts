import fc from 'fast-check';

import { SimulatorHttpError } from '../../../lib/simulator/errors';
import { pageOf, parsePaging } from '../../../lib/simulator/query';

const q = (s: string) => new URLSearchParams(s);

describe('parsePaging()', () => {
  it('defaults to limit 10, offset 0, created_at desc', () => {
    expect(parsePaging(q(''), 1000)).toEqual({ limit: 10, offset: 0, sortKey: 'created_at', sortDir: 'desc' });
  });

  it.each([
    ['limit=1001', 'EndPoint.0006'],
    ['limit=-1', 'EndPoint.0006'],
    ['offset=-3', 'EndPoint.0010'],
    ['sort_key=id', 'EndPoint.0017'],
    ['sort_dir=sideways', 'EndPoint.0018'],
  ])('refuses %s with %s', (query, code) => {
    try {
      parsePaging(q(query), 1000);
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(SimulatorHttpError);
      expect((e as SimulatorHttpError).body.error_code).toBe(code);
    }
  });
});

describe('pageOf()', () => {
  it('walking pages in either direction visits every item exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 17 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        (n, limit, sortDir) => {
          const items = Array.from({ length: n }, (_, i) => i);
          const seen: number[] = [];
          for (let offset = 0; offset < n + limit; offset += limit)
            seen.push(...pageOf(items, { limit, offset, sortDir, sortKey: 'created_at' }));
          expect(seen).toEqual(sortDir === 'asc' ? items : [...items].reverse());
        },
      ),
    );
  });
});
