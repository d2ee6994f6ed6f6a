import { once } from 'node:events';
import { FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';

import { AuditEvent } from './event';
import { AuditDeliveryError, AuditSink } from './sink';

/**
 * JSON Lines audit file, appended (never truncated), one event per line. Each `send` is one
 * write of whole lines; `close` fsyncs so the trail survives a crash right after the run. When
 * the file does not end with a newline (an earlier run's last write was cut short, e.g. by a
 * full disk), the first write starts a new line, so no event is glued to the truncated one.
 */
export function createFileSink(path: string): AuditSink {
  let handle: Promise<FileHandle> | undefined;
  /** Written before the next events: a newline while the file ends mid-line. */
  let prefix = '';
  const file = () =>
    (handle ??= open(path, 'a').then(async (h) => {
      if (await endsMidLine(path, h)) prefix = '\n';
      return h;
    }));
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
        const h = await file();
        await h.appendFile(prefix + toLines(events));
        prefix = '';
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

/** True when `path` is a regular file, not empty, whose last byte is not a newline. */
async function endsMidLine(path: string, appending: FileHandle): Promise<boolean> {
  const stats = await appending.stat();
  const size = stats.size;
  if (size === 0 || !stats.isFile()) return false;
  // The append handle is write-only: read the last byte through a handle of its own. A file this
  // process may append to but not read is taken as it is.
  const reader = await open(path, 'r').catch(() => undefined);
  if (!reader) return false;
  try {
    const { buffer, bytesRead } = await reader.read(Buffer.alloc(1), 0, 1, size - 1);
    return bytesRead === 1 && buffer[0] !== 0x0a;
  } finally {
    await reader.close();
  }
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
