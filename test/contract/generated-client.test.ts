/**
 * A client generated from openapi.yaml at test time, as a third party would make one:
 * openapi-typescript writes the types, openapi-fetch makes the calls. The generated module and
 * the flows program (generated-client/flows.ts) are compiled with `tsc --strict --noEmit`, then
 * the program runs against a `codexd serve` process on a real port with the fake app-server
 * child: session, turn, run (Idempotency-Key, long-poll), events, the stream's cursor header,
 * an approval, typed problem+json answers.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { createWorkspace, type Workspace } from "../helpers/daemon-process.js";
import { contractPath, repoRoot } from "./openapi-contract.js";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

function run(file: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** A directory where `flows.ts` and a client generated from `contract` compile as a project of their own. */
async function clientProject(contract: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "codexd-generated-client-"));
  // The client's packages (openapi-fetch, @types/node) resolve from the repository's install.
  await symlink(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: true },
      files: ["codexd-api.ts", "flows.ts"],
    }),
  );
  await copyFile(join(repoRoot, "test", "contract", "generated-client", "flows.ts"), join(dir, "flows.ts"));
  const generated = await run(bin("openapi-typescript"), [contract, "--output", join(dir, "codexd-api.ts")], dir);
  if (generated.code !== 0) throw new Error(`openapi-typescript failed (exit ${generated.code}):\n${generated.output}`);
  return dir;
}

const compile = (dir: string) => run(bin("tsc"), ["-p", join(dir, "tsconfig.json"), "--strict", "--noEmit"], dir);

describe("a client generated from openapi.yaml", () => {
  let project: string;
  let ws: Workspace | undefined;
  const dirs: string[] = [];

  beforeAll(async () => {
    project = await clientProject(contractPath);
    dirs.push(project);
  });
  afterAll(async () => {
    await ws?.cleanup();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("compiles with tsc --strict together with the flows program", async () => {
    const compiled = await compile(project);
    expect(compiled.output).toBe("");
    expect(compiled.code).toBe(0);
    const types = await readFile(join(project, "codexd-api.ts"), "utf8");
    expect(types).toContain('"idempotent-replayed"?: "true"');
  });

  it("does not compile against a contract that leaves out a header or a problem field the program reads", async () => {
    const doc = parse(await readFile(contractPath, "utf8")) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
      components: { schemas: { Problem: { properties: Record<string, unknown> } } };
    };
    delete doc.paths["/v1/runs"]!.post!.responses["202"]!.headers!["idempotent-replayed"];
    delete doc.components.schemas.Problem.properties.availableDecisions;
    const dir = await mkdtemp(join(tmpdir(), "codexd-generated-client-contract-"));
    dirs.push(dir);
    const thinner = join(dir, "openapi.yaml");
    await writeFile(thinner, stringify(doc));
    const other = await clientProject(thinner);
    dirs.push(other);
    const compiled = await compile(other);
    expect(compiled.code).not.toBe(0);
    const lineOf = async (text: string) => (await readFile(join(other, "flows.ts"), "utf8")).split("\n").findIndex((line) => line.includes(text)) + 1;
    expect(compiled.output).toContain(`flows.ts(${await lineOf('"idempotent-replayed");')},`);
    expect(compiled.output).toMatch(/error TS\d+: Argument of type '"idempotent-replayed"' is not assignable/);
    expect(compiled.output).toContain(`flows.ts(${await lineOf("= refused.error.availableDecisions")},`);
  });

  it("runs the main flows against a daemon on a real port", async () => {
    const token = `generated-client-${process.pid}`;
    ws = await createWorkspace();
    const daemon = await ws.start({ CODEXD_TOKEN: token });
    const { runFlows } = (await import(/* @vite-ignore */ pathToFileURL(join(project, "flows.ts")).href)) as {
      // The program's own types are checked by tsc above; here it is a module like any other.
      runFlows: (baseUrl: string, token: string) => Promise<Record<string, any>>;
    };
    const result = await runFlows(daemon.baseUrl, token);

    expect(result.unauthorizedScheme).toBe('Bearer realm="codexd"');
    expect(result.sessionLocation).toBe(`/v1/sessions/${result.sessionId}`);
    expect(result.turnStatus).toBe("completed");
    expect(result.turnFinalMessage).toBe("echo: hello from a generated client");
    expect(result.runStatus).toBe("completed");
    expect(result.runLocation).toMatch(/^\/v1\/runs\/.+/);
    expect(result.replayedHeader).toBe("true");
    expect(result.replayedSameRun).toBe(true);
    expect(result.reusedKeyCode).toBe("CODEXD_IDEMPOTENCY_KEY_REUSED");
    expect(result.reusedKeyRunId).toBe(String(result.runLocation).split("/").pop());
    expect(result.eventTypes).toEqual(expect.arrayContaining(["session.created", "turn.started", "turn.completed", "run.queued", "run.completed"]));
    expect(result.streamAfter).toMatch(/^\d+$/);
    expect(result.pendingApprovals).toBe(1);
    expect(result.notOfferedCode).toBe("CODEXD_DECISION_NOT_OFFERED");
    expect(result.availableDecisions).toEqual(["accept", "acceptForSession", "decline", "cancel"]);
    expect(result.approvalStatus).toBe("resolved");
    expect(result.notFound).toMatchObject({ status: 404, code: "CODEXD_NOT_FOUND" });
    expect(result.notFound.contentType).toMatch(/^application\/problem\+json/);
  });
});
