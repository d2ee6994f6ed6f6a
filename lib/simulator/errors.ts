/**
 * Errors exactly as the VPCEP service sends them: an HTTP status and a body
 * `{"error_code": "EndPoint.xxxx", "error_msg": "..."}` (7.2, Table 7-3). Only the codes the
 * simulator can produce are listed; status codes and messages are copied from the table,
 * including its quirks (EndPoint.0011 is a 504, `Endpoint.1018` is spelled with a lower-case p).
 */
export const ERROR_TABLE = {
  'EndPoint.0001': [500, 'System error. Please retry.'],
  'EndPoint.0002': [400, 'Parameter error.'],
  'EndPoint.0003': [401, 'Authentication failed or authentication information is invalid.'],
  'EndPoint.0004': [403, 'Authentication information is incorrect or you have no permissions.'],
  'EndPoint.0005': [404, 'The requested resource is unavailable.'],
  'EndPoint.0006': [400, 'Invalid limit.'],
  'EndPoint.0007': [400, 'Invalid action.'],
  'EndPoint.0010': [400, 'Invalid offset.'],
  'EndPoint.0011': [504, 'The request body is null.'],
  'EndPoint.0014': [400, 'Invalid project ID.'],
  'EndPoint.0016': [400, 'The number of batch operated resources exceeded the limit.'],
  'EndPoint.0017': [400, 'Invalid sort_key.'],
  'EndPoint.0018': [400, 'Invalid sort_dir.'],
  'EndPoint.0019': [400, 'Invalid status.'],
  'EndPoint.0020': [400, 'Invalid VPC ID.'],
  'EndPoint.0021': [400, 'Invalid marker_id.'],
  'EndPoint.0022': [400, 'The number of requests exceeded the limit. Please try later.'],
  'EndPoint.0023': [400, 'Invalid subnet_id.'],
  'EndPoint.1003': [400, 'Invalid service name.'],
  'EndPoint.1004': [400, 'Invalid request.'],
  'Endpoint.1018': [400, 'Quota exceeded.'],
  'EndPoint.2002': [400, 'The request input parameter is empty.'],
  'EndPoint.2003': [400, 'The endpoint service does not exist.'],
  'EndPoint.2004': [400, 'The endpoint service is unavailable.'],
  'EndPoint.2006': [404, 'The requested endpoint does not exist.'],
  'EndPoint.2010': [400, 'The input parameter subnet ID is empty.'],
  'EndPoint.2011': [400, 'The input parameter VPC ID is empty.'],
  'EndPoint.2012': [400, 'You have no permission to connect to the VPC endpoint service.'],
  'EndPoint.2013': [400, 'The endpoint does not belong to the endpoint service.'],
  'EndPoint.2017': [400, 'Invalid endpoint ID.'],
  'EndPoint.2018': [400, 'The endpoint is being deleted.'],
  'EndPoint.2019': [400, 'The endpoint is being created.'],
  'EndPoint.2027': [400, 'Invalid action.'],
  'EndPoint.2028': [400, 'The endpoint service port or protocol is empty.'],
  'EndPoint.2029': [400, 'The requested endpoint service ID is empty.'],
  'EndPoint.2031': [400, 'Only one endpoint is allowed.'],
  'EndPoint.2033': [400, 'The entered parameter enable_dns is invalid.'],
  'EndPoint.3002': [400, 'Invalid permission.'],
  'EndPoint.3003': [400, 'Invalid port ID.'],
  'EndPoint.3006': [400, 'The endpoint service is being used.'],
  'EndPoint.3021': [400, 'Invalid serverType.'],
  'EndPoint.3035': [400, 'Invalid action.'],
  'EndPoint.3036': [400, 'Invalid permissions.'],
  'EndPoint.3043': [400, 'The service port is invalid.'],
  'EndPoint.3044': [400, 'The parameter ports conflicted with ports in an existing endpoint service.'],
  'EndPoint.3045': [400, 'Other properties cannot be modified in the current endpoint service state.'],
  'EndPoint.3049': [400, 'The maximum number of whitelist records has been reached.'],
  'EndPoint.3062': [400, 'Invalid endpoint service ID.'],
  'EndPoint.3074': [400, 'The maximum of ports has been reached.'],
  'EndPoint.3075': [400, 'The protocol is invalid.'],
} as const satisfies Record<string, readonly [number, string]>;

export type SimErrorCode = keyof typeof ERROR_TABLE;

/** The JSON body of every error the service answers (3.3, 7.2). */
export interface ErrorBody {
  error_code: string;
  error_msg: string;
  request_id?: string;
}

/**
 * An error a route handler throws to answer with a 7.2 status and body. `detail` is for the
 * request log only; the response carries the table's message verbatim, as the service does.
 */
export class SimulatorHttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, body: ErrorBody, detail?: string, headers: Record<string, string> = {}) {
    super(detail ? `${body.error_code}: ${detail}` : `${body.error_code}: ${body.error_msg}`);
    this.name = 'SimulatorHttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** The 7.2 error for `code`, e.g. `vpcepError('EndPoint.0006', 'limit=1001')`. */
export function vpcepError(code: SimErrorCode, detail?: string): SimulatorHttpError {
  const [status, message] = ERROR_TABLE[code];
  return new SimulatorHttpError(status, { error_code: code, error_msg: message }, detail);
}

/**
 * API-gateway errors (authentication, throttling) come from the gateway in front of VPCEP, so
 * they use the gateway's `APIGW.xxxx` codes rather than `EndPoint.xxxx`.
 */
export function gatewayError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SimulatorHttpError {
  return new SimulatorHttpError(status, { error_code: code, error_msg: message }, undefined, headers);
}

/** The gateway's answer for a path or method no API has (404 APIGW.0101). */
export function noSuchApiError(): SimulatorHttpError {
  return gatewayError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
}
