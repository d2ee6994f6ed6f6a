import { acceptOrReject, listConnections } from './handlers/connections';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints } from './handlers/endpoints';
import { Handler } from './handlers/handler';
import { getQuotas } from './handlers/quotas';
import {
  createService,
  deleteService,
  describeService,
  getService,
  listPublicServices,
  listServices,
  updateService,
} from './handlers/services';
import { listWhitelist, updateWhitelist } from './handlers/whitelist';

/**
 * Every route under /v1/{project_id}/ the simulator serves: method, path (`:name` captures one
 * segment), handler, and the section of the API reference it follows. The first route that fits
 * wins, so static segments come before captures: `GET .../public` is 4.2.10, not a service called
 * "public". The version documents (4.1) are served by the server itself.
 */
const ROUTE_TABLE = [
  ['GET', 'vpc-endpoint-services', listServices, '4.2.5'],
  ['POST', 'vpc-endpoint-services', createService, '4.2.1'],
  ['GET', 'vpc-endpoint-services/public', listPublicServices, '4.2.10'],
  ['GET', 'vpc-endpoint-services/describe', describeService, '4.2.11'],
  ['GET', 'vpc-endpoint-services/:service_id', getService, '4.2.2'],
  ['PUT', 'vpc-endpoint-services/:service_id', updateService, '4.2.3'],
  ['DELETE', 'vpc-endpoint-services/:service_id', deleteService, '4.2.4'],
  ['GET', 'vpc-endpoint-services/:service_id/connections', listConnections, '4.2.6'],
  ['POST', 'vpc-endpoint-services/:service_id/connections/action', acceptOrReject, '4.2.7'],
  ['GET', 'vpc-endpoint-services/:service_id/permissions', listWhitelist, '4.2.8'],
  ['POST', 'vpc-endpoint-services/:service_id/permissions/action', updateWhitelist, '4.2.9'],
  ['POST', 'vpc-endpoints', createEndpoint, '4.3.1'],
  ['GET', 'vpc-endpoints', listEndpoints, '4.3.4'],
  ['GET', 'vpc-endpoints/:endpoint_id', getEndpoint, '4.3.2'],
  ['DELETE', 'vpc-endpoints/:endpoint_id', deleteEndpoint, '4.3.3'],
  ['GET', 'quotas', getQuotas, '4.4.1'],
] as const satisfies readonly (readonly [string, string, Handler, string])[];

export interface Route {
  method: string;
  /** Path segments after `/v1/{project_id}/`; `:name` captures one segment. */
  segments: string[];
  /** The template shown in logs and stats. */
  name: string;
  handler: Handler;
  /** The section of the API reference the route follows. */
  section: string;
}

/** The route table, ready to match. */
export const ROUTES: Route[] = ROUTE_TABLE.map(([method, path, handler, section]) => ({
  method,
  segments: path.split('/'),
  name: `${method} /v1/{project_id}/${path.replace(/:(\w+)/g, '{$1}')}`,
  handler,
  section,
}));

/** The route for a method and the segments after the project id, with its captures. */
export function matchRoute(
  method: string,
  segments: readonly string[],
): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let fits = true;
    for (let i = 0; i < segments.length && fits; i++) {
      const want = route.segments[i]!;
      const got = segments[i]!;
      if (want.startsWith(':')) {
        params[want.slice(1)] = decodeURIComponent(got);
      } else if (want !== got) fits = false;
    }
    if (!fits) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
