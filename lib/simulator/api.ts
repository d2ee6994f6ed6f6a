import { OPERATIONS, type OperationName } from '../vpcep/operations';
import { acceptOrReject, listConnections, updateConnectionDescriptions } from './handlers/connections';
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
 * Every operation under /v1/{project_id}/ the simulator serves, by its name in lib/vpcep's
 * operations table, which gives its method, path (`{name}` captures one segment) and API
 * reference section; and its handler. The first route that fits wins, so static segments come
 * before captures: `GET .../public` is 4.2.10, not a service called "public". The version
 * documents (4.1) are served by the server itself.
 */
/**
 * The optional APIs the simulator serves when asked (`--extensions`): newer APIs, not in the
 * reference and not offered in every region; without its extension a route answers as the
 * gateway does for an unknown API (404 APIGW.0101).
 */
export const SIMULATOR_EXTENSIONS = ['connection-description'] as const;
export type SimulatorExtension = (typeof SIMULATOR_EXTENSIONS)[number];

/** The routes each extension adds, by operation name. */
const EXTENSION_OF: Partial<Record<OperationName, SimulatorExtension>> = {
  updateConnectionDescriptions: 'connection-description',
};

const ROUTE_TABLE = [
  ['listServices', listServices],
  ['createService', createService],
  ['listPublicServices', listPublicServices],
  ['describeService', describeService],
  ['getService', getService],
  ['updateService', updateService],
  ['deleteService', deleteService],
  ['listConnections', listConnections],
  ['acceptOrReject', acceptOrReject],
  ['updateConnectionDescriptions', updateConnectionDescriptions],
  ['listWhitelist', listWhitelist],
  ['updateWhitelist', updateWhitelist],
  ['createEndpoint', createEndpoint],
  ['listEndpoints', listEndpoints],
  ['getEndpoint', getEndpoint],
  ['deleteEndpoint', deleteEndpoint],
  ['getQuotas', getQuotas],
] as const satisfies readonly (readonly [OperationName, Handler])[];

export interface Route {
  /** Its name in the operations table of lib/vpcep/operations.ts. */
  operation: OperationName;
  method: string;
  /** Path segments after `/v1/{project_id}/`; `{name}` captures one segment. */
  segments: string[];
  /** The template shown in logs and stats: `GET /v1/{project_id}/vpc-endpoint-services/{service_id}`. */
  name: string;
  handler: Handler;
  /** The section of the API reference the route follows. */
  section: string;
  /** Set for a newer API: served only with this extension. */
  extension?: SimulatorExtension;
}

const PROJECT_PREFIX = '/v1/{project_id}/';

/** The route table, ready to match. */
export const ROUTES: Route[] = ROUTE_TABLE.map(([operation, handler]) => {
  const { method, path, section } = OPERATIONS[operation];
  if (!path.startsWith(PROJECT_PREFIX)) throw new Error(`${operation}: ${path} is not under ${PROJECT_PREFIX}`);
  const extension = EXTENSION_OF[operation];
  return {
    operation,
    method,
    segments: path.slice(PROJECT_PREFIX.length).split('/'),
    name: `${method} ${path}`,
    handler,
    section,
    ...(extension && { extension }),
  };
});

/** The name of the path parameter a route segment captures (`{service_id}`), if it is one. */
const captured = (segment: string): string | undefined => /^\{(\w+)\}$/.exec(segment)?.[1];

/**
 * The route for a method and the segments after the project id, with its captures; a route of
 * an extension not in `extensions` is not there.
 */
export function matchRoute(
  method: string,
  segments: readonly string[],
  extensions: ReadonlySet<SimulatorExtension> = new Set(),
): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    if (route.extension !== undefined && !extensions.has(route.extension)) continue;
    const params: Record<string, string> = {};
    let fits = true;
    for (let i = 0; i < segments.length && fits; i++) {
      const want = route.segments[i]!;
      const got = segments[i]!;
      const param = captured(want);
      if (param !== undefined) {
        params[param] = decodeURIComponent(got);
      } else if (want !== got) fits = false;
    }
    if (!fits) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
