/**
 * /metrics as Prometheus' own linter reads it: a `codexd serve` process (fake app-server child)
 * is scraped after some traffic and a child restart, and the exposition is piped to
 * `promtool check metrics` (Debian's `prometheus` package ships promtool).
 *
 * The process metrics come from prom-client's collectDefaultMetrics under codexd's prefix; their
 * names are prom-client's (three gauges end in `_total`), so promtool's findings on those are
 * listed but not held against codexd. Every metric codexd defines itself must be clean.
 */
import { spawn, spawnSync } from "node:child_process";
import { collectDefaultMetrics, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { createWorkspace, type DaemonProcess, type Workspace } from "../helpers/daemon-process.js";

const INSTALL_HINT =
  "promtool is not installed: it ships in Debian's prometheus package (apt-get install -y prometheus); .ci/run installs it";

function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    proc.stdout.on("data", (d: Buffer) => (output += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (output += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, output }));
    proc.stdin.end(exposition);
  });
}

/** Metric family names (without suffixes) prom-client's default collectors produce with codexd's prefix. */
async function processMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "codexd_" });
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
  registry.clear();
  return new Set(names);
}

describe("GET /metrics under promtool check metrics", () => {
  let ws: Workspace;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    ws = await createWorkspace();
    daemon = await ws.start();
    await daemon.waitForChild("ready");
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it("promtool is installed", () => {
    const found = spawnSync("promtool", ["--version"]);
    if (found.error || found.status !== 0) throw new Error(INSTALL_HINT);
  });

  it("child restarts are a counter, codexd_child_restarts_total, that counts a restart", async () => {
    expect((await daemon.post("/v1/child/signal", { signal: "SIGKILL" })).status).toBe(200);
    await waitUntil(async () => ((await daemon.child()).restartCount ?? 0) >= 1 && (await daemon.child()).status === "running", {
      what: "the child restarted after SIGKILL",
    });
    const text = await (await fetch(`${daemon.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^# TYPE codexd_child_restarts_total counter$/m);
    expect(text).toMatch(/^codexd_child_restarts_total 1$/m);
    expect(text).not.toMatch(/^codexd_child_restarts /m);
  });

  it("codexd's own metrics pass promtool check metrics", async () => {
    // Traffic first, so the labelled families (HTTP by route and status) have samples.
    await daemon.get("/v1/status");
    await daemon.get("/v1/runs/nope");
    await daemon.post("/v1/sessions", {});
    const res = await fetch(`${daemon.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    const exposition = await res.text();
    expect(exposition).toMatch(/^codexd_http_requests_total\{/m);

    const checked = await promtoolCheck(exposition).catch((error: NodeJS.ErrnoException) => {
      throw error.code === "ENOENT" ? new Error(INSTALL_HINT) : error;
    });
    const processNames = await processMetricNames();
    // One finding per line: "<metric name> <what is wrong>".
    const findings = checked.output.split("\n").filter((line) => line.trim() !== "");
    const ours = findings.filter((line) => !processNames.has(line.split(" ")[0]!));
    expect(ours, `promtool on codexd's own metrics (exit ${checked.code}):\n${checked.output}`).toEqual([]);
    // promtool read the exposition: a parse error would name no process metric and be listed above.
    expect(findings.every((line) => processNames.has(line.split(" ")[0]!))).toBe(true);
  });
});
