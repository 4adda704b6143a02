/**
 * A worktree run through the REAL pinned Codex CLI, offline against the fake model server: the
 * model answers with an `apply_patch` (through the shell tool, which the CLI intercepts and
 * applies itself), in a worktree of a real git repository. The run's diff and changes show the
 * patch, and with commit: true the run's branch holds it; the main checkout is untouched.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellCall } from "../fixtures/fake-model-server.js";
import { createRepo, type TestRepo } from "../helpers/git-repo.js";
import { startRealCodexDaemon, type RealCodexDaemon } from "../helpers/real-codex.js";
import { RunsApi } from "../helpers/runs-api.js";

const PATCH = ["*** Begin Patch", "*** Update File: greeting.txt", "@@", "-hello", "+hello from codex", "*** Add File: notes/added.md", "+# added by the patch", "*** End Patch"].join("\n");

let real: RealCodexDaemon | undefined;
let repo: TestRepo | undefined;

afterEach(async () => {
  await real?.close();
  await repo?.cleanup();
  real = repo = undefined;
});

describe("a worktree run through the real Codex CLI", () => {
  it("the model's apply_patch lands in the worktree: diff, changes, and a commit on the run's branch", async () => {
    real = await startRealCodexDaemon(
      (ctx) => (ctx.lastInput?.type === "function_call_output" ? { kind: "text", text: "Patched." } : shellCall(ctx.tools, `apply_patch <<'PATCH'\n${PATCH}\nPATCH\n`)),
      { CODEXD_APPROVAL_POLICY: "accept" },
    );
    repo = await createRepo({ "greeting.txt": "hello\n", "other.txt": "unchanged\n" });
    const head = repo.head();
    const api = new RunsApi(real.baseUrl);

    const created = await api.start({ prompt: "Greet from codex and add notes.", approvalPolicy: "accept", workspace: { repo: repo.dir, commit: true, message: "Patch from codex" } });
    const run = await api.waitTerminal(created.runId, 60_000);
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    expect(run.finalMessage).toBe("Patched.");
    const branch = `codexd/${run.runId}`;
    const session = await api.call("GET", `/v1/sessions/${run.sessionId}`);
    expect(session.body.cwd).toBe(run.workspace!.path);

    expect(run.changes).toEqual([
      { path: "greeting.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 },
      { path: "notes/added.md", previousPath: null, status: "added", insertions: 1, deletions: 0 },
    ]);
    const diff = await api.call("GET", `/v1/runs/${run.runId}/diff`);
    expect(diff.status).toBe(200);
    expect(diff.body).toContain("-hello\n+hello from codex\n");
    expect(diff.body).toContain("+++ b/notes/added.md\n@@ -0,0 +1 @@\n+# added by the patch\n");

    expect(run.commit).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{40}$/), branch });
    expect(repo.git("show", `${branch}:greeting.txt`)).toBe("hello from codex\n");
    expect(repo.git("show", `${branch}:notes/added.md`)).toBe("# added by the patch\n");
    expect(repo.git("log", "-1", "--format=%s%n%P", branch).trim().split("\n")).toEqual(["Patch from codex", head]);

    // The main checkout saw nothing of it.
    expect(repo.head()).toBe(head);
    expect(repo.status()).toBe("");
    expect(await readFile(join(repo.dir, "greeting.txt"), "utf8")).toBe("hello\n");
  }, 120_000);
});
