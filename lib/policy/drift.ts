/**
 * Drift (CONTRACT 2): how the observed state of one managed service differs from the policy,
 * as observed before the run (an item the run fixes is still listed). PURE, like evaluate.ts.
 */
import type { Connection, EndpointService, WhitelistRecord } from '../model';
import { compareStrings } from '../strings';
import { daysLeftText } from './expiry';
import { type Drift } from './plan';
import {
  acceptedCountByDomain,
  allowedDomains,
  compareWhitelist,
  domainName,
  domainText,
  serviceText,
  standing,
  unlistedText,
  type RuleView,
} from './rule-view';

/**
 * The drift of one managed service, in a fixed order: service-failed, approval-disabled, expired (policy order),
 * expiring (policy order),
 * over-limit (policy order), accepted-not-allowed (oldest first), whitelist-missing (policy
 * order), wildcard, whitelist-extra and whitelist-unmanaged (by permission).
 *
 * @param ordered the service's connections, oldest first (a complete view)
 */
export function driftFor(
  view: RuleView,
  service: EndpointService,
  ordered: readonly Connection[],
  whitelist: readonly WhitelistRecord[],
): Drift[] {
  const base = { service_id: service.id, rule: view.label };
  const drift: Drift[] = [];

  // 4.2.5: a service whose creation failed, with the API's reason.
  if (service.status === 'failed') {
    const why = (service.error ?? [])
      .map((e) => [e.error_code, e.error_message].filter(Boolean).join(': '))
      .filter(Boolean)
      .join('; ');
    drift.push({
      ...base,
      kind: 'service-failed',
      ...(service.error && { error: service.error.map((e) => ({ ...e })) }),
      detail: `service ${serviceText(service)} is in status failed${why ? ` (${why})` : ''}`,
    });
  }

  // 8: approval must be on.
  if (view.settings.require_approval && !service.approval_enabled) {
    drift.push({
      ...base,
      kind: 'approval-disabled',
      detail: `approval is disabled on service ${serviceText(service)} and require_approval is true`,
    });
  }

  // An allow entry expired and the domain has no live entry.
  for (const e of view.expired.values()) {
    drift.push({
      ...base,
      kind: 'expired',
      domain_id: e.domain,
      detail: `allow entry ${e.by} for ${domainText(view, e.domain)} expired ${e.expires}; the domain counts as unlisted`,
    });
  }

  // An allow entry expires soon and the domain has no later-expiring live entry.
  for (const e of view.expiring) {
    drift.push({
      ...base,
      kind: 'expiring',
      domain_id: e.domain,
      detail: `allow entry ${e.by} for ${domainText(view, e.domain)} expires ${e.expires} (${daysLeftText(e.days_left)}, expiry_warning_days ${view.settings.expiry_warning_days}); the domain will then count as unlisted, and under revoke: unlisted its accepted connections will be revoked`,
    });
  }

  const accepted = ordered.filter((c) => c.status === 'accepted');
  const acceptedCount = acceptedCountByDomain(accepted);

  // More accepted connections than max_connections.
  for (const e of allowedDomains(view)) {
    const count = acceptedCount.get(e.domain.toLowerCase()) ?? 0;
    if (e.max_connections !== undefined && count > e.max_connections) {
      drift.push({
        ...base,
        kind: 'over-limit',
        domain_id: e.domain,
        detail: `${domainText(view, e.domain)} has ${count} accepted connections, more than max_connections ${e.max_connections} (${e.by})`,
      });
    }
  }

  // Accepted connections from domains that are not allowed.
  for (const received of accepted) {
    // CONTRACT 2: one casing for domain ids in drift entries and details.
    const c = { ...received, domain_id: received.domain_id.toLowerCase() };
    const s = standing(view, c.domain_id);
    if (s.kind === 'allowed') continue;
    const why =
      s.kind === 'denied'
        ? `${domainText(view, c.domain_id)} denied by ${s.by}`
        : unlistedText(view, c.domain_id, s.expired);
    drift.push({
      ...base,
      kind: 'accepted-not-allowed',
      endpoint_id: c.id,
      domain_id: c.domain_id,
      detail: `connection ${c.id} is accepted but ${why}`,
    });
  }

  // 7: the whitelist, unless the policy leaves it alone.
  if (view.settings.whitelist !== 'off') {
    const { missing, extra, wildcard, unmanaged } = compareWhitelist(view, whitelist);
    for (const m of missing) {
      drift.push({
        ...base,
        kind: 'whitelist-missing',
        domain_id: m.domain,
        permission: m.permission,
        detail: `whitelist lacks ${m.permission} for ${domainText(view, m.domain)} allowed by ${m.by}`,
      });
    }
    const listed = [
      ...(view.settings.allow_wildcard
        ? []
        : wildcard.map((permission): Drift => ({
            ...base,
            kind: 'wildcard',
            permission,
            detail: `whitelist record ${permission} admits every account and allow_wildcard is false`,
          }))),
      ...extra.map((e): Drift => {
        const name = domainName(view, e.domain);
        return {
          ...base,
          kind: 'whitelist-extra',
          ...(e.domain === undefined ? {} : { domain_id: e.domain }),
          permission: e.permission,
          detail: `whitelist record ${e.permission}${name === undefined ? '' : ` (${name})`} is not desired by rule ${view.label}`,
        };
      }),
      ...unmanaged.map((permission): Drift => ({
        ...base,
        kind: 'whitelist-unmanaged',
        permission,
        detail: `whitelist record ${JSON.stringify(permission)} is not a record the policy governs (iam:domain::<domain id> or *); it is left alone`,
      })),
    ].sort((a, b) => compareStrings(a.permission!, b.permission!));
    drift.push(...listed);
  }
  return drift;
}
