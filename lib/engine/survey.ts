/**
 * The survey of one service: match the policy's rule, read what the scope and the rule need
 * (CONTRACT section 2, "Scopes") and plan with the pure planner, without a lease and without
 * acting. Also the lookup of the one service a webhook asks about.
 */
import { collect } from '../collect';
import { Connection, EndpointService, WhitelistRecord } from '../model';
import { findRule, latestConnections, matchService, ServiceRule, unmanagedDrift } from '../policy/evaluate';
import { Scope } from '../policy/plan';
import { revocationsNeedAccepted, revocationsOf } from '../policy/revocations';
import { Policy } from '../policy/schema';
import type { OperationName } from '../vpcep/operations';
import { EngineClient, ReviewDeps, ReviewOptions, ServiceSurvey } from './ports';

/**
 * The API operations a run reads with (the services, their connections and whitelists); what
 * it changes is in the executor table (executors.ts).
 */
export const SURVEY_OPERATIONS: readonly OperationName[] = ['listServices', 'listConnections', 'listWhitelist'];

/**
 * Matches the policy's rule for one service, reads what the scope needs of it and plans it.
 * Most services need nothing on most sweeps, so only those whose plan has actions go on to
 * actOnService.
 */
export async function surveyService(
  deps: ReviewDeps,
  service: EndpointService,
  policy: Policy,
  options: ReviewOptions,
): Promise<ServiceSurvey> {
  const rule = matchService(policy, service, deps.clock());
  if (rule) return readAndPlan(deps, service, rule, options);
  // Unmanaged: never read further (compliance reports it as drift).
  return {
    service,
    actions: [],
    connections: [],
    revocations: [],
    revocationCount: 0,
    review: {
      service_id: service.id,
      managed: false,
      actions: [],
      left_pending: [],
      drift: unmanagedDrift(service, options.scope),
    },
  };
}

/**
 * The survey of a managed service under the rule matched for it: what the scope needs read, and
 * the plan. actOnService calls it again under the lease.
 */
export async function readAndPlan(
  deps: ReviewDeps,
  service: EndpointService,
  match: ServiceRule,
  options: ReviewOptions,
): Promise<ServiceSurvey> {
  const nothing = { service, rule: match, actions: [], connections: [], revocations: [], revocationCount: 0 };
  const review = { service_id: service.id, managed: true, rule: match.label, actions: [], left_pending: [], drift: [] };
  const readFailed = (err: unknown): ServiceSurvey => {
    // A read the interruption stopped (not sent, or a listing page cut off): not reviewed, not failed.
    if (options.signal?.aborted) return { ...nothing, review: { ...review, unfinished: 'interrupted' } };
    deps.logger.warn('could not read service state', { service_id: service.id, error: err });
    return { ...nothing, review: { ...review, error: deps.client.describeError(err) } };
  };
  let state: { connections: Connection[]; whitelist: WhitelistRecord[]; acceptedRead: boolean };
  try {
    state = await readState(deps, match, service, options.scope);
  } catch (err) {
    return readFailed(err);
  }
  const plan = match.plan(state.connections, state.whitelist, options.scope);
  const only = options.endpointId;
  // A webhook naming a connection acts on that connection only: no whitelist or service change.
  const actions = only === undefined ? plan.actions : plan.actions.filter((a) => a.endpoint_id === only);
  const leftPending = only === undefined ? plan.left_pending : plan.left_pending.filter((p) => p.endpoint_id === only);
  if (!state.acceptedRead && revocationsNeedAccepted(actions)) {
    // The revocations are counted against the cap from the accepted connections: read them (the
    // plan itself does not change, as no pending connection needed them for a limit).
    try {
      const accepted = await deps.limit(() => collect(deps.client.listConnections(service.id, { status: 'accepted' })));
      state.connections = latestConnections([...state.connections, ...accepted]);
    } catch (err) {
      return readFailed(err);
    }
  }
  const revocations = revocationsOf(actions, state.connections, state.whitelist, match.view.owner);
  return {
    service,
    rule: match,
    actions,
    connections: state.connections,
    revocations: revocations.actions,
    revocationCount: revocations.count,
    review: { ...review, left_pending: leftPending, drift: plan.drift },
  };
}

/** Reads what the scope and the rule need (CONTRACT section 2, "Scopes"); the rule says what. */
async function readState(deps: ReviewDeps, rule: ServiceRule, service: EndpointService, scope: Scope) {
  const { client, limit } = deps;
  const whitelist = rule.readsWhitelist ? limit(() => collect(client.listWhitelist(service.id))) : Promise.resolve([]);
  if (scope === 'compliance') {
    const [connections, records] = await Promise.all([
      limit(() => collect(client.listConnections(service.id))),
      whitelist,
    ]);
    return { connections, whitelist: records, acceptedRead: true };
  }
  const [pending, records] = await Promise.all([
    limit(() => collect(client.listConnections(service.id, { status: 'pendingAcceptance' }))),
    whitelist,
  ]);
  // Sweep: accepted connections are read only to count a domain against its max_connections.
  const acceptedRead = rule.needsAccepted(pending);
  const accepted = acceptedRead
    ? await limit(() => collect(client.listConnections(service.id, { status: 'accepted' })))
    : [];
  // In read order: a connection accepted between the two reads is in both, and the later read wins (latestConnections).
  return { connections: latestConnections([...pending, ...accepted]), whitelist: records, acceptedRead };
}

/**
 * The one service a webhook (or a queue message) asks about, if it exists and the policy
 * manages it, and, given `endpointId`, has that connection. Read with 4.2.5 filtered by id rather
 * than 4.2.2, so the automation's IAM policy needs only vpcep:epservices:list.
 */
export async function findManagedService(
  client: EngineClient,
  policy: Policy,
  serviceId: string,
  endpointId?: string,
): Promise<{ service: EndpointService } | { problem: 'not_found' | 'not_managed'; message: string }> {
  const [service] = await collect(client.listServices({ id: serviceId }));
  if (!service) return { problem: 'not_found', message: `no endpoint service ${serviceId}` };
  if (!findRule(policy, service)) {
    return {
      problem: 'not_managed',
      message: `endpoint service ${serviceId} (${service.service_name ?? 'unnamed'}) is not managed by the policy: no services[] rule matches it`,
    };
  }
  // A named connection must be the service's (4.2.6 filtered by id), whatever its status.
  if (endpointId !== undefined && (await collect(client.listConnections(serviceId, { id: endpointId }))).length === 0)
    return { problem: 'not_found', message: `endpoint service ${serviceId} has no connection ${endpointId}` };
  return { service };
}
