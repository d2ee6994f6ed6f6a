import { ServerResponse } from 'node:http';

import { noSuchApiError } from './errors';

/** What the admin endpoints show: the same views `Simulator` gives in-process. */
export interface AdminViews {
  log(): unknown;
  stats(): unknown;
  state(): unknown;
}

/**
 * The simulator's own endpoints, outside the VPCEP API, for a simulator run as a separate process:
 * `GET /__admin/log`, `/__admin/stats` and `/__admin/state`. They need no authentication, are
 * never faulted and are not logged; any other `/__admin/` request gets the gateway's 404.
 */
export function serveAdmin(method: string, path: string, res: ServerResponse, views: AdminViews): void {
  const routes: Record<string, () => unknown> = {
    '/__admin/log': () => views.log(),
    '/__admin/stats': () => views.stats(),
    '/__admin/state': () => views.state(),
  };
  const produce = method === 'GET' ? routes[path] : undefined;
  const missing = noSuchApiError();
  const [status, body] = produce ? [200, produce()] : [missing.status, missing.body];
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
