// Writes docs/events/<type>.schema.json from lib/audit/event-schemas.ts (CONTRACT 3):
//   npx tsx scripts/event-schemas.ts
// test/unit/audit/event-schemas.test.ts fails when a committed file differs from this output.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { EVENT_TYPES, eventDataJsonSchema } from '../lib/audit/event-schemas';

const dir = join(__dirname, '../docs/events');
for (const type of EVENT_TYPES) {
  writeFileSync(join(dir, `${type}.schema.json`), `${JSON.stringify(eventDataJsonSchema(type), null, 2)}\n`);
  console.log(`docs/events/${type}.schema.json`);
}
