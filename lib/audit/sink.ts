import { AuditEvent } from './event';

/**
 * Where audit events go. `send` resolves once every event is durably handed over (or rejects
 * when, after the sink's own retries, some could not be: the error names how many). `close`
 * flushes and releases resources.
 */
export interface AuditSink {
  readonly name: string;
  /**
   * Proves the destination can take events, before the run's first action (CONTRACT: no action
   * without its record): opens (creates) the file, asks SQS about the queue. Rejects with a
   * message naming the destination and why.
   */
  probe?(): Promise<void>;
  send(events: readonly AuditEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a sink that gave up: carries the events that were not delivered. */
export class AuditDeliveryError extends Error {
  constructor(
    message: string,
    readonly undelivered: readonly AuditEvent[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditDeliveryError';
  }
}

/** Sends every event to each of several sinks (e.g. SQS and a local file). */
export function createFanoutSink(sinks: readonly AuditSink[]): AuditSink {
  return {
    name: sinks.map((s) => s.name).join('+'),
    async probe() {
      for (const s of sinks) await s.probe?.();
    },
    async send(events) {
      const results = await Promise.allSettled(sinks.map((s) => s.send(events)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        throw failed.reason instanceof AuditDeliveryError
          ? failed.reason
          : new AuditDeliveryError(`audit sink failed: ${String(failed.reason)}`, events, { cause: failed.reason });
      }
    },
    async close() {
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}
