import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.js";

export interface TempState {
  dir: string;
  config: ResolvedConfig;
  cleanup: () => Promise<void>;
}

/** A fresh state dir and a config pointing at it; env vars are set the way a user would. */
export async function tempState(env: Record<string, string> = {}): Promise<TempState> {
  const dir = await mkdtemp(join(tmpdir(), "codexd-test-"));
  const config = loadConfig({ cwd: dir, env: { CODEXD_STATE_DIR: join(dir, "state"), ...env }, flags: {} });
  return { dir, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
