import { Writable } from 'node:stream';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import type { RunSummary } from '../engine/run';
import { ACTION_TYPES, OUTCOMES, type Outcome } from '../model';

/** The CloudWatch namespace of every metric (alarms in serverless.yml use it). */
export const METRICS_NAMESPACE = 'vpcep-approver';

/** The API client's counters; `throttled` where the client counts it. */
export interface ApiCounters {
  requests: number;
  retries: number;
  throttled?: number;
}

export interface RunMetricsInput {
  summary: RunSummary;
  /** The Lambda function name: with the scope, the only dimensions (per-service ones cost per service). */
  functionName: string;
  api: ApiCounters;
}

/**
 * Builds the run's metrics with Powertools (embedded metric format) and writes them as one
 * EMF JSON line to `out` (stdout in Lambda, where CloudWatch extracts them). Powertools' middy
 * middleware is not used: publishing here, after the run, keeps it independent of the middy
 * version. Metrics (all dimensioned by `function` and `scope` only):
 * - `Actions` (all), `ActionsSucceeded`, `ActionsFailed`, `ActionsPlanned`, and
 *   `Actions.<type>.<outcome>` for every action type and outcome (zeros included, so an alarm
 *   on failures always has data);
 * - `LeftPending`, `OldestAllowedPendingAge` (seconds), `Drift` and `Drift.<kind>`;
 * - `ServicesReviewed`, `ServicesFailed`, `ServicesUnfinished`, `ServicesSkipped`,
 *   `RevocationsHeld` (by the blast-radius cap);
 * - `ApiRequests`, `ApiRetries`, `ApiThrottled`; `RunDuration` (milliseconds); `DryRun` (1 or 0).
 */
export function publishRunMetrics(input: RunMetricsInput, out: Writable): void {
  const { summary } = input;
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_NAMESPACE });
  // Powertools adds a `service` dimension by default: function and scope say all we need.
  metrics.clearDefaultDimensions();
  metrics.addDimensions({ function: input.functionName, scope: summary.scope });
  metrics.setTimestamp(new Date(summary.finished_at));

  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  let actions = 0;
  for (const type of ACTION_TYPES) {
    for (const outcome of OUTCOMES) {
      const n = summary.counts[type]?.[outcome] ?? 0;
      totals[outcome] += n;
      actions += n;
      count(`Actions.${type}.${outcome}`, n);
    }
  }
  count('Actions', actions);
  count('ActionsSucceeded', totals.succeeded);
  count('ActionsFailed', totals.failed);
  count('ActionsPlanned', totals.planned);

  count('LeftPending', summary.left_pending.length);
  // The outcome heartbeat: the oldest connection the policy accepts that is still pending after the run.
  metrics.addMetric('OldestAllowedPendingAge', MetricUnit.Seconds, summary.oldest_allowed_pending_seconds);
  count('Drift', summary.drift.length);
  for (const [kind, n] of Object.entries(summary.drift_by_kind).sort()) count(`Drift.${kind}`, n);

  const { services } = summary;
  count('ServicesReviewed', services.reviewed);
  count('ServicesFailed', services.failed);
  count('ServicesUnfinished', services.unfinished);
  count('ServicesSkipped', services.skipped);
  count('RevocationsHeld', summary.revocations_held);

  count('ApiRequests', input.api.requests);
  count('ApiRetries', input.api.retries);
  count('ApiThrottled', input.api.throttled ?? 0);
  metrics.addMetric(
    'RunDuration',
    MetricUnit.Milliseconds,
    Date.parse(summary.finished_at) - Date.parse(summary.started_at),
  );
  count('DryRun', summary.dry_run ? 1 : 0);

  out.write(`${JSON.stringify(metrics.serializeMetrics())}\n`);
  metrics.clearMetrics();
  metrics.clearDimensions();
}
