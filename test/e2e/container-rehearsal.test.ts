/**
 * The container image cannot be built on a machine without a container engine, so this suite
 * rehearses the Dockerfile on the host instead, reading everything from the Dockerfile itself:
 * each stage's COPY and RUN steps are carried out in a directory of their own (absolute paths of
 * the image mapped under it, .dockerignore applied), then the runtime stage's ENV, ENTRYPOINT +
 * CMD and HEALTHCHECK command run for real: the daemon on its production dependencies only, with
 * the pinned Codex CLI of that install as its child. What it cannot show: the base image, the
 * `node` user's permissions, the volume, and Docker's own handling of HEALTHCHECK.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCodexHome, type CodexHome } from "../fixtures/codex-home.js";
import { waitUntil } from "../helpers/deadline.js";
import { all, copyOf, envOf, execForm, healthcheckCommand, parseDockerfile, type Stage } from "../helpers/dockerfile.js";
import { repoRoot } from "../helpers/in-process-daemon.js";
import { cleanEnv, freePort, killAll, listensOn, spawnTracked } from "../helpers/processes.js";
import { responseAuditEnv } from "../helpers/temp-config.js";

const dockerfile = await readFile(join(repoRoot, "Dockerfile"), "utf8");
const dockerignore = (await readFile(join(repoRoot, ".dockerignore"), "utf8")).split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;

/** Whether .dockerignore keeps a path (relative to the context) out of the build context. */
function ignored(relative: string): boolean {
  return relative.split("/").some((part) => dockerignore.some((pattern) => (pattern.startsWith("*.") ? part.endsWith(pattern.slice(1)) : part === pattern)));
}
// Only names and *.ext are understood above; any other pattern must be taught, not ignored.
for (const pattern of dockerignore) {
  if (!/^(\*\.[\w.-]+|[\w.-]+)$/.test(pattern)) throw new Error(`the rehearsal does not understand the .dockerignore pattern ${pattern}; teach ignored()`);
}

/** Run a shell command to completion; reject with its output when it fails. */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

async function mustRun(command: string, cwd: string): Promise<void> {
  const { code, output } = await sh(command, cwd);
  if (code !== 0) throw new Error(`\`${command}\` failed (${code}):\n${output.slice(-3000)}`);
}

/** A stage carried out under `root`, which stands for the image's "/". */
async function rehearseStage(stage: Stage, root: string, built: Map<string, string>): Promise<{ workdir: string }> {
  const inImage = (path: string, workdir: string) => join(root, isAbsolute(path) ? path : join(workdir.slice(root.length), path));
  let workdir = root;
  for (const instruction of stage.instructions) {
    const { keyword, rest } = instruction;
    if (keyword === "WORKDIR") {
      workdir = inImage(rest, workdir);
      await mkdir(workdir, { recursive: true });
    } else if (keyword === "COPY") {
      const { from, sources, dest } = copyOf(instruction);
      const target = inImage(dest, workdir);
      for (const source of sources) {
        const origin = from ? join(built.get(from)!, source) : join(repoRoot, source);
        expect(from !== null || !ignored(source), `${source} is kept out of the context by .dockerignore`).toBe(true);
        const to = dest.endsWith("/") ? join(target, basename(source)) : target;
        await cp(origin, to, { recursive: true, filter: (path) => from !== null || !ignored(path.slice(repoRoot.length + 1)) });
      }
    } else if (keyword === "RUN") {
      for (const command of rest.split("&&").map((c) => c.trim())) {
        if (/^npm ci\b/.test(command)) await mustRun(`${command} --prefer-offline`, workdir);
        else if (command === "npm run build") await mustRun(command, workdir);
        else if (/^mkdir -p \/\S+$/.test(command)) await mkdir(inImage(command.split(" ")[2]!, workdir), { recursive: true });
        // The image's own npm cache and file ownership: nothing to rehearse on the host.
        else if (command === "npm cache clean --force" || /^chown node:node \/\S+$/.test(command)) continue;
        else throw new Error(`the rehearsal does not know how to carry out \`${command}\`; teach it (test/e2e/container-rehearsal.test.ts)`);
      }
    }
  }
  return { workdir };
}

let work: string;
let app: string;
let runtimeRoot: string;
let codexHome: CodexHome;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "codexd-container-"));
  const built = new Map<string, string>();
  for (const [i, stage] of stages.entries()) {
    const root = join(work, `stage-${i}`);
    const { workdir } = await rehearseStage(stage, root, built);
    if (stage.name) built.set(stage.name, root);
    if (i === stages.length - 1) {
      app = workdir;
      runtimeRoot = root;
    }
  }
  codexHome = await createCodexHome({ modelServerUrl: "http://127.0.0.1:9/v1" });
}, 240_000);

afterAll(async () => {
  await killAll();
  await codexHome?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The runtime stage's environment on the host: its ENV (image paths mapped), a free port, a Codex home. */
let runs = 0;
async function runtimeEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env: Record<string, string> = {};
  // Each daemon gets the image's paths under a root of its own, so one test's leftovers cannot fail the next.
  const root = join(runtimeRoot, `run-${++runs}`);
  for (const [key, value] of Object.entries(envOf(runtime))) env[key] = value.startsWith("/") ? join(root, value) : value;
  return { ...cleanEnv(), CODEX_HOME: codexHome.dir, ...env, CODEXD_PORT: String(await freePort()), ...responseAuditEnv(), ...extra };
}

const entrypoint = () => [...execForm(all(runtime, "ENTRYPOINT")[0]!.rest), ...execForm(all(runtime, "CMD")[0]!.rest)];
const healthcheck = (env: NodeJS.ProcessEnv) => sh(healthcheckCommand(all(runtime, "HEALTHCHECK")[0]!), app, env);

describe("Dockerfile", () => {
  it("builds in two stages and runs as a non-root user with production dependencies, a volume and a health check", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const user = all(runtime, "USER").at(-1)?.rest;
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user!.split(":")[0]);
    expect(all(runtime, "RUN").some((r) => /npm ci\b[^&]*--omit=dev/.test(r.rest))).toBe(true);
    // The runtime stage takes the compiled output, never the sources or the dev toolchain.
    const copied = all(runtime, "COPY").flatMap((c) => copyOf(c).sources);
    expect(copied).not.toContain("src");
    expect(copied).toContain("/app/dist");
    const volumes = all(runtime, "VOLUME").flatMap((v) => execForm(v.rest));
    expect(volumes).toContain(envOf(runtime).CODEXD_STATE_DIR);
    expect(all(runtime, "HEALTHCHECK")).toHaveLength(1);
    expect(envOf(runtime).CODEXD_HOST).toBe("127.0.0.1");
    for (const kept of ["node_modules", "dist", ".git", ".codexd"]) expect(dockerignore).toContain(kept);
  });

  it("runs its entry point on production dependencies only, with the pinned Codex CLI as child, healthy, and stops on SIGTERM", async () => {
    const env = await runtimeEnv();
    const [command, ...args] = entrypoint();
    const daemon = spawnTracked(command!, args, { cwd: app, env });
    const base = `http://127.0.0.1:${env.CODEXD_PORT}`;
    await waitUntil(async () => (await healthcheck(env)).code === 0 && listensOn(daemon.pid, Number(env.CODEXD_PORT)), { timeoutMs: 20_000, what: "the HEALTHCHECK command to pass" });

    const child = await waitUntil(
      async () => {
        const state = (await (await fetch(`${base}/v1/child`)).json()) as { status: string; command: string; args: string[] };
        return state.status === "running" && state;
      },
      { timeoutMs: 15_000, what: "the child to run" },
    );
    // The child is the Codex CLI of the production install, not the one of the repository.
    expect([child.command, ...child.args].join(" ")).toContain(join(app, "node_modules", "@openai", "codex"));
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    // State lands in the image's state dir (the volume).
    expect((await readFile(join(env.CODEXD_STATE_DIR!, "daemon-state.json"), "utf8")).length).toBeGreaterThan(0);

    daemon.child.kill("SIGTERM");
    expect((await daemon.waitExit(15_000)).code).toBe(0);
    expect((await healthcheck(env)).code).not.toBe(0);
  }, 60_000);

  it("binds 0.0.0.0 only with a token: refused without one, healthy with one (the health check needs none)", async () => {
    const [command, ...args] = entrypoint();
    const open = await runtimeEnv({ CODEXD_HOST: "0.0.0.0" });
    const refused = spawnTracked(command!, args, { cwd: app, env: open });
    expect((await refused.waitExit(15_000)).code).toBe(1);
    expect(refused.stderr()).toMatch(/token/i);

    const guarded = await runtimeEnv({ CODEXD_HOST: "0.0.0.0", CODEXD_TOKEN: "container-rehearsal-token-0123456789" });
    const daemon = spawnTracked(command!, args, { cwd: app, env: guarded });
    await waitUntil(async () => (await healthcheck(guarded)).code === 0 && listensOn(daemon.pid, Number(guarded.CODEXD_PORT)), { timeoutMs: 20_000, what: "the HEALTHCHECK command to pass" });
    expect((await fetch(`http://127.0.0.1:${guarded.CODEXD_PORT}/v1/status`)).status).toBe(401);
    daemon.child.kill("SIGTERM");
    expect((await daemon.waitExit(15_000)).code).toBe(0);
  }, 60_000);
});
