import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HttpRequestMetrics, LATENCY_BUCKETS } from "../../src/http/request-metrics.js";

/** The exposition's samples of one metric family, as "name{labels} value" lines. */
async function samples(registry: Registry, prefix: string): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter((line) => line.startsWith(prefix));
}

describe("HTTP request metrics", () => {
  it("counts by method, route and status and keeps latency buckets cumulative, a value on a bound inside it", async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics();
    metrics.register(registry);
    metrics.record("GET", "/v1/status", 200, 0.0005); // exactly on the first bound
    metrics.record("GET", "/v1/status", 200, 0.003);
    metrics.record("GET", "/v1/status", 503, 7); // above every bound
    metrics.record("POST", "/v1/runs", 201, 0.02);

    expect(await samples(registry, "codexd_http_requests_total")).toEqual([
      'codexd_http_requests_total{method="GET",route="/v1/status",status="200"} 2',
      'codexd_http_requests_total{method="GET",route="/v1/status",status="503"} 1',
      'codexd_http_requests_total{method="POST",route="/v1/runs",status="201"} 1',
    ]);
    const latency = await samples(registry, 'codexd_http_request_duration_seconds_bucket{method="GET"');
    const cumulative = latency.map((line) => Number(line.split(" ")[1]));
    expect(latency.map((line) => /le="([^"]+)"/.exec(line)![1])).toEqual([...LATENCY_BUCKETS.map(String), "+Inf"]);
    // 0.0005 falls in le=0.0005; 0.003 first counts at le=0.005; 7 only at +Inf.
    expect(cumulative).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3]);
    expect(await samples(registry, 'codexd_http_request_duration_seconds_count{method="GET"')).toEqual(['codexd_http_request_duration_seconds_count{method="GET",route="/v1/status"} 3']);
    const [sum] = await samples(registry, 'codexd_http_request_duration_seconds_sum{method="GET"');
    expect(Number(sum!.split(" ")[1])).toBeCloseTo(7.0035, 10);
    expect(await registry.metrics()).toContain("# TYPE codexd_http_request_duration_seconds histogram");
    expect(await registry.metrics()).toContain("# TYPE codexd_http_requests_total counter");

    registry.resetMetrics();
    expect(await samples(registry, "codexd_http_requests_total")).toEqual([]);
  });

  it("joins a registry merged with others, as /metrics serves it", async () => {
    const own = new Registry();
    const metrics = new HttpRequestMetrics();
    metrics.register(own);
    metrics.record("GET", "unmatched", 404, 0.001);
    const merged = Registry.merge([new Registry(), own]);
    expect(await samples(merged, "codexd_http_requests_total")).toEqual(['codexd_http_requests_total{method="GET",route="unmatched",status="404"} 1']);
  });
});
