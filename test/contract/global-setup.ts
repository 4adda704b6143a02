/**
 * Contract conformance of everything the test suite receives over HTTP.
 *
 * setup: a fresh audit dir, announced to the test workers in CODEXD_TEST_RESPONSE_AUDIT_DIR. The
 * helpers that configure daemons (test/helpers/temp-config.ts tempState(), and
 * test/helpers/daemon-process.ts for `codexd serve` processes) then give each daemon its own
 * CODEXD_RESPONSE_AUDIT_FILE there, so every response it sends is appended as a JSON line
 * (src/http/response-audit.ts) whoever the client was: the helpers' fetch, undici, node:http,
 * the CLI, a browser.
 * teardown: every recorded response is checked against openapi.yaml by an independent Ajv
 * validator (test/contract/openapi-contract.ts); any mismatch fails the run with a list of
 * route, status, content type, the Ajv error and the body.
 *
 * CODEXD_TEST_RESPONSE_AUDIT=off skips it all; CODEXD_TEST_RESPONSE_AUDIT_KEEP=1 keeps the dir.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RESPONSE_AUDIT_DIR_VAR } from "../helpers/temp-config.js";
import { checkAll, formatMismatches, OpenApiContract, type AuditRecord } from "./openapi-contract.js";

export function readAuditDir(dir: string): { records: AuditRecord[]; unreadable: number; files: number } {
  const records: AuditRecord[] = [];
  let unreadable = 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (line === "") continue;
      try {
        records.push(JSON.parse(line) as AuditRecord);
      } catch {
        unreadable++; // a daemon killed in the middle of an append
      }
    }
  }
  return { records, unreadable, files: files.length };
}

export default function setup(): (() => void) | undefined {
  if (process.env.CODEXD_TEST_RESPONSE_AUDIT === "off") return undefined;
  const dir = mkdtempSync(join(tmpdir(), "codexd-response-audit-"));
  process.env[RESPONSE_AUDIT_DIR_VAR] = dir;

  return function teardown() {
    delete process.env[RESPONSE_AUDIT_DIR_VAR];
    const { records, unreadable, files } = readAuditDir(dir);
    const { checked, mismatches } = checkAll(OpenApiContract.load(), records);
    const keep = process.env.CODEXD_TEST_RESPONSE_AUDIT_KEEP === "1" || mismatches.length > 0;
    const summary = `contract conformance: ${checked} responses from ${files} daemons checked against openapi.yaml${unreadable ? `, ${unreadable} unreadable lines` : ""}`;
    if (!keep) rmSync(dir, { recursive: true, force: true });
    if (mismatches.length > 0) {
      // An error thrown here is only printed ("error during close"): set the exit code as well.
      process.exitCode = 1;
      throw new Error(`${summary}: ${mismatches.length} mismatches (records kept in ${dir})\n${formatMismatches(mismatches)}`);
    }
    console.log(`${summary}: all conform${keep ? ` (records kept in ${dir})` : ""}`);
  };
}
