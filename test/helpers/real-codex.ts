import { createCodexHome } from "../fixtures/codex-home.js";
import { startFakeModelServer, type FakeModelServer, type ModelScript } from "../fixtures/fake-model-server.js";
import { startInProcessDaemon, type InProcessDaemon } from "./in-process-daemon.js";

export interface RealCodexDaemon extends InProcessDaemon {
  model: FakeModelServer;
}

/**
 * A daemon in this process, listening on 127.0.0.1, whose child is the pinned real Codex CLI
 * (the default child command) talking to the fake model server through a throw-away CODEX_HOME:
 * fully offline. `close` stops the daemon and removes the model server and the home.
 */
export async function startRealCodexDaemon(script: ModelScript, settings: Record<string, string> = {}): Promise<RealCodexDaemon> {
  const model = await startFakeModelServer({ script });
  const home = await createCodexHome({ modelServerUrl: model.url }).catch(async (error: unknown) => {
    await model.close();
    throw error;
  });
  const closeFakes = async () => {
    await model.close();
    await home.cleanup();
  };
  const d = await startInProcessDaemon({ CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", ...settings }, { fakeChild: false, childEnv: home.env, listen: true }).catch(async (error: unknown) => {
    await closeFakes();
    throw error;
  });
  const close = async () => {
    try {
      d.app.server.closeAllConnections();
      await d.close();
    } finally {
      await closeFakes();
    }
  };
  return { ...d, model, close };
}
