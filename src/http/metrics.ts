import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { CHILD_STATUSES } from "../../schemas/child.js";
import { RUN_STATUSES } from "../../schemas/runs.js";
import { SESSION_STATUSES } from "../../schemas/sessions.js";
import type { Daemon } from "../daemon.js";
import { inlineHook } from "./inline-hook.js";
import { HttpRequestMetrics } from "./request-metrics.js";

/**
 * Prometheus metrics of one daemon: HTTP traffic by route and status, the child, sessions and
 * runs by status, the event log and its flush latency, open streams, and the process itself.
 * Gauges are read from the daemon at scrape time, so nothing is kept twice.
 */
export function createMetrics(app: FastifyInstance, daemon: Daemon): Registry {
  const registry = new Registry();
  const { store, child } = daemon;

  const requests = new HttpRequestMetrics();
  requests.register(registry);
  app.addHook(
    "onResponse",
    inlineHook((request, reply) => {
      // The route pattern, not the URL, keeps label cardinality bounded.
      requests.record(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
    }),
  );

  const flush = new Histogram({
    name: "codexd_store_flush_duration_seconds",
    help: "Duration of a durable group flush (events append + fdatasync, atomic file writes)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  store.onFlush((ms) => flush.observe(ms / 1000));

  new Gauge({
    name: "codexd_child_status",
    help: "1 for the child's current status",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      for (const s of CHILD_STATUSES) this.set({ status: s }, child.state.status === s ? 1 : 0);
    },
  });
  // restartCount is kept in the state directory and only grows: the counter follows it by the difference.
  let restartsCounted = 0;
  new Counter({
    name: "codexd_child_restarts_total",
    help: "Automatic restarts of the child (backoff restarts after an exit, kept across daemon restarts)",
    registers: [registry],
    collect() {
      const restarts = child.state.restartCount ?? 0;
      if (restarts > restartsCounted) this.inc(restarts - restartsCounted);
      restartsCounted = Math.max(restartsCounted, restarts);
    },
  });
  new Gauge({ name: "codexd_child_ready", help: "1 when the child is running and answered the handshake", registers: [registry], collect() { this.set(child.ready ? 1 : 0); } });
  new Gauge({
    name: "codexd_sessions",
    help: "Sessions by status",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      // Counts kept on write: a scrape costs the same at 10 or 10,000 records.
      for (const [status, n] of Object.entries(store.sessionStatusCounts(SESSION_STATUSES))) this.set({ status }, n);
    },
  });
  new Gauge({
    name: "codexd_runs",
    help: "Runs in the registry by status (archived runs not included)",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      for (const [status, n] of Object.entries(store.runStatusCounts(RUN_STATUSES))) this.set({ status }, n);
    },
  });
  new Gauge({ name: "codexd_runs_archived", help: "Finished runs moved to the archive", registers: [registry], collect() { this.set(store.archivedRunCount); } });
  new Gauge({ name: "codexd_event_last_seq", help: "Seq of the newest durable event", registers: [registry], collect() { this.set(store.lastSeq); } });
  new Gauge({ name: "codexd_sse_subscribers", help: "Open Server-Sent Event streams", registers: [registry], collect() { this.set(daemon.streams.count); } });
  new Gauge({
    name: "codexd_sse_overflowed_streams",
    help: "Streams ended since start because their reader fell behind (streams.queueCapacity events or streams.maxBufferedBytes bytes)",
    registers: [registry],
    collect() {
      this.set(daemon.streams.ended.overflow);
    },
  });
  return Registry.merge([processMetrics(), registry]);
}

let processRegistry: Registry | null = null;

/**
 * The process's own metrics (CPU, memory, event loop lag, GC), registered once per process: their
 * collectors live as long as the process does, so a registry per app would keep every app built
 * in the process (and its daemon) alive.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "codexd_" });
  }
  return processRegistry;
}
