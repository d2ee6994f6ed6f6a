import { vpcepError } from './errors';

/** Parsed list parameters shared by every list API (4.2.5, 4.2.6, 4.2.8, 4.2.10, 4.3.4). */
export interface Paging {
  limit: number;
  offset: number;
  sortKey: 'created_at' | 'updated_at';
  sortDir: 'asc' | 'desc';
}

const DIGITS = /^\d+$/;

/**
 * Reads `limit` (0..maxLimit, default 10), `offset` (>= 0, default 0), `sort_key` and `sort_dir`
 * (default created_at desc). Bad values answer with the 7.2 code for that parameter:
 * EndPoint.0006 limit, EndPoint.0010 offset, EndPoint.0017 sort_key, EndPoint.0018 sort_dir.
 */
export function parsePaging(
  query: URLSearchParams,
  maxLimit: number,
  sortKeys: readonly ('created_at' | 'updated_at')[] = ['created_at', 'updated_at'],
): Paging {
  const rawLimit = query.get('limit');
  let limit = 10;
  if (rawLimit !== null) {
    if (!DIGITS.test(rawLimit) || Number(rawLimit) > maxLimit)
      throw vpcepError('EndPoint.0006', `limit=${rawLimit} (0-${maxLimit})`);
    limit = Number(rawLimit);
  }
  const rawOffset = query.get('offset');
  let offset = 0;
  if (rawOffset !== null) {
    if (!DIGITS.test(rawOffset)) throw vpcepError('EndPoint.0010', `offset=${rawOffset}`);
    offset = Number(rawOffset);
  }
  const rawKey = query.get('sort_key');
  const sortKey = rawKey ?? 'created_at';
  if (!(sortKeys as readonly string[]).includes(sortKey)) throw vpcepError('EndPoint.0017', `sort_key=${rawKey}`);
  const rawDir = query.get('sort_dir');
  const sortDir = rawDir === null ? 'desc' : rawDir.toLowerCase();
  if (sortDir !== 'asc' && sortDir !== 'desc') throw vpcepError('EndPoint.0018', `sort_dir=${rawDir}`);
  return { limit, offset, sortKey: sortKey as Paging['sortKey'], sortDir };
}

/**
 * One page of an ascending list, read in the requested direction. Costs O(limit), whatever the
 * list's length. An offset at or past the end gives an empty page, and limit=0 an empty page,
 * with the caller still reporting the full `total_count`.
 */
export function pageOf<T>(ascending: readonly T[], paging: Paging): T[] {
  const n = ascending.length;
  const { limit, offset } = paging;
  if (limit === 0 || offset >= n) return [];
  if (paging.sortDir === 'asc') return ascending.slice(offset, offset + limit);
  const out: T[] = [];
  for (let i = n - 1 - offset; i >= 0 && out.length < limit; i--) out.push(ascending[i]!);
  return out;
}

/** Case-insensitive substring match: the "fuzzy match" of 4.2.5, 4.2.8 and 4.3.4. */
export function fuzzy(value: string | undefined, needle: string): boolean {
  return value !== undefined && value.toLowerCase().includes(needle.toLowerCase());
}

/** The value of enumerated parameter `name`, or EndPoint.0019 when it is none of `values`. */
export function checkEnum(query: URLSearchParams, name: string, values: readonly string[]): string | undefined {
  const v = query.get(name);
  if (v !== null && !values.includes(v)) throw vpcepError('EndPoint.0019', `${name}=${v}`);
  return v ?? undefined;
}
