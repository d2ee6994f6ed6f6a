import { Writable } from 'node:stream';
import { AppError } from '../errors';
import { AuditEvent } from './event';
import { AuditDeliveryError, AuditSink } from './sink';

/** The audit trail failed for good: no further action may start, and the run fails. */
export class AuditFailedError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'AUDIT_FAILED', fault: 'internal', retryable: false, cause });
  }
}

export interface AuditorOptions {
  sink: AuditSink;
  /**
   * At most this many actions may be unaudited at any moment: started but not yet recorded,
   * or recorded but not yet delivered by the sink.
   */
  maxUnaudited?: number;
  /** Events are sent in batches of this size (10 = one SQS SendMessageBatch). */
  batchSize?: number;
  /** Where undeliverable events go, as JSON lines marked `"fallback": true` (stderr). */
  fallback: Writable;
}

/**
 * Enforces "no action without its record". The engine calls `reserve()` before it starts an
 * action (it waits while too many actions are unaudited, pushing events out meanwhile) and
 * `record(event)` when the action has an outcome. If the sink fails for good, every unsent
 * event is written to the fallback stream, `reserve()` and `record()` throw AuditFailedError
 * from then on, so no new action starts, and `close()` rejects so the run fails.
 */
export interface Auditor {
  /** Makes room for `count` actions about to start (a whitelist batch is one call for many records). */
  reserve(count?: number): Promise<void>;
  /** Records the outcome of a reserved action. */
  record(event: AuditEvent): Promise<void>;
  /** Records an event not tied to a reservation (run.completed, compliance.report). */
  emit(event: AuditEvent): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly failed: AuditFailedError | undefined;
  /** Events delivered so far. */
  readonly delivered: number;
}

export function createAuditor(options: AuditorOptions): Auditor {
  const { sink, fallback } = options;
  const batchSize = options.batchSize ?? 10;
  const maxUnaudited = Math.max(options.maxUnaudited ?? 20, batchSize);
  let reserved = 0;
  let buffer: AuditEvent[] = [];
  let sending = 0;
  let delivered = 0;
  let failed: AuditFailedError | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const waiters: (() => void)[] = [];

  const unaudited = () => reserved + buffer.length + sending;
  const wake = () => waiters.splice(0).forEach((w) => w());

  function fail(err: unknown, undelivered: readonly AuditEvent[]): void {
    const reason = err instanceof Error ? err.message : String(err);
    failed ??= new AuditFailedError(`audit sink ${sink.name} failed: ${reason}`, err);
    writeFallback([...undelivered, ...buffer], reason);
    buffer = [];
    wake();
  }

  function writeFallback(events: readonly AuditEvent[], reason: string): void {
    for (const event of events) fallback.write(`${JSON.stringify({ fallback: true, reason, event })}\n`);
  }

  /** Sends the buffer; sends are chained so events leave in the order they were recorded. */
  function push(): Promise<void> {
    if (failed || buffer.length === 0) return inFlight;
    const batch = buffer;
    buffer = [];
    sending += batch.length;
    inFlight = inFlight.then(async () => {
      if (failed) {
        writeFallback(batch, 'audit trail already failed');
        sending -= batch.length;
        return;
      }
      try {
        await sink.send(batch);
        delivered += batch.length;
      } catch (err) {
        fail(err, err instanceof AuditDeliveryError ? err.undelivered : batch);
      } finally {
        sending -= batch.length;
        wake();
      }
    });
    return inFlight;
  }

  function check(): void {
    if (failed) throw failed;
  }

  async function enqueue(event: AuditEvent): Promise<void> {
    if (failed) {
      writeFallback([event], 'audit trail already failed');
      throw failed;
    }
    buffer.push(event);
    // Send when a batch is full, or at once when an action is waiting for room.
    if (buffer.length >= batchSize || waiters.length > 0) await push();
    check();
  }

  return {
    async reserve(count = 1) {
      check();
      // A batch larger than the bound may start once nothing else is unaudited.
      while (unaudited() > 0 && unaudited() + count > maxUnaudited) {
        const woken = new Promise<void>((resolve) => waiters.push(resolve));
        void push();
        await woken;
        check();
      }
      reserved += count;
    },
    async record(event) {
      reserved = Math.max(0, reserved - 1);
      await enqueue(event);
    },
    emit: enqueue,
    async flush() {
      await push();
      check();
    },
    async close() {
      await push();
      await sink.close();
      check();
    },
    get failed() {
      return failed;
    },
    get delivered() {
      return delivered;
    },
  };
}
