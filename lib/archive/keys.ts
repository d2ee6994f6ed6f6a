import { createHash } from 'node:crypto';

import { isoDay } from '../time';

/**
 * Object keys of the archive bucket, laid out for Athena partition projection:
 * `events/dt=YYYY-MM-DD/<sha256>.jsonl.gz` for the valid events of one batch and day, and
 * `invalid/dt=YYYY-MM-DD/<message id>` for a message that is not a valid event, stored raw.
 */

/** The partition of an event: the UTC day of its `time`. */
export function partitionDay(time: string): string {
  return isoDay(new Date(time));
}

/**
 * The key of the object holding a batch's events of one day: named from the SQS message ids
 * (sorted, so the order of delivery does not matter), so a redelivered batch overwrites its own
 * object instead of adding a duplicate.
 */
export function eventsObjectKey(day: string, messageIds: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...messageIds].sort().join('\n'))
    .digest('hex');
  return `events/dt=${day}/${digest}.jsonl.gz`;
}

/** The key of a message kept raw because it is not a valid event (the day it was sent). */
export function invalidObjectKey(day: string, messageId: string): string {
  // Message ids are UUIDs on SQS; anything else is made safe for a key.
  return `invalid/dt=${day}/${messageId.replace(/[^A-Za-z0-9-]/g, '_')}`;
}
