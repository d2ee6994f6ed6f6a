/**
 * A read-only view of the engine's client that reads each listing once: `plan --against` plans
 * two policies with it, so both are planned on the same observed state (one compliance read),
 * and the second plan makes no call the first one made.
 */
import { collect } from '../collect';
import { EngineClient } from '../engine/ports';
import { Connection, WhitelistRecord } from '../model';
import { latestConnections } from '../policy/evaluate';

/** The engine's client, read-only, and what it read of each service. */
export interface ReadOnceClient extends EngineClient {
  /** The connections (the latest read of each) and the whitelist read of a service so far; empty lists when none was. */
  observed(serviceId: string): { connections: Connection[]; whitelist: WhitelistRecord[] };
}

/**
 * `client`'s listings, each read (every page) the first time it is asked for and served from
 * memory after; a listing that failed fails again the same way. Every call that would change
 * something throws: a plan never makes one. What was read stays available (`observed`): what the
 * plan's revocations are counted from.
 */
export function readOnceClient(client: EngineClient): ReadOnceClient {
  const listings = new Map<string, Promise<readonly unknown[]>>();
  const read = new Map<string, { connections: Connection[]; whitelist: WhitelistRecord[] }>();
  const of = (serviceId: string) => {
    let state = read.get(serviceId);
    if (!state) read.set(serviceId, (state = { connections: [], whitelist: [] }));
    return state;
  };
  function once<T>(key: string, list: () => AsyncIterable<T>, keep?: (items: T[]) => void): AsyncIterable<T> {
    return {
      async *[Symbol.asyncIterator]() {
        let listing = listings.get(key);
        if (!listing) {
          listing = collect(list()).then((items) => (keep?.(items), items));
          listings.set(key, listing);
        }
        yield* (await listing) as readonly T[];
      },
    };
  }
  const refused = (call: string) => () => Promise.reject(new Error(`${call}: a read-only plan changes nothing`));
  return {
    listServices: (query) => once(`services ${JSON.stringify(query ?? {})}`, () => client.listServices(query)),
    listConnections: (serviceId, query) =>
      once(
        `connections ${serviceId} ${JSON.stringify(query ?? {})}`,
        () => client.listConnections(serviceId, query),
        (items) => of(serviceId).connections.push(...items),
      ),
    listWhitelist: (serviceId) =>
      once(
        `whitelist ${serviceId}`,
        () => client.listWhitelist(serviceId),
        (items) => (of(serviceId).whitelist = items),
      ),
    acceptOrReject: refused('acceptOrReject'),
    updateWhitelistRecords: refused('updateWhitelistRecords'),
    updateService: refused('updateService'),
    updateConnectionDescriptions: refused('updateConnectionDescriptions'),
    describeError: (err) => client.describeError(err),
    observed: (serviceId) => {
      const state = read.get(serviceId) ?? { connections: [], whitelist: [] };
      return { connections: latestConnections(state.connections), whitelist: state.whitelist };
    },
  };
}
