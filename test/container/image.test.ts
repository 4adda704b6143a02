/**
 * The container image, built from the Dockerfile and run by a real Docker engine: health check,
 * user, token rule, the state volume, graceful stop, recovery after `docker kill`, the child's
 * process group, and a read-only root file system.
 *
 * Needs an engine (`docker info` answers). Without one the suite is skipped on a developer's
 * machine, but fails under CI=true: .ci/run starts an engine, so a missing one is a broken CI.
 * The base image is made available by scripts/ci/node-base-image.sh (pulled, or built locally).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { repoRoot } from "../helpers/in-process-daemon.js";

const exec = promisify(execFile);
const docker = async (...args: string[]): Promise<string> => {
  const { stdout } = await exec("docker", args, { env: { ...process.env, DOCKER_BUILDKIT: "0" }, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
};
const engine = await docker("info", "--format", "{{.ServerVersion}}").then(
  (version) => version,
  () => null,
);
if (engine === null && process.env.CI === "true") {
  throw new Error("no Docker engine answers `docker info`, and CI must run the container tests: .ci/run starts dockerd (scripts/ci/docker-engine.sh)");
}

const run = randomBytes(4).toString("hex");
const token = randomBytes(24).toString("hex");
const volume = `codexd-test-${run}`;
const containers: string[] = [];
// A marker process in the child's group: the child is the real Codex CLI, started by a shell that
// leaves `sleep` behind in the same process group.
const MARKER = "sleep 4242";
const childWithMarker = ["-e", "CODEXD_CHILD_COMMAND=sh", "-e", `CODEXD_CHILD_ARGS=${JSON.stringify(["-c", `${MARKER} & exec node /app/node_modules/@openai/codex/bin/codex.js app-server`])}`];
let image: string;

interface Proc {
  pid: number;
  pgid: number;
  stat: string;
  args: string;
}

/** The container's processes, as the engine sees them (host pids). */
async function processes(name: string): Promise<Proc[]> {
  const out = await docker("top", name, "-eo", "pid,pgid,stat,args");
  return out
    .split("\n")
    .slice(1)
    .map((line) => {
      const [pid, pgid, stat, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), pgid: Number(pgid), stat: stat!, args: args.join(" ") };
    });
}

const inspect = async (name: string, format: string) => docker("inspect", "-f", format, name);

async function startContainer(name: string, extra: string[] = []): Promise<string> {
  containers.push(name);
  await docker("run", "-d", "--name", name, "-p", "127.0.0.1::4319", "-e", "CODEXD_HOST=0.0.0.0", "-e", `CODEXD_TOKEN=${token}`, ...extra, image);
  return name;
}

async function baseUrl(name: string): Promise<string> {
  const mapped = await docker("port", name, "4319/tcp");
  return `http://127.0.0.1:${mapped.split("\n")[0]!.split(":").at(-1)}`;
}

/** Wait for Docker's health check to pass; an `unhealthy` on the way fails at once. */
async function healthy(name: string): Promise<void> {
  await waitUntil(
    async () => {
      const status = await inspect(name, "{{.State.Health.Status}}");
      if (status === "unhealthy") throw new Error(`${name} turned unhealthy:\n${await docker("logs", "--tail", "30", name).catch(() => "")}`);
      return status === "healthy";
    },
    { timeoutMs: 180_000, intervalMs: 500, what: `${name} to be healthy` },
  ).catch(async (error: Error) => {
    if (error.message.includes("unhealthy")) throw error;
    throw new Error(`${error.message}\n${await docker("logs", "--tail", "30", name).catch(() => "")}`);
  });
}

async function api<T = any>(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

async function childRunning(base: string): Promise<{ pid: number; pgid: number }> {
  return waitUntil(
    async () => {
      const { body } = await api(base, "/v1/child");
      return body.status === "running" && body.readyAt !== null && body;
    },
    { timeoutMs: 180_000, intervalMs: 500, what: "the Codex child to be running" },
  );
}

/** A file of the volume, read through a throwaway container (the volume is the engine's). */
async function volumeFile(path: string): Promise<string> {
  return docker("run", "--rm", "-v", `${volume}:/data:ro`, "--entrypoint", "cat", image, `/data/${path}`);
}

describe.skipIf(engine === null)(`container image (engine ${engine})`, () => {
  beforeAll(async () => {
    // Present, pulled, or built here (minutes, once per machine).
    await exec("bash", [join(repoRoot, "scripts/ci/node-base-image.sh")], { cwd: repoRoot });
    const dir = await mkdtemp(join(tmpdir(), "codexd-image-"));
    try {
      await docker("build", "-q", "--iidfile", join(dir, "id"), "-t", "codexd:test", repoRoot);
      image = (await readFile(join(dir, "id"), "utf8")).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 1_200_000);

  afterAll(async () => {
    for (const name of containers) await docker("rm", "-f", "-v", name).catch(() => {});
    await docker("volume", "rm", "-f", volume).catch(() => {});
  }, 120_000);

  it("refuses to bind 0.0.0.0 without a token, saying so", async () => {
    const refused = await exec("docker", ["run", "--rm", "-e", "CODEXD_HOST=0.0.0.0", image]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused, "the container started without a token").not.toBeNull();
    expect(refused!.stderr).toMatch(/token/i);
  }, 180_000);

  let name: string;
  let base: string;
  let firstChild: { pid: number; pgid: number };

  it("turns healthy, runs as non-root, requires the token, keeps its state in the volume", async () => {
    name = await startContainer(`codexd-test-${run}`, ["-v", `${volume}:/var/lib/codexd`, ...childWithMarker]);
    await healthy(name);
    base = await baseUrl(name);
    firstChild = await childRunning(base);

    expect(await docker("exec", name, "id", "-u")).not.toBe("0");
    const daemon = (await processes(name)).find((p) => p.args.includes("dist/src/cli.js serve"));
    expect(await inspect(name, "{{.Config.User}}")).toBe("node");
    expect(daemon, "the daemon process").toBeDefined();

    expect((await fetch(`${base}/v1/status`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const status = await api(base, "/v1/status");
    expect(status.status).toBe(200);
    expect(status.body.child.status).toBe("running");

    // The state dir is the volume: identity and events are there, Codex's home too.
    const identity = JSON.parse(await volumeFile("identity.json"));
    expect(identity.daemonId).toBe(status.body.identity.daemonId);
    expect(await volumeFile("events.jsonl")).toContain('"daemon.started"');
    expect(await docker("exec", name, "sh", "-c", 'test -d "$CODEX_HOME" && echo "$CODEX_HOME"')).toBe("/var/lib/codexd/codex");
  }, 300_000);

  it("a restarted child leaves no process of its old group behind, and no zombie", async () => {
    const before = await processes(name);
    expect(before.filter((p) => p.args === MARKER)).toHaveLength(1);
    expect((await api(base, "/v1/child/restart", { method: "POST", body: "{}" })).status).toBe(200);
    const next = await childRunning(base);
    expect(next.pid).not.toBe(firstChild.pid);
    const after = await waitUntil(
      async () => {
        const list = await processes(name);
        return list.filter((p) => p.args === MARKER).length === 1 && !list.some((p) => p.stat.startsWith("Z")) && list;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "one marker process (the new child's) and no zombie" },
    );
    const marker = after.find((p) => p.args === MARKER)!;
    const oldMarker = before.find((p) => p.args === MARKER)!;
    expect(marker.pid).not.toBe(oldMarker.pid);
    expect(after.some((p) => p.pgid === oldMarker.pgid)).toBe(false);
  }, 300_000);

  it("docker kill, then docker start: same identity, seqs continue, the orphaned child group is gone", async () => {
    const before = (await api(base, "/v1/status")).body;
    const oldMarkers = (await processes(name)).filter((p) => p.args === MARKER).map((p) => p.pid);
    expect(oldMarkers).toHaveLength(1);

    await docker("kill", name);
    expect(await inspect(name, "{{.State.Running}}")).toBe("false");
    await docker("start", name);
    await healthy(name);
    base = await baseUrl(name);
    await childRunning(base);

    const after = (await api(base, "/v1/status")).body;
    expect(after.identity.daemonId).toBe(before.identity.daemonId);
    expect(after.identity.createdAt).toBe(before.identity.createdAt);
    const page = (await api(base, `/v1/events?after=${before.events.lastSeq}&type=daemon.started&limit=10`)).body;
    const restarted = page.events.find((e: { bootId?: string }) => e.bootId !== undefined && e.bootId !== before.daemon.bootId) ?? page.events[0];
    expect(restarted, "a daemon.started after the last seq seen before the kill").toBeDefined();
    expect(restarted.seq).toBeGreaterThan(before.events.lastSeq);

    // Only the new child's marker runs: nothing of the killed container's child group survived.
    const markers = await waitUntil(
      async () => {
        const list = (await processes(name)).filter((p) => p.args === MARKER);
        return list.length === 1 && list;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "exactly one marker process" },
    );
    expect(oldMarkers).not.toContain(markers[0]!.pid);
  }, 300_000);

  it("docker stop ends it gracefully with exit code 0", async () => {
    await docker("stop", "-t", "60", name);
    expect(await inspect(name, "{{.State.ExitCode}}")).toBe("0");
    expect(await inspect(name, "{{.State.OOMKilled}}")).toBe("false");
    const events = (await volumeFile("events.jsonl")).trim().split("\n").map((line) => JSON.parse(line) as { type: string; detail?: { reason?: string } });
    const stopped = events.filter((e) => e.type === "daemon.stopped").at(-1);
    expect(stopped?.detail?.reason).toBe("SIGTERM");
    // After the stop, no child state says "running" (the child was stopped, not abandoned).
    const state = JSON.parse(await volumeFile("daemon-state.json"));
    expect(state.child.pid).toBeNull();
    expect(state.child.status).toBe("stopped");
  }, 300_000);

  it("runs on a read-only root file system with the volume and a tmpfs for /tmp", async () => {
    const readOnly = await startContainer(`codexd-test-${run}-ro`, ["--read-only", "--tmpfs", "/tmp", "-v", `${volume}-ro:/var/lib/codexd`]);
    await healthy(readOnly);
    const roBase = await baseUrl(readOnly);
    await childRunning(roBase);
    expect(await inspect(readOnly, "{{.HostConfig.ReadonlyRootfs}}")).toBe("true");
    const created = await api(roBase, "/v1/sessions", { method: "POST", body: "{}" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await docker("stop", "-t", "60", readOnly);
    expect(await inspect(readOnly, "{{.State.ExitCode}}")).toBe("0");
    await docker("rm", "-f", "-v", readOnly);
    await docker("volume", "rm", "-f", `${volume}-ro`);
  }, 300_000);
});
