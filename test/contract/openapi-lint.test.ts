/**
 * openapi.yaml as third-party tooling reads it: the Redocly CLI (redocly.yaml: recommended-strict,
 * every finding an error) and Spectral (.spectral.yaml: the `spectral:oas` ruleset). Both run
 * here, from node_modules, so `npm test` (and CI) fails on what they find. Spectral's warnings
 * are let through only where the README (Contract, Linting) justifies them; they are listed below.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { contractPath, repoRoot } from "./openapi-contract.js";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

/** Spectral findings the README justifies: rule code and JSON path. */
const JUSTIFIED_SPECTRAL = new Set(["info-contact info"]);

interface Finding {
  rule: string;
  severity: string;
  where: string;
  message: string;
}

/** Run a CLI to its end; its exit status is judged by the caller from the report it prints. */
function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      // No usage reports to Redocly's servers, no update check: the lint must not depend on the network.
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function redocly(file: string): Promise<{ totals: { errors: number; warnings: number }; findings: Finding[] }> {
  const out = await run(bin("redocly"), ["lint", file, "--config", join(repoRoot, "redocly.yaml"), "--format=json"]);
  let report: { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[] };
  try {
    report = JSON.parse(out.stdout) as typeof report;
  } catch {
    throw new Error(`redocly lint printed no JSON report (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
  const findings = report.problems.map((p) => ({ rule: p.ruleId, severity: p.severity, where: p.location[0]?.pointer ?? "", message: p.message }));
  return { totals: report.totals, findings };
}

const SPECTRAL_SEVERITY = ["error", "warning", "info", "hint"];

async function spectral(file: string): Promise<Finding[]> {
  const out = await run(bin("spectral"), ["lint", file, "--ruleset", join(repoRoot, ".spectral.yaml"), "--format", "json", "--quiet", "--fail-severity", "error"]);
  let report: { code: string; severity: number; message: string; path: (string | number)[] }[];
  try {
    report = JSON.parse(out.stdout || "[]") as typeof report;
  } catch {
    throw new Error(`spectral lint printed no JSON report (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
  if (out.code !== 0 && !report.some((r) => r.severity === 0)) throw new Error(`spectral lint failed (exit ${out.code}):\n${out.stderr}`);
  return report.map((r) => ({ rule: r.code, severity: SPECTRAL_SEVERITY[r.severity] ?? String(r.severity), where: r.path.join("."), message: r.message }));
}

const listed = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.rule} at ${f.where}: ${f.message}`).join("\n");

describe("openapi.yaml under third-party linters", () => {
  let dir: string;
  /** A copy of the contract with defects both linters report: the checks below are not vacuous. */
  let broken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-openapi-lint-"));
    const doc = parse(await readFile(contractPath, "utf8")) as Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };
    delete doc.servers;
    delete doc.paths["/v1/status"]!.get!.description;
    delete doc.paths["/healthz"]!.get!.security;
    broken = join(dir, "broken.yaml");
    await writeFile(broken, stringify(doc));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("Redocly lint (recommended-strict) finds nothing", async () => {
    const { totals, findings } = await redocly(contractPath);
    expect(listed(findings)).toBe("");
    expect(totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it("Spectral (spectral:oas) finds no error and no warning but the ones the README justifies", async () => {
    const findings = await spectral(contractPath);
    const unjustified = findings.filter((f) => (f.severity === "error" || f.severity === "warning") && !JUSTIFIED_SPECTRAL.has(`${f.rule} ${f.where}`));
    expect(listed(unjustified)).toBe("");
  });

  it("the README justifies each warning let through", async () => {
    const readme = await readFile(join(repoRoot, "README.md"), "utf8");
    for (const justified of JUSTIFIED_SPECTRAL) expect(readme).toContain(`\`${justified.split(" ")[0]}\``);
  });

  it("both report a contract without servers, an operation description or an open route's security", async () => {
    const r = await redocly(broken);
    expect(r.findings.map((f) => `${f.rule} ${f.where}`)).toEqual(expect.arrayContaining(["no-empty-servers #/openapi", "security-defined #/paths/~1healthz/get"]));
    const s = await spectral(broken);
    expect(s.map((f) => `${f.severity} ${f.rule} ${f.where}`)).toEqual(
      expect.arrayContaining(["warning oas3-api-servers ", "warning operation-description paths./v1/status.get"]),
    );
  });
});
