import type { Metric, Registry } from "prom-client";

/** Upper bounds, in seconds, of the latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] as const;

/** What one (method, route) has answered since start. */
interface RouteTally {
  /** Responses by status code. */
  readonly statuses: Map<number, number>;
  /** Responses per latency bucket, not cumulative; the last one is above every bound (+Inf). */
  readonly buckets: number[];
  sum: number;
  count: number;
}

type Labels = Record<string, string | number>;
/** One line of the exposition, as prom-client's registry formats it. */
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/**
 * HTTP requests by method, route and status, and their latency by method and route, as
 * `codexd_http_requests_total` and `codexd_http_request_duration_seconds`.
 *
 * A request adds to plain numbers found through two map lookups by strings that already exist
 * (the method and the route pattern); the Prometheus text is made only when scraped. prom-client's
 * own counters build a label string and look it up on every call, which cost as much as the whole
 * answer of a small read.
 */
export class HttpRequestMetrics {
  /** method -> route pattern -> tally */
  private readonly tallies = new Map<string, Map<string, RouteTally>>();

  record(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.tallies.get(method);
    if (byRoute === undefined) this.tallies.set(method, (byRoute = new Map()));
    let tally = byRoute.get(route);
    if (tally === undefined) byRoute.set(route, (tally = { statuses: new Map(), buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    tally.buckets[bucket]!++;
    tally.sum += seconds;
    tally.count++;
  }

  /** Both metrics in a registry: prom-client asks them for their values at each scrape. */
  register(registry: Registry): void {
    // Registries take any object with a name and get(); prom-client's types name only its own classes.
    registry.registerMetric(this.metric("codexd_http_requests_total", "HTTP requests by route and status", "counter", () => this.requestValues()) as unknown as Metric);
    registry.registerMetric(this.metric("codexd_http_request_duration_seconds", "HTTP request latency by route", "histogram", () => this.latencyValues()) as unknown as Metric);
  }

  private metric(name: string, help: string, type: "counter" | "histogram", values: () => Sample[]) {
    return { name, help, get: async () => ({ name, help, type, aggregator: "sum", values: values() }), reset: () => this.tallies.clear() };
  }

  private *each(): Generator<[Labels, RouteTally]> {
    for (const [method, byRoute] of this.tallies) for (const [route, tally] of byRoute) yield [{ method, route }, tally];
  }

  private requestValues(): Sample[] {
    const out: Sample[] = [];
    for (const [labels, tally] of this.each()) {
      for (const [status, value] of tally.statuses) out.push({ labels: { ...labels, status: String(status) }, value });
    }
    return out;
  }

  private latencyValues(): Sample[] {
    const out: Sample[] = [];
    const name = "codexd_http_request_duration_seconds";
    for (const [labels, tally] of this.each()) {
      let cumulative = 0;
      tally.buckets.forEach((n, i) => {
        cumulative += n;
        out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : "+Inf" }, value: cumulative });
      });
      out.push({ metricName: `${name}_sum`, labels, value: tally.sum });
      out.push({ metricName: `${name}_count`, labels, value: tally.count });
    }
    return out;
  }
}
