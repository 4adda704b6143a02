/**
 * codexd's own secrets stay out of the child's environment (and so out of every command the agent
 * runs), checked in /proc/<child>/environ of a real daemon's child; `--token` on the command line
 * warns that it is visible to other users.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, createWorkspace, fakeAppServerPath, type Workspace } from "../helpers/daemon-process.js";
import { waitUntil } from "../helpers/deadline.js";

let ws: Workspace | undefined;
let dir: string | undefined;
afterEach(async () => {
  await ws?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  ws = dir = undefined;
});

describe("the child's environment (real daemon process)", () => {
  it("holds neither CODEXD_TOKEN, CODEXD_TOKEN_FILE nor the token under another name; the rest passes", { timeout: 120_000 }, async () => {
    ws = await createWorkspace();
    const token = "child-env-secret-0123456789abcdef";
    const daemon = await ws.start({ CODEXD_TOKEN: token, CODEXD_TOKEN_FILE: join(ws.dir, "unused-token-file"), SOME_TOOL_TOKEN: token, KEPT_FOR_CHILD: "yes" }, { readyTimeoutMs: 60_000 });
    const child = await waitUntil(
      async () => {
        const res = await fetch(`${daemon.baseUrl}/v1/child`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { status: string; pid: number | null };
        return body.status === "running" && body.pid !== null && body;
      },
      { what: "the child to run", timeoutMs: 60_000 },
    );
    const environ = readFileSync(`/proc/${child.pid}/environ`, "latin1").split("\0");
    expect(environ.some((e) => e.startsWith("CODEXD_TOKEN="))).toBe(false);
    expect(environ.some((e) => e.startsWith("CODEXD_TOKEN_FILE="))).toBe(false);
    expect(environ.some((e) => e.includes(token))).toBe(false);
    expect(environ).toContain("KEPT_FOR_CHILD=yes");
    expect(environ.some((e) => e.startsWith("PATH="))).toBe(true);
  });

  it("warns that --token on the command line is visible to other users", { timeout: 60_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-token-flag-"));
    const proc = spawn(process.execPath, [cliPath, "serve", "--token", "flag-token-0123456789", "--port", "0", "--state-dir", join(dir, "state")], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", CODEXD_CHILD_COMMAND: process.execPath, CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServerPath]) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    proc.stdout.resume();
    try {
      await waitUntil(() => stderr.includes("--token"), { what: "the warning", timeoutMs: 30_000 });
    } finally {
      proc.kill("SIGKILL");
    }
    expect(stderr).toMatch(/--token .*other users.*CODEXD_TOKEN_FILE/);
    expect(stderr).not.toContain("flag-token-0123456789");
  });
});
