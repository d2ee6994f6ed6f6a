import { AppError } from '../errors';
import type { ActionError } from '../model';

/** What went wrong with one VPCEP call, as data (the retry classifier works on this). */
export interface VpcepFailure {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** `error_code` of the body (7.2), e.g. `EndPoint.0022`, or a network code such as `ECONNRESET` or `TIMEOUT`. */
  errorCode?: string;
  /** `error_msg` of the body. */
  errorMsg?: string;
  /** True when no response arrived (connection refused/reset, DNS, timeout). */
  network?: boolean;
}

/**
 * A VPCEP API call that failed: carries the HTTP status, the API's `error_code` / `error_msg`
 * (reference 7.2), the request id, whether a retry could help and the operation. Its message
 * never contains the Authorization header, a token, an AK or an SK.
 */
export class VpcepApiError extends AppError {
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  /**
   * The API's `error_msg`; when the call ended without a retry it could have had (retry quota
   * exhausted, the deadline, an interruption), followed by that reason in parentheses, so that
   * whoever reports only this field (an action's error in an audit event) says why too.
   */
  readonly errorMsg: string | undefined;
  /** Why the call was not retried (further), e.g. "not retried: retry quota exhausted". */
  readonly retryNote: string | undefined;
  readonly requestId: string | undefined;
  readonly operation: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;

  constructor(
    message: string,
    details: VpcepFailure & {
      operation: string;
      requestId?: string;
      retryable: boolean;
      attempts?: number;
      cause?: unknown;
      code?: string;
      retryNote?: string;
    },
  ) {
    super(message, {
      code:
        details.code ?? details.errorCode ?? (details.status !== undefined ? `HTTP_${details.status}` : 'VPCEP_ERROR'),
      fault: 'api',
      retryable: details.retryable,
      cause: details.cause,
    });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMsg =
      details.errorMsg !== undefined && details.retryNote
        ? `${details.errorMsg} (${details.retryNote})`
        : details.errorMsg;
    this.retryNote = details.retryNote;
    this.requestId = details.requestId;
    this.operation = details.operation;
    this.attempts = details.attempts ?? 1;
  }
}

/**
 * What an error says, as an action's error (CONTRACT section 3, `data.error`): of a call of this
 * client, the API's `error_code` (else the client's own code, e.g. INTERRUPTED), its
 * `error_msg` (else the whole message) and the HTTP status; of any other error, its code when it
 * is the program's own (AppError), and its message.
 */
export function toActionError(err: unknown): ActionError {
  if (err instanceof VpcepApiError)
    return {
      code: err.errorCode ?? err.code,
      message: err.errorMsg ?? err.message,
      ...(err.status !== undefined && { status: err.status }),
    };
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'ERROR', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Replaces every occurrence of each secret in server-provided text with `[redacted]`: a server
 * (or a proxy) may echo the request's Authorization header, token or AK in its error body, and
 * that text ends up in error messages and logs. Empty secrets are ignored; longer ones are
 * replaced first, so a secret that contains another (the Authorization value contains the AK and
 * the signature) goes as a whole. With `ignoreCase`, any case of a secret goes too (for text the
 * server chose, such as a host name, that parsing may have lowercased).
 */
export function scrubSecrets(
  text: string,
  secrets: readonly (string | undefined)[],
  options: { ignoreCase?: boolean } = {},
): string {
  const given = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  // Also as they appear inside JSON text (a schema error quotes the values it found).
  const list = [...new Set([...given, ...given.map((s) => JSON.stringify(s).slice(1, -1))])].sort(
    (a, b) => b.length - a.length,
  );
  let out = text;
  for (const secret of list)
    out = options.ignoreCase ? replaceIgnoringCase(out, secret) : out.split(secret).join('[redacted]');
  return out;
}

/** `text` with every occurrence of `secret`, in any case, replaced by `[redacted]`. */
function replaceIgnoringCase(text: string, secret: string): string {
  const lower = secret.toLowerCase();
  let out = '';
  let from = 0;
  for (let at = text.toLowerCase().indexOf(lower); at !== -1; at = text.toLowerCase().indexOf(lower, from)) {
    out += `${text.slice(from, at)}[redacted]`;
    from = at + secret.length;
  }
  return out + text.slice(from);
}

/**
 * The secret strings of one authenticated request: AK, SK, security token or auth token, the
 * whole Authorization header value and the signature it carries.
 */
export function requestSecrets(
  headers: Record<string, string>,
  credentials: { ak?: string; sk?: string; securityToken?: string; token?: string },
): string[] {
  const out = [credentials.ak, credentials.sk, credentials.securityToken, credentials.token].filter(
    (s): s is string => !!s,
  );
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      out.push(value);
      const sig = /Signature=([0-9A-Za-z+/=_-]+)/.exec(value)?.[1];
      if (sig) out.push(sig);
    }
    if (lower === 'x-auth-token' || lower === 'x-security-token') out.push(value);
  }
  return out;
}
