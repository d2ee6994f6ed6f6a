import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';

import { EVENT_TYPES, eventDataSchemas, EventType } from '../audit/event-schemas';
import { Logger } from '../logger';
import { isoDay } from '../time';
import { formatIssues } from '../zod-issues';
import { eventsObjectKey, invalidObjectKey, partitionDay } from './keys';

/** What the archive needs of an SQS message (the fields of Lambda's SQSRecord it reads). */
export interface QueuedMessage {
  messageId: string;
  body: string;
  attributes: { SentTimestamp: string };
}

export interface ArchiveDeps {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  logger: Logger;
}

/** A message that is not a valid audit event: kept raw under invalid/, and reported as failed. */
export class InvalidEventError extends Error {
  constructor(
    readonly messageId: string,
    readonly key: string,
    problem: string,
  ) {
    super(`message ${messageId} is not a valid audit event (${problem}); stored raw as s3 key ${key}`);
    this.name = 'InvalidEventError';
  }
}

const envelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  subject: z.string().min(1),
  time: z.iso.datetime({ offset: false }),
  datacontenttype: z.literal('application/json'),
  data: z.record(z.string(), z.unknown()),
});

/** Checks a message body: a CloudEvent of one of our types whose data fits its schema (CONTRACT 3). */
export function parseEvent(
  body: string,
): { ok: true; event: z.infer<typeof envelopeSchema>; raw: unknown } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success)
    return {
      ok: false,
      problem: formatIssues(envelope.error.issues, { root: '(event)' }),
    };
  const data = eventDataSchemas[envelope.data.type].safeParse(envelope.data.data);
  if (!data.success) return { ok: false, problem: formatIssues(data.error.issues, { prefix: ['data'] }) };
  return { ok: true, event: envelope.data, raw: value };
}

/**
 * Plans the archive writes of one batch and returns, per message, a function that makes sure the
 * message is stored (for @aws-lambda-powertools/batch's record handler). Valid events are
 * grouped by the day of their `time`; each group is one gzip JSON Lines object, written once
 * however many of its messages wait on it, and a message fails when its group's write fails.
 * A message that is not a valid event is stored raw under invalid/ and then fails anyway: it is
 * redelivered, reaches the dead-letter queue after its receives (the DLQ alarm fires), and its
 * raw copy outlives the DLQ's retention.
 */
export function planArchive(messages: readonly QueuedMessage[], deps: ArchiveDeps): Map<string, () => Promise<string>> {
  const groups = new Map<string, { ids: string[]; lines: string[] }>();
  const store = new Map<string, () => Promise<string>>();
  const writes = new Map<string, Promise<string>>();

  for (const message of messages) {
    const parsed = parseEvent(message.body);
    if (!parsed.ok) {
      const key = invalidObjectKey(isoDay(new Date(Number(message.attributes.SentTimestamp) || 0)), message.messageId);
      store.set(message.messageId, async () => {
        await deps.s3.send(
          new PutObjectCommand({
            Bucket: deps.bucket,
            Key: key,
            Body: message.body,
            ContentType: 'application/octet-stream',
          }),
        );
        deps.logger.warn('invalid audit message stored raw', {
          message_id: message.messageId,
          key,
          problem: parsed.problem,
        });
        throw new InvalidEventError(message.messageId, key, parsed.problem);
      });
      continue;
    }
    const day = partitionDay(parsed.event.time);
    const group = groups.get(day) ?? { ids: [], lines: [] };
    groups.set(day, group);
    group.ids.push(message.messageId);
    // The event as it was sent (every field), one per line: Athena's JSON SerDe reads one object per line.
    group.lines.push(JSON.stringify(parsed.raw));
    store.set(message.messageId, () => {
      let write = writes.get(day);
      if (!write) {
        const key = eventsObjectKey(day, group.ids);
        write = deps.s3
          .send(
            new PutObjectCommand({
              Bucket: deps.bucket,
              Key: key,
              Body: gzipSync(`${group.lines.join('\n')}\n`),
              ContentType: 'application/gzip',
            }),
          )
          .then(() => key);
        writes.set(day, write);
      }
      return write;
    });
  }
  return store;
}
