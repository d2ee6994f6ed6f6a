import { ConfigError } from '../errors';

/**
 * Checks the endpoint URL: `https://`, or `http://` for a loopback host only (127.0.0.0/8, ::1,
 * localhost), so credentials and signatures never cross a network in clear text. Returns the
 * parsed URL; throws ConfigError naming the value otherwise.
 */
export function checkEndpoint(endpoint: string, source = 'endpoint'): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(
      `${source} "${shownEndpoint(endpoint)}" is not a URL (expected e.g. https://vpcep.tr-west-1.myhuaweicloud.com)`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would be sent as Basic auth and printed wherever the URL is; never echo them.
    throw new ConfigError(
      `${source} must not carry a user name or password (${shownEndpoint(endpoint)}); authentication uses AK/SK or a token`,
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return url;
    throw new ConfigError(
      `${source} "${shownEndpoint(endpoint)}" uses http:// with a host that is not loopback; use https:// (http:// is allowed only for 127.0.0.0/8, ::1 and localhost)`,
    );
  }
  throw new ConfigError(`${source} "${shownEndpoint(endpoint)}" must use https:// (got ${url.protocol})`);
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Longest endpoint text a message repeats. */
const SHOWN_MAX = 80;

/**
 * An endpoint as messages may show it: only its origin (no user, password, path or query, which
 * may carry tokens), shortened; a value that is not a URL is cut short with any `user:pass@` masked.
 */
export function shownEndpoint(endpoint: string): string {
  let text: string;
  try {
    text = new URL(endpoint).origin;
    if (text === 'null') text = `${new URL(endpoint).protocol}…`;
  } catch {
    text = endpoint.replace(/\/\/[^/]*@/, '//***@');
  }
  return text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX - 1)}…` : text;
}
