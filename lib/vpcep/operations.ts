/**
 * The VPCEP API v1 operations as one table: method, path, whether repeating one has the same
 * effect as doing it once, and the Huawei IAM actions that allow it. The client builds every
 * request from this table; the IAM coverage test reads the actions from it.
 *
 * Huawei IAM authorizes in two ways, and each operation names its action in both:
 * - `iamAction`, role/policy-based authorization (custom policies of `"Version": "1.1"`,
 *   policies/huawei-iam-policy*.json): the action of section 6 of the API reference
 *   ("Permissions Policies and Supported Actions", online at
 *   https://support.huaweicloud.com/intl/en-us/api-vpcep/vpcep_07_0002.html for endpoint
 *   services, vpcep_07_0003.html for endpoints, vpcep_07_0004.html for quotas);
 * - `identityAction`, identity policy-based authorization (identity policies of
 *   `"Version": "5.0"`, policies/huawei-identity-policy*.json): the action named under
 *   "Authorization Information" on the API's own page, `authorizationPage`, which also gives the
 *   role/policy action as its alias where the two differ.
 * Neither documentation names an action for the version APIs of 4.1 (they need none), so those
 * are left undefined rather than guessed.
 *
 * One operation is not in the reference: the newer API that describes a service's connections
 * (`updateConnectionDescriptions`, not offered in every region; the gateway answers 404
 * APIGW.0101 where it is not). Its page gives the identity policy-based action and, as its alias,
 * the role/policy-based one; its section says where it comes from instead of a section number.
 *
 * Idempotence decides whether a call may be retried after an ambiguous failure (a 500 or a
 * reset, after which the first attempt may or may not have been applied):
 * - reads: always;
 * - 4.2.7 accept/reject: yes, accepting an accepted connection (or rejecting a rejected one)
 *   leaves it as it is;
 * - 4.2.9 whitelist add/remove: yes, the whitelist is a set;
 * - 4.2.3 update (PUT of the same fields) and 4.2.4 / 4.3.3 deletes: yes, same final state
 *   (a repeated delete may answer 404, which is then reported, never hidden);
 * - 4.2.1 / 4.3.1 creates: no, a repeat could create a second resource; they are retried only
 *   when the failure proves the first attempt was refused (throttling, connection refused).
 */
import { UsageError } from '../errors';
import { encodeRfc3986 } from './sign';

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template; `{name}` is a path parameter. */
  path: string;
  idempotent: boolean;
  /** Role/policy-based authorization: the action of reference section 6 (none for 4.1). */
  iamAction: string | undefined;
  /** Identity policy-based authorization: the action `authorizationPage` names (none for 4.1). */
  identityAction: string | undefined;
  /** The API's page whose "Authorization Information" gives `identityAction` (none for 4.1). */
  authorizationPage: string | undefined;
  /** The section of the API reference. */
  section: string;
}

const SERVICES = '/v1/{project_id}/vpc-endpoint-services';
const SERVICE = `${SERVICES}/{service_id}`;
const ENDPOINTS = '/v1/{project_id}/vpc-endpoints';
/** Huawei Cloud's VPCEP API pages (international and European sites; the same pages). */
const INTL = 'https://support.huaweicloud.com/intl/en-us/api-vpcep';
const EU = 'https://support.huaweicloud.com/eu/api-vpcep';

export const OPERATIONS = {
  listVersions: {
    method: 'GET',
    path: '/',
    idempotent: true,
    iamAction: undefined,
    identityAction: undefined,
    authorizationPage: undefined,
    section: '4.1.1',
  },
  getVersion: {
    method: 'GET',
    path: '/{version}',
    idempotent: true,
    iamAction: undefined,
    identityAction: undefined,
    authorizationPage: undefined,
    section: '4.1.2',
  },
  createService: {
    method: 'POST',
    path: SERVICES,
    idempotent: false,
    iamAction: 'vpcep:epservices:create',
    identityAction: 'vpcep:endpointServices:create',
    authorizationPage: `${EU}/vpcep_06_0201.html`,
    section: '4.2.1',
  },
  getService: {
    method: 'GET',
    path: SERVICE,
    idempotent: true,
    iamAction: 'vpcep:epservices:get',
    identityAction: 'vpcep:endpointServices:get',
    authorizationPage: `${INTL}/ListServiceDetails.html`,
    section: '4.2.2',
  },
  updateService: {
    method: 'PUT',
    path: SERVICE,
    idempotent: true,
    iamAction: 'vpcep:epservices:update',
    identityAction: 'vpcep:endpointServices:update',
    authorizationPage: `${INTL}/UpdateEndpointService.html`,
    section: '4.2.3',
  },
  deleteService: {
    method: 'DELETE',
    path: SERVICE,
    idempotent: true,
    iamAction: 'vpcep:epservices:delete',
    identityAction: 'vpcep:endpointServices:delete',
    authorizationPage: `${EU}/DeleteEndpointService.html`,
    section: '4.2.4',
  },
  listServices: {
    method: 'GET',
    path: SERVICES,
    idempotent: true,
    iamAction: 'vpcep:epservices:list',
    identityAction: 'vpcep:endpointServices:list',
    authorizationPage: `${INTL}/ListEndpointService.html`,
    section: '4.2.5',
  },
  listConnections: {
    method: 'GET',
    path: `${SERVICE}/connections`,
    idempotent: true,
    iamAction: 'vpcep:connections:list',
    identityAction: 'vpcep:endpointServices:listConnections',
    authorizationPage: `${INTL}/vpcep_06_0206.html`,
    section: '4.2.6',
  },
  acceptOrReject: {
    method: 'POST',
    path: `${SERVICE}/connections/action`,
    idempotent: true,
    iamAction: 'vpcep:connections:update',
    identityAction: 'vpcep:endpointServices:updateConnections',
    authorizationPage: `${EU}/AcceptOrRejectEndpoint.html`,
    section: '4.2.7',
  },
  // Not in the reference: "Updating Descriptions of VPC Endpoint Connections" (the page names
  // vpcep:connections:update as the alias of its identity action). Setting a description is
  // idempotent: the same body leaves the same descriptions.
  updateConnectionDescriptions: {
    method: 'PUT',
    path: `${SERVICE}/connections/description`,
    idempotent: true,
    iamAction: 'vpcep:connections:update',
    identityAction: 'vpcep:endpointServices:updateConnectionDescription',
    authorizationPage: `${INTL}/UpdateEndpointConnectionsDesc.html`,
    section: 'newer API, not in the reference',
  },
  listWhitelist: {
    method: 'GET',
    path: `${SERVICE}/permissions`,
    idempotent: true,
    iamAction: 'vpcep:permissions:list',
    identityAction: 'vpcep:endpointServices:listPermissions',
    authorizationPage: `${INTL}/ListServicePermissionsDetails.html`,
    section: '4.2.8',
  },
  updateWhitelist: {
    method: 'POST',
    path: `${SERVICE}/permissions/action`,
    idempotent: true,
    iamAction: 'vpcep:permissions:update',
    identityAction: 'vpcep:endpointServices:updatePermissions',
    authorizationPage: `${EU}/vpcep_06_0209.html`,
    section: '4.2.9',
  },
  listPublicServices: {
    method: 'GET',
    path: `${SERVICES}/public`,
    idempotent: true,
    iamAction: 'vpcep:pubEpservices:list',
    identityAction: 'vpcep:endpointServices:listPublic',
    authorizationPage: `${INTL}/ListServicePublicDetails.html`,
    section: '4.2.10',
  },
  describeService: {
    method: 'GET',
    path: `${SERVICES}/describe`,
    idempotent: true,
    iamAction: 'vpcep:epserviceDesc:get',
    identityAction: 'vpcep:endpointServices:describe',
    authorizationPage: `${INTL}/ListServiceDescribeDetails.html`,
    section: '4.2.11',
  },
  // 4.3: the endpoint actions have the same name in both flavours (their pages give no alias).
  createEndpoint: {
    method: 'POST',
    path: ENDPOINTS,
    idempotent: false,
    iamAction: 'vpcep:endpoints:create',
    identityAction: 'vpcep:endpoints:create',
    authorizationPage: `${INTL}/CreateEndpoint.html`,
    section: '4.3.1',
  },
  getEndpoint: {
    method: 'GET',
    path: `${ENDPOINTS}/{endpoint_id}`,
    idempotent: true,
    iamAction: 'vpcep:endpoints:get',
    identityAction: 'vpcep:endpoints:get',
    authorizationPage: `${INTL}/ListEndpointInfoDetails.html`,
    section: '4.3.2',
  },
  deleteEndpoint: {
    method: 'DELETE',
    path: `${ENDPOINTS}/{endpoint_id}`,
    idempotent: true,
    iamAction: 'vpcep:endpoints:delete',
    identityAction: 'vpcep:endpoints:delete',
    authorizationPage: `${EU}/DeleteEndpoint.html`,
    section: '4.3.3',
  },
  listEndpoints: {
    method: 'GET',
    path: ENDPOINTS,
    idempotent: true,
    iamAction: 'vpcep:endpoints:list',
    identityAction: 'vpcep:endpoints:list',
    authorizationPage: `${EU}/vpcep_06_0306.html`,
    section: '4.3.4',
  },
  getQuotas: {
    method: 'GET',
    path: '/v1/{project_id}/quotas',
    idempotent: true,
    iamAction: 'vpcep:quotas:get',
    // Sic: the page prints it with an empty resource part; copied, not corrected.
    identityAction: 'vpcep::listQuotas',
    authorizationPage: `${EU}/ListQuotaDetails.html`,
    section: '4.4.1',
  },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** What each path parameter is called in messages. */
const PARAMETER_NAMES: Record<string, string> = {
  project_id: 'project id',
  service_id: 'service id',
  endpoint_id: 'endpoint id',
  version: 'version',
};

/**
 * The path of `operation` with its parameters filled in (RFC 3986-encoded, as the signature's
 * canonical URI encodes them). A parameter that is empty, `.` or `..`, or contains `/` is refused
 * before any request: URL normalisation would turn it into another path, and so another call.
 */
export function operationPath(operation: OperationName, params: Readonly<Record<string, string>>): string {
  return OPERATIONS[operation].path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeRfc3986(checkPathParameter(params[name], PARAMETER_NAMES[name] ?? name)),
  );
}

/** Throws UsageError naming the value when it cannot be one segment of a URL path. */
export function checkPathParameter(value: string | undefined, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`the ${what} is empty`, 'INVALID_ID');
  if (value === '.' || value === '..' || value.includes('/')) {
    throw new UsageError(
      `the ${what} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)} cannot be part of a URL path (".", ".." and values with "/" are refused)`,
      'INVALID_ID',
    );
  }
  return value;
}

/** The operation served at `method` + path template (as the simulator names its routes), if any. */
export function operationForRoute(method: string, template: string): OperationName | undefined {
  return (Object.keys(OPERATIONS) as OperationName[]).find(
    (name) => OPERATIONS[name].method === method && OPERATIONS[name].path === template,
  );
}
