import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.js";

export interface TempState {
  dir: string;
  config: ResolvedConfig;
  cleanup: () => Promise<void>;
}

/** Set by test/contract/global-setup.ts: where daemons under test record their responses. */
export const RESPONSE_AUDIT_DIR_VAR = "CODEXD_TEST_RESPONSE_AUDIT_DIR";

/**
 * The response-audit setting for one daemon under test: a file of its own in the suite's audit
 * dir (checked against openapi.yaml when the run ends), or nothing when the suite does not audit.
 * A test's own CODEXD_RESPONSE_AUDIT_FILE (even "", which turns it off) wins.
 */
export function responseAuditEnv(): Record<string, string> {
  const dir = process.env[RESPONSE_AUDIT_DIR_VAR];
  return dir ? { CODEXD_RESPONSE_AUDIT_FILE: join(dir, `responses-${process.pid}-${randomUUID()}.jsonl`) } : {};
}

/** A fresh state dir and a config pointing at it; env vars are set the way a user would. */
export async function tempState(env: Record<string, string> = {}): Promise<TempState> {
  const dir = await mkdtemp(join(tmpdir(), "codexd-test-"));
  const config = loadConfig({ cwd: dir, env: { CODEXD_STATE_DIR: join(dir, "state"), ...responseAuditEnv(), ...env }, flags: {} });
  return { dir, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
