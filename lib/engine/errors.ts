import { ActionError } from '../model';

/** What an error says, as an action's error: the API's code, message and HTTP status when it has them. */
export function toActionError(err: unknown): ActionError {
  const e = err as { errorCode?: string; code?: string; status?: number; errorMsg?: string; message?: string };
  return {
    code: e.errorCode ?? e.code ?? 'ERROR',
    message: e.errorMsg ?? e.message ?? String(err),
    ...(typeof e.status === 'number' && { status: e.status }),
  };
}
