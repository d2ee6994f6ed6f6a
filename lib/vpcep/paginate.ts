/**
 * Offset pagination over the VPCEP list operations (4.2.5, 4.2.6, 4.2.8, 4.2.10, 4.3.4): asks for
 * the largest page the API allows, stops at `total_count`, skips records already seen (offset
 * pages shift when records are added during a listing) and fails on a page that brings nothing
 * new, so an API that returns the same page forever cannot loop us. It is bounded too: a listing
 * fails past its record bound (one per listing kind, lib/vpcep/client.ts, and one for all the
 * listings of a client in progress at once, in records and in bytes of pages) or when `total_count` grows between pages by more
 * than a page, so an API whose pages never end cannot grow the process until it crashes.
 */
import { AppError } from '../errors';

export interface Page<T> {
  items: T[];
  /** `total_count` of the response, when sent. */
  total?: number;
  /** The size of the page's body in bytes, when known. */
  bytes?: number;
}

export interface PaginateOptions<T> {
  /** Page size to ask for: 1000, or 500 for whitelist records (4.2.8). */
  limit: number;
  /** Fetches the page at `offset`. */
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>;
  /** Identity of a record, to skip duplicates and spot a repeated page. */
  key: (item: T) => string;
  /** Names the listing in errors, e.g. "connections of service 4189...". */
  what: string;
  /** Most records the listing may hold; one more fails it. */
  maxRecords: number;
  /** Names the bound in errors, e.g. "listBounds.connections, connections of one service". */
  bound: string;
  /**
   * Shared by every listing of a client: the records all its listings in progress have received
   * together, and how many they may (so many endless listings at once cannot add up).
   */
  shared?: SharedBound;
}

/** The records and page bytes held by the listings in progress of one client, and their bounds. */
export interface SharedBound {
  held: number;
  readonly max: number;
  /** Names the bound in errors. */
  readonly bound: string;
  heldBytes: number;
  readonly maxBytes: number;
  /** Names the byte bound in errors. */
  readonly bytesBound: string;
}

/** Yields every record of a listing, one page request at a time. */
export async function* paginate<T>(options: PaginateOptions<T>): AsyncGenerator<T> {
  const { what, maxRecords, shared } = options;
  const seen = new Set<string>();
  let offset = 0;
  let lastTotal: { total: number; offset: number } | undefined;
  let bytes = 0;
  try {
    for (;;) {
      const page = await options.fetchPage(offset, options.limit);
      if (shared && page.bytes !== undefined) {
        if (shared.heldBytes + page.bytes > shared.maxBytes)
          throw boundError(
            `listing ${what}: the listings in progress would hold more than ${shared.maxBytes} bytes of pages together, the bound (${shared.bytesBound}); stopping at offset ${offset}`,
          );
        shared.heldBytes += page.bytes;
        bytes += page.bytes;
      }
      if (page.total !== undefined) {
        if (page.total > maxRecords)
          throw boundError(
            `listing ${what}: total_count ${page.total} is over the bound of ${maxRecords} records (${options.bound}); stopping before reading it`,
          );
        if (lastTotal !== undefined && page.total - lastTotal.total > options.limit)
          throw new AppError(
            `listing ${what}: total_count grew from ${lastTotal.total} (page at offset ${lastTotal.offset}) to ${page.total} (page at offset ${offset}), more than a page (${options.limit}) between two pages; the count cannot be trusted, stopping`,
            { code: 'VPCEP_TOTAL_COUNT_GREW', fault: 'api', retryable: false },
          );
        lastTotal = { total: page.total, offset };
      }
      if (page.items.length === 0) return;
      let fresh = 0;
      for (const item of page.items) {
        const key = options.key(item);
        if (seen.has(key)) continue;
        if (seen.size >= maxRecords)
          throw boundError(
            `listing ${what}: more than ${maxRecords} records, the bound (${options.bound}); stopping at offset ${offset}`,
          );
        if (shared && shared.held >= shared.max)
          throw boundError(
            `listing ${what}: the listings in progress hold more than ${shared.max} records together, the bound (${shared.bound}); stopping at offset ${offset}`,
          );
        seen.add(key);
        if (shared) shared.held++;
        fresh++;
        yield item;
      }
      if (fresh === 0) {
        throw new AppError(
          `listing ${what}: the page at offset ${offset} repeats records already received; stopping to avoid an endless loop`,
          { code: 'VPCEP_PAGE_REPEATED', fault: 'api', retryable: false },
        );
      }
      offset += page.items.length;
      if (page.total !== undefined) {
        if (offset >= page.total) return;
      } else if (page.items.length < options.limit) {
        return;
      }
    }
  } finally {
    // Done, failed or abandoned, this listing's records no longer count against the shared bound.
    if (shared) {
      shared.held -= seen.size;
      shared.heldBytes -= bytes;
    }
  }
}

function boundError(message: string): AppError {
  return new AppError(message, { code: 'VPCEP_LISTING_BOUND', fault: 'api', retryable: false });
}
