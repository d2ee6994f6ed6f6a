import type { EngineClient } from '../engine/ports';
import type { ActionResult } from '../model';

/** Remembers when each connection a run read was created, to age the ones still waiting. */
export interface PendingAges {
  /** The client to give the engine: the same client, recording every connection it lists. */
  client: <C extends EngineClient>(client: C) => C;
  /**
   * Seconds since the oldest connection was created among those the policy would accept that
   * are still pending after the run: accepts that failed or were only planned (dry run, brake).
   * 0 when there is none.
   */
  oldestAllowedPendingSeconds(actions: readonly ActionResult[], now: Date): number;
}

/**
 * The outcome heartbeat's data (issue: "the age of the oldest pending connection from an
 * allowed domain"). The engine's results carry no creation times, so the connection listings
 * (4.2.6, whose records have created_at) are observed as they pass to the engine.
 */
export function createPendingAges(): PendingAges {
  const created = new Map<string, number>();
  const key = (serviceId: string, endpointId: string) => `${serviceId}/${endpointId}`;
  return {
    client(client) {
      return new Proxy(client, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'listConnections' || typeof value !== 'function')
            return typeof value === 'function' ? (value.bind(target) as unknown) : value;
          return async function* (serviceId: string, ...rest: unknown[]) {
            for await (const connection of (value as EngineClient['listConnections']).call(
              target,
              serviceId,
              ...(rest as []),
            )) {
              const at = connection.created_at ? Date.parse(connection.created_at) : NaN;
              if (!Number.isNaN(at)) created.set(key(serviceId, connection.id), at);
              yield connection;
            }
          };
        },
      });
    },
    oldestAllowedPendingSeconds(actions, now) {
      let oldest = now.getTime();
      for (const a of actions) {
        if (a.type !== 'connection.accept' || a.outcome === 'succeeded' || !a.endpoint_id) continue;
        oldest = Math.min(oldest, created.get(key(a.service_id, a.endpoint_id)) ?? oldest);
      }
      return Math.max(0, Math.round((now.getTime() - oldest) / 1000));
    },
  };
}
