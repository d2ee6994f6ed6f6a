/**
 * Request authentication (reference 3.2): AK/SK signing (preferred) or a token in X-Auth-Token.
 */
import type { HuaweiCredentials, TokenCredentials } from '../model';
import { signRequest } from './sign';

/** True for token authentication. */
export function isTokenCredentials(credentials: HuaweiCredentials): credentials is TokenCredentials {
  return 'token' in credentials;
}

/**
 * Returns the headers to send: the request's headers plus the authentication headers
 * (X-Sdk-Date/Authorization/X-Security-Token for AK/SK, X-Auth-Token for a token) and
 * X-Project-Id.
 */
export function authenticate(
  req: { method: string; url: URL; headers: Record<string, string>; body?: string },
  credentials: HuaweiCredentials,
  options: { date: Date; projectId: string },
): Record<string, string> {
  if (isTokenCredentials(credentials)) {
    return { ...req.headers, 'X-Project-Id': options.projectId, 'X-Auth-Token': credentials.token };
  }
  return signRequest(req, credentials, { date: options.date, projectId: options.projectId });
}
