import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EXECUTORS } from '../../../lib/engine/executors';
import { SURVEY_OPERATIONS } from '../../../lib/engine/survey';
import { ACTION_TYPES } from '../../../lib/model';
import { OPERATIONS } from '../../../lib/vpcep/operations';

const ENGINE = join(__dirname, '../../../lib/engine');

describe('the executor table', () => {
  it('has one executor per action type, each declaring operations of the client’s operations table', () => {
    expect(Object.keys(EXECUTORS).sort()).toEqual([...ACTION_TYPES].sort());
    for (const executor of Object.values(EXECUTORS)) {
      expect(executor.operations.length).toBeGreaterThan(0);
      for (const operation of executor.operations) expect(Object.keys(OPERATIONS)).toContain(operation);
    }
    for (const operation of SURVEY_OPERATIONS) expect(Object.keys(OPERATIONS)).toContain(operation);
  });

  it('is the only place in lib/engine that tells action types apart', () => {
    const comparing = readdirSync(ENGINE)
      .filter((file) => file !== 'executors.ts')
      .filter((file) =>
        /\.type\s*[!=]==|type\s*[!=]==\s*'(connection|whitelist|service)\./.test(
          readFileSync(join(ENGINE, file), 'utf8'),
        ),
      );
    expect(comparing).toEqual([]);
  });
});
