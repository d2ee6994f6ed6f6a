/** One served request, as the simulator's log keeps it. Never holds headers or bodies. */
export interface RequestLogEntry {
  seq: number;
  /** When the request arrived (injected clock), ISO 8601. */
  time: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string without the leading `?`, or '' when there was none. */
  query: string;
  /** The route template, e.g. `POST /v1/{project_id}/vpc-endpoint-services/{service_id}/connections/action`. */
  route: string;
  status: number;
  /** True only when the request changed the state. */
  mutated: boolean;
  error_code?: string;
  /** Set when the answer was an injected fault. */
  fault?: 'error' | 'throttle' | 'rate-limit';
  duration_ms: number;
}

/** Counters over everything served so far. */
export interface SimulatorStats {
  requests: number;
  mutations: number;
  in_flight: number;
  peak_concurrency: number;
  by_status: Record<string, number>;
  /** Route template -> status -> count. */
  by_route: Record<string, Record<string, number>>;
  faults: { error: number; throttle: number; 'rate-limit': number };
}

/** The request log (bounded: the oldest entries go first) and the counters. */
export class Inspector {
  private entries: RequestLogEntry[] = [];
  private seq = 0;
  private inFlight = 0;
  private readonly stats: SimulatorStats = {
    requests: 0,
    mutations: 0,
    in_flight: 0,
    peak_concurrency: 0,
    by_status: {},
    by_route: {},
    faults: { error: 0, throttle: 0, 'rate-limit': 0 },
  };

  constructor(private readonly maxEntries = 100_000) {}

  begin(): void {
    this.inFlight++;
    this.stats.peak_concurrency = Math.max(this.stats.peak_concurrency, this.inFlight);
  }

  end(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.inFlight--;
    const full: RequestLogEntry = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    const s = this.stats;
    s.requests++;
    if (entry.mutated) s.mutations++;
    const status = String(entry.status);
    s.by_status[status] = (s.by_status[status] ?? 0) + 1;
    const route = (s.by_route[entry.route] ??= {});
    route[status] = (route[status] ?? 0) + 1;
    if (entry.fault) s.faults[entry.fault]++;
  }

  log(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  snapshot(): SimulatorStats {
    return structuredClone({ ...this.stats, in_flight: this.inFlight });
  }
}
