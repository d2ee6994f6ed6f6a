/**
 * Offset pagination over the VPCEP list operations (4.2.5, 4.2.6, 4.2.8, 4.2.10, 4.3.4): asks for
 * the largest page the API allows, stops at `total_count`, skips records already seen (offset
 * pages shift when records are added during a listing) and fails on a page that brings nothing
 * new, so an API that returns the same page forever cannot loop us.
 */
import { AppError } from '../errors';

export interface Page<T> {
  items: T[];
  /** `total_count` of the response, when sent. */
  total?: number;
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
}

/** Yields every record of a listing, one page request at a time. */
export async function* paginate<T>(options: PaginateOptions<T>): AsyncGenerator<T> {
  const seen = new Set<string>();
  let offset = 0;
  for (;;) {
    const page = await options.fetchPage(offset, options.limit);
    if (page.items.length === 0) return;
    let fresh = 0;
    for (const item of page.items) {
      const key = options.key(item);
      if (seen.has(key)) continue;
      seen.add(key);
      fresh++;
      yield item;
    }
    if (fresh === 0) {
      throw new AppError(
        `listing ${options.what}: the page at offset ${offset} repeats records already received; stopping to avoid an endless loop`,
        {
          code: 'VPCEP_PAGE_REPEATED',
          fault: 'api',
          retryable: false,
        },
      );
    }
    offset += page.items.length;
    if (page.total !== undefined) {
      if (offset >= page.total) return;
    } else if (page.items.length < options.limit) {
      return;
    }
  }
}
