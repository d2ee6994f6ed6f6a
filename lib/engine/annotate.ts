/**
 * Decisions written where people look (VPCEP_ANNOTATE): after a service's decisions, its accepts
 * and rejects are written as the connections' descriptions, in one call of the newer
 * connection-description API ("vpcep-approver: accepted, rule payments, ..., run <id>"). Only a
 * description that is empty or was written by vpcep-approver is replaced: a person's text stays.
 * The API is not offered in every region: where the gateway answers 404 APIGW.0101 the run says
 * so once and makes no further description call. An annotation that fails is a warning; the
 * decision and its audit event stand as they are.
 */
import { ActionResult, Connection, CONNECTION_DESCRIPTION_MAX } from '../model';
import type { OperationName } from '../vpcep/operations';
import { EXECUTORS } from './executors';
import { Annotator, ReviewDeps } from './ports';

/** The operations an annotating run adds to its calls (what the IAM policies must allow besides the executors'). */
export const ANNOTATION_OPERATIONS: readonly OperationName[] = ['updateConnectionDescriptions'];

/** How every description vpcep-approver writes begins: such a description may be written over. */
export const ANNOTATION_PREFIX = 'vpcep-approver:';

/** What the gateway answers for an API the region does not offer. */
const NOT_OFFERED = { status: 404, code: 'APIGW.0101' };

/**
 * One run's annotator. The first description call tells whether the region offers the API: the
 * services that annotate meanwhile wait for its answer, so a region without it gets exactly one
 * call and one warning.
 */
export function createAnnotator(runId: string): Annotator {
  let offered: Promise<boolean> | undefined;
  return {
    async annotate(deps, serviceId, results, read) {
      const connections = describedConnections(results, read, runId);
      if (connections.length === 0) return;
      if (offered === undefined) {
        offered = describe(deps, serviceId, connections);
        await offered;
      } else if (await offered) {
        await describe(deps, serviceId, connections);
      }
    },
  };
}

/**
 * The call for one service. Resolves false when the region does not offer the API (said once, by
 * the first call), true otherwise (a failure of another kind is a warning).
 */
async function describe(
  deps: ReviewDeps,
  serviceId: string,
  connections: readonly { id: string; description: string }[],
): Promise<boolean> {
  try {
    await deps.limit(() => deps.client.updateConnectionDescriptions(serviceId, connections));
    return true;
  } catch (err) {
    const error = deps.client.describeError(err);
    if (error.status === NOT_OFFERED.status && error.code === NOT_OFFERED.code) {
      deps.logger.warn(
        'VPCEP_ANNOTATE: the region does not offer connection descriptions (404 APIGW.0101); decisions are not written as descriptions in this run',
        { service_id: serviceId },
      );
      return false;
    }
    deps.logger.warn('could not write the decisions as connection descriptions; the decisions stand', {
      service_id: serviceId,
      connections: connections.length,
      error,
    });
    return true;
  }
}

/**
 * The descriptions to write: one per connection accepted or rejected by this run whose
 * description (as last read) is empty or vpcep-approver's own.
 */
export function describedConnections(
  results: readonly ActionResult[],
  read: readonly Connection[],
  runId: string,
): { id: string; description: string }[] {
  const current = new Map(read.map((c) => [c.id, c.description ?? '']));
  return results.flatMap((r) => {
    if (r.outcome !== 'succeeded' || r.endpoint_id === undefined || !EXECUTORS[r.type].annotated) return [];
    const now = current.get(r.endpoint_id) ?? '';
    if (now.trim() !== '' && !now.startsWith(ANNOTATION_PREFIX)) return [];
    return [{ id: r.endpoint_id, description: annotationText(r, runId) }];
  });
}

/**
 * "vpcep-approver: accepted, rule payments, <reason>, run <id>", without `<` or `>` in any part
 * and at most 512 characters (the reason is shortened first, then the whole).
 */
export function annotationText(result: Pick<ActionResult, 'type' | 'rule' | 'reason'>, runId: string): string {
  const head = `${ANNOTATION_PREFIX} ${EXECUTORS[result.type].target}, rule ${clean(result.rule)}`;
  const tail = `, run ${clean(runId)}`;
  const room = CONNECTION_DESCRIPTION_MAX - head.length - tail.length - 2;
  const reason = clean(result.reason);
  const text = room < 4 || reason === '' ? `${head}${tail}` : `${head}, ${shorten(reason, room)}${tail}`;
  return shorten(text, CONNECTION_DESCRIPTION_MAX);
}

/** Without `<` and `>` (the API refuses them) and without line breaks. */
function clean(text: string): string {
  return text.replace(/[<>]/g, '').replace(/\s+/g, ' ').trim();
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
