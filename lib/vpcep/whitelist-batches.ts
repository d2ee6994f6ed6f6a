/**
 * 4.2.9's batches as the API takes them: one call for a whole list of whitelist records, split
 * when the API refuses it, so that what it will take is carried out and what it refuses fails
 * alone. The API's quirks stay here; the engine asks the client for the records and gets back
 * the error of each one not carried out.
 */
import type { ActionError } from '../model';
import { toActionError, VpcepApiError } from './errors';

/**
 * One call for the whole list, split in halves (each half its own call) when the API refuses
 * it: for either direction when it refuses the batch's size (7.2 EndPoint.0016, or a 413), and
 * for a removal when it refuses the request itself (a 400), so that a record it will not remove
 * fails alone and the others are removed. No new call starts once `signal` is aborted. Returns
 * the error of each permission that was not carried out (none: all were).
 *
 * @param update one 4.2.9 call for the permissions given (the client's updateWhitelist)
 */
export async function updateWhitelistInHalves(
  update: (permissions: string[]) => Promise<unknown>,
  direction: 'add' | 'remove',
  permissions: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, ActionError>> {
  try {
    await update([...permissions]);
    return new Map();
  } catch (err) {
    const split = isBatchTooLarge(err) || (direction === 'remove' && isRefused(err));
    if (permissions.length < 2 || !split || signal?.aborted) {
      const error = toActionError(err);
      return new Map(permissions.map((p) => [p, error]));
    }
    const half = Math.ceil(permissions.length / 2);
    const first = await updateWhitelistInHalves(update, direction, permissions.slice(0, half), signal);
    const second = await updateWhitelistInHalves(update, direction, permissions.slice(half), signal);
    return new Map([...first, ...second]);
  }
}

/** 7.2: EndPoint.0016, "the number of batch operated resources exceeded the limit" (or the HTTP 413 a gateway may answer). */
function isBatchTooLarge(err: unknown): boolean {
  return err instanceof VpcepApiError && (err.errorCode === 'EndPoint.0016' || err.status === 413);
}

/**
 * A request the API refused as such (400), not for the moment: throttling (7.2 EndPoint.0022,
 * also a 400) is no reason to split a batch.
 */
function isRefused(err: unknown): boolean {
  return err instanceof VpcepApiError && err.status === 400 && err.errorCode !== 'EndPoint.0022';
}
