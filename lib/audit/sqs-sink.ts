import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageBatchCommandOutput,
  SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';

import { backoffDelay } from '../backoff';
import { AuditEvent, eventBytes } from './event';
import { AuditDeliveryError, AuditSink } from './sink';

/** SQS limits: 10 entries per SendMessageBatch, 256 KiB per message and per whole batch. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_BATCH_BYTES = 256 * 1024;

/** The part of SQSClient the sink uses (a real SQSClient fits; tests pass a fake). */
export interface SqsSendClient {
  send(
    command: SendMessageBatchCommand | GetQueueAttributesCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
}

/** How long the probe waits for SQS before it calls the queue unreachable. */
const PROBE_TIMEOUT_MS = 10_000;

export interface SqsSinkOptions {
  client: SqsSendClient;
  queueUrl: string;
  /** Attempts per entry for entries SQS reports as failed (the SDK retries whole calls itself). */
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Largest wait between attempts (default 20 s). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Sends events with SendMessageBatch: batches of up to 10 that stay under 256 KiB, message
 * attributes `type` and `subject` for filtering, and on a FIFO queue (`.fifo` URL)
 * MessageGroupId = the service id (order kept per service) and MessageDeduplicationId = the
 * event id (SQS drops a resent duplicate). Entries the batch reports as failed are retried with
 * exponential backoff and full jitter, unless SQS says the sender is at fault (the same
 * request would fail again); what is still undelivered is thrown as AuditDeliveryError.
 */
export function createSqsSink(options: SqsSinkOptions): AuditSink {
  const { client, queueUrl } = options;
  const fifo = queueUrl.endsWith('.fifo');
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = { baseDelayMs: options.baseDelayMs ?? 100, maxDelayMs: options.maxDelayMs ?? 20_000 };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;

  const toEntry = (event: AuditEvent, index: number): SendMessageBatchRequestEntry => ({
    Id: String(index),
    MessageBody: JSON.stringify(event),
    MessageAttributes: {
      type: { DataType: 'String', StringValue: event.type },
      subject: { DataType: 'String', StringValue: event.subject },
    },
    ...(fifo && {
      MessageGroupId: groupId(event),
      MessageDeduplicationId: event.id,
    }),
  });

  async function sendBatch(batch: readonly AuditEvent[]): Promise<void> {
    let pending = [...batch];
    let lastReason = '';
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedIds: { id: string; senderFault: boolean; reason: string }[];
      try {
        const out = (await client.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map(toEntry) }),
        )) as SendMessageBatchCommandOutput;
        failedIds = (out.Failed ?? []).map((f) => ({
          id: f.Id ?? '',
          senderFault: f.SenderFault === true,
          reason: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`,
        }));
      } catch (err) {
        // The SDK has already retried throttling and network errors; the whole batch failed.
        failedIds = pending.map((_, i) => ({ id: String(i), senderFault: false, reason: errorText(err) }));
      }
      const failed = failedIds
        .map((f) => ({ ...f, event: pending[Number(f.id)] }))
        .filter((f) => f.event !== undefined);
      lastReason = failed[0]?.reason ?? lastReason;
      const senderFault = failed.filter((f) => f.senderFault);
      if (senderFault.length > 0 || (failed.length > 0 && attempt >= maxAttempts)) {
        throw new AuditDeliveryError(
          `SQS refused ${failed.length} of ${pending.length} audit event(s) after ${attempt} attempt(s): ${lastReason}`,
          failed.map((f) => f.event!),
        );
      }
      pending = failed.map((f) => f.event!);
      // The program's one backoff (lib/backoff.ts), as the VPCEP client waits.
      if (pending.length > 0) await sleep(backoffDelay(attempt - 1, backoff, random));
    }
  }

  return {
    name: `sqs:${queueUrl}`,
    async probe() {
      // GetQueueAttributes (its own IAM grant) proves the queue exists and answers, without sending anything.
      try {
        await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }), {
          abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
      } catch (err) {
        const e = err as Error;
        const why =
          e.name === 'AbortError' || e.name === 'TimeoutError'
            ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
            : `${e.name}: ${e.message}`;
        throw new AuditDeliveryError(`cannot reach the audit queue ${queueUrl}: ${why}`, [], { cause: err });
      }
    },
    async send(events) {
      const batches = splitBatches(events);
      for (let i = 0; i < batches.length; i++) {
        try {
          await sendBatch(batches[i]!);
        } catch (err) {
          const later = batches.slice(i + 1).flat();
          if (err instanceof AuditDeliveryError)
            throw new AuditDeliveryError(err.message, [...err.undelivered, ...later], { cause: err });
          throw err;
        }
      }
    },
    async close() {},
  };
}

/** Splits events into SendMessageBatch calls of at most 10 entries and 256 KiB. */
export function splitBatches(events: readonly AuditEvent[]): AuditEvent[][] {
  const batches: AuditEvent[][] = [];
  let current: AuditEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    // Body plus the two attributes (names, types and values) count toward the limit.
    const size = eventBytes(event) + event.type.length + event.subject.length + 64;
    if (size > SQS_MAX_BATCH_BYTES) {
      throw new AuditDeliveryError(
        `audit event ${event.id} is ${size} bytes, over the SQS limit of ${SQS_MAX_BATCH_BYTES}`,
        [event],
      );
    }
    if (current.length === SQS_MAX_BATCH_ENTRIES || bytes + size > SQS_MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function groupId(event: AuditEvent): string {
  const serviceId = (event.data as { service_id?: unknown }).service_id;
  return typeof serviceId === 'string' && serviceId !== '' ? serviceId : 'run';
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
