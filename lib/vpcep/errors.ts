import { AppError } from '../errors';

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
  readonly errorMsg: string | undefined;
  readonly requestId: string | undefined;
  readonly operation: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;

  constructor(
    message: string,
    details: VpcepFailure & { operation: string; requestId?: string; retryable: boolean; attempts?: number; cause?: unknown; code?: string },
  ) {
    super(message, {
      code: details.code ?? details.errorCode ?? (details.status !== undefined ? `HTTP_${details.status}` : 'VPCEP_ERROR'),
      fault: 'api',
      retryable: details.retryable,
      cause: details.cause,
    });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMsg = details.errorMsg;
    this.requestId = details.requestId;
    this.operation = details.operation;
    this.attempts = details.attempts ?? 1;
  }
}
