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
   * At most this many API calls (and the events of calls already made) may be unaudited at any
   * moment: started but not yet recorded, or recorded but not yet delivered by the sink. A
   * whitelist batch is one call for many records.
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
  /** Makes room for one API call about to start (one action, or a whitelist batch of several). */
  reserve(): Promise<void>;
  /** Records the outcome of a reserved call: one event per action it carried out. */
  record(events: AuditEvent | readonly AuditEvent[]): Promise<void>;
  /** Records events not tied to a reservation (run.completed, compliance.report, held revocations). */
  emit(events: AuditEvent | readonly AuditEvent[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * Gives up at once (a second interrupt): writes every event not yet delivered, buffered or
   * being sent, to the fallback stream, and returns how many. Nothing may be recorded after it.
   */
  abandon(reason: string): number;
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
  /** Batches handed to the sink and not yet settled (what abandon() must still write out). */
  const inTransit = new Set<readonly AuditEvent[]>();
  let delivered = 0;
  let failed: AuditFailedError | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  /** Calls waiting for room, first come first served; each is reserved on admission. */
  const waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  const unaudited = () => reserved + buffer.length + sending;

  /** Lets waiting actions start while there is room (one wake-up per admitted action). */
  function admit(): void {
    while (waiters.length > 0 && (failed || unaudited() < maxUnaudited)) {
      const w = waiters.shift()!;
      if (failed) w.reject(failed);
      else {
        reserved++;
        w.resolve();
      }
    }
  }

  function fail(err: unknown, undelivered: readonly AuditEvent[]): void {
    const reason = err instanceof Error ? err.message : String(err);
    failed ??= new AuditFailedError(`audit sink ${sink.name} failed: ${reason}`, err);
    writeFallback([...undelivered, ...buffer], reason);
    buffer = [];
    admit();
  }

  function writeFallback(events: readonly AuditEvent[], reason: string): void {
    for (const event of events) fallback.write(`${JSON.stringify({ fallback: true, reason, event })}\n`);
  }

  /**
   * Sends the buffer; sends are chained so events leave in the order they were recorded. While
   * one send is in flight, new events gather into the next batch.
   */
  function push(): Promise<void> {
    if (failed || buffer.length === 0) return inFlight;
    const batch = buffer;
    buffer = [];
    sending += batch.length;
    inTransit.add(batch);
    inFlight = inFlight.then(async () => {
      if (failed) {
        // (An abandoned batch was written out by abandon() already.)
        if (inTransit.delete(batch)) writeFallback(batch, 'audit trail already failed');
        sending -= batch.length;
        return;
      }
      try {
        await sink.send(batch);
        delivered += batch.length;
      } catch (err) {
        fail(err, err instanceof AuditDeliveryError ? err.undelivered : batch);
      } finally {
        inTransit.delete(batch);
        sending -= batch.length;
        // Actions are waiting for room: send what gathered meanwhile rather than wait for a full batch.
        if (waiters.length > 0 && sending === 0) void push();
        admit();
      }
    });
    return inFlight;
  }

  function check(): void {
    if (failed) throw failed;
  }

  async function enqueue(events: readonly AuditEvent[]): Promise<void> {
    if (failed) {
      writeFallback(events, 'audit trail already failed');
      throw failed;
    }
    // One at a time: a spread of a very large list would overflow the call stack.
    for (const event of events) buffer.push(event);
    // Send when a batch is full, or when calls wait for room and nothing is being sent.
    if (buffer.length >= batchSize || (waiters.length > 0 && sending === 0)) await push();
    check();
  }

  return {
    async reserve() {
      check();
      // Room is counted per call: a whitelist batch (one call, many records) holds one place
      // while it runs, so it never waits for the whole pipeline to drain. Its records count
      // once recorded; so at most maxUnaudited - 1 calls plus their records are unaudited.
      if (waiters.length === 0 && unaudited() < maxUnaudited) {
        reserved++;
        return;
      }
      const admitted = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      if (sending === 0) void push();
      await admitted;
    },
    async record(events) {
      reserved = Math.max(0, reserved - 1);
      await enqueue(Array.isArray(events) ? events : [events as AuditEvent]);
    },
    emit: (events) => enqueue(Array.isArray(events) ? events : [events as AuditEvent]),
    async flush() {
      await push();
      check();
    },
    async close() {
      await push();
      await sink.close();
      check();
    },
    abandon(reason) {
      const unsent = [...[...inTransit].flat(), ...buffer];
      writeFallback(unsent, reason);
      buffer = [];
      inTransit.clear();
      failed ??= new AuditFailedError(`audit trail abandoned: ${reason}`);
      admit();
      return unsent.length;
    },
    get failed() {
      return failed;
    },
    get delivered() {
      return delivered;
    },
  };
}
