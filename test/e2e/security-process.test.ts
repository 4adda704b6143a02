import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, createWorkspace, fakeAppServerPath, type Workspace } from "../helpers/daemon-process.js";
import { responseAuditEnv } from "../helpers/temp-config.js";

let dir: string | undefined;
let ws: Workspace | undefined;

afterEach(async () => {
  await ws?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  ws = dir = undefined;
});

/** Run `codexd serve` expecting it to refuse to start: its exit code and what it said. */
function serveExpectingRefusal(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cliPath, "serve"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", CODEXD_STATE_DIR: join(dir!, "state"), CODEXD_CHILD_COMMAND: process.execPath, CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServerPath]), ...responseAuditEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("start-up security checks (real process)", () => {
  it("refuses a non-loopback host without a token: exit 1, clear message, nothing listening", async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-sec-"));
    const { code, stderr } = await serveExpectingRefusal({ CODEXD_HOST: "0.0.0.0", CODEXD_PORT: "0" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without a token/);
    expect(stderr).toContain("CODEXD_TOKEN");
  });

  it("refuses a token file readable by others", async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-sec-"));
    const file = join(dir, "token");
    await writeFile(file, "a-token-that-is-long-enough\n");
    await chmod(file, 0o644);
    const { code, stderr } = await serveExpectingRefusal({ CODEXD_TOKEN_FILE: file });
    expect(code).toBe(1);
    expect(stderr).toMatch(/readable by group or others.*chmod 600/);
    expect(stderr).not.toContain("a-token-that-is-long-enough");
  });

  it("serves with a 0600 token file and requires the token on /v1", async () => {
    ws = await createWorkspace();
    const file = join(ws.dir, "token");
    await writeFile(file, "file-token-0123456789\n", { mode: 0o600 });
    const daemon = await ws.start({ CODEXD_TOKEN_FILE: file });
    expect((await daemon.get("/healthz")).status).toBe(200);
    const denied = await daemon.get("/v1/status");
    expect(denied.status).toBe(401);
    expect(denied.body.code).toBe("CODEXD_UNAUTHORIZED");
    const res = await fetch(`${daemon.baseUrl}/v1/status`, { headers: { authorization: "Bearer file-token-0123456789" } });
    expect(res.status).toBe(200);
    expect(daemon.output()).not.toContain("file-token-0123456789");
  });
});
