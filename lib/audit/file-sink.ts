import { once } from 'node:events';
import { FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';

import { AuditEvent } from './event';
import { AuditDeliveryError, AuditSink } from './sink';

/**
 * JSON Lines audit file, appended (never truncated), one event per line. Each `send` is one
 * write of whole lines; `close` fsyncs so the trail survives a crash right after the run.
 */
export function createFileSink(path: string): AuditSink {
  let handle: Promise<FileHandle> | undefined;
  const file = () => (handle ??= open(path, 'a'));
  return {
    name: `file:${path}`,
    async probe() {
      try {
        await file();
      } catch (err) {
        handle = undefined;
        throw new AuditDeliveryError(`cannot open the audit file ${path}: ${(err as Error).message}`, [], {
          cause: err,
        });
      }
    },
    async send(events) {
      if (events.length === 0) return;
      try {
        await (await file()).appendFile(toLines(events));
      } catch (err) {
        throw new AuditDeliveryError(
          `cannot append ${events.length} audit event(s) to ${path}: ${(err as Error).message}`,
          events,
          { cause: err },
        );
      }
    },
    async close() {
      if (!handle) return;
      const h = await handle;
      handle = undefined;
      try {
        await h.sync();
      } catch (err) {
        // fsync is refused (EINVAL) on pipes and devices such as /dev/null: nothing to flush there.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL')
          throw new AuditDeliveryError(`cannot flush audit file ${path} to disk: ${(err as Error).message}`, [], {
            cause: err,
          });
      } finally {
        await h.close();
      }
    },
  };
}

/** JSON Lines on a stream (stdout for local runs and the demo). */
export function createStreamSink(stream: Writable, name = 'stdout'): AuditSink {
  return {
    name,
    async send(events) {
      if (events.length === 0) return;
      // Backpressure through 'drain' rather than the write callback, which some wrapped streams
      // (test runners, process.stderr on some platforms) never call.
      if (!stream.write(toLines(events))) await once(stream, 'drain');
    },
    async close() {},
  };
}

export function toLines(events: readonly AuditEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}
