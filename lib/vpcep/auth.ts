/**
 * Request authentication (reference 3.2): AK/SK signing (preferred) or a token in X-Auth-Token.
 */
import type { HuaweiCredentials, TokenCredentials } from '../model';
import { signRequest } from './sign';

/** True for token authentication. */
export function isTokenAuth(auth: HuaweiCredentials): auth is TokenCredentials {
  return 'token' in auth;
}

/**
 * Returns the headers to send: the request's headers plus the authentication headers
 * (X-Sdk-Date/Authorization/X-Security-Token for AK/SK, X-Auth-Token for a token) and
 * X-Project-Id.
 */
export function authenticate(
  req: { method: string; url: URL; headers: Record<string, string>; body?: string },
  auth: HuaweiCredentials,
  options: { date: Date; projectId: string },
): Record<string, string> {
  if (isTokenAuth(auth)) {
    return { ...req.headers, 'X-Project-Id': options.projectId, 'X-Auth-Token': auth.token };
  }
  return signRequest(req, auth, { date: options.date, projectId: options.projectId });
}
