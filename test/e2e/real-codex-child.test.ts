import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon.js";
import { createCodexHome, type CodexHome } from "../fixtures/codex-home.js";
import { startFakeModelServer } from "../fixtures/fake-model-server.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

let temp: TempState | undefined;
let home: CodexHome | undefined;
let daemon: Daemon | undefined;
let modelServer: Awaited<ReturnType<typeof startFakeModelServer>> | undefined;

afterEach(async () => {
  await daemon?.stop("test over");
  await modelServer?.close();
  await home?.cleanup();
  await temp?.cleanup();
  daemon = home = temp = modelServer = undefined;
});

describe("the pinned Codex CLI as the child", () => {
  it("is the default command and reaches running with its protocol info recorded", async () => {
    modelServer = await startFakeModelServer();
    home = await createCodexHome({ modelServerUrl: modelServer.url });
    temp = await tempState();
    expect(temp.config.server.childCommand).toMatch(/@openai\/codex\/bin\/codex\.js$/);
    expect(temp.config.server.childArgs).toEqual(["app-server"]);
    // The test's CODEX_HOME points the CLI at the fake model server and keeps it offline.
    daemon = new Daemon(temp.config, pino({ level: "silent" }), { childEnv: home.env });
    await daemon.start();
    const { matched, state } = await daemon.child.waitFor("ready", 20_000, ["fatal", "exited", "backoff"]);
    expect(matched, JSON.stringify(state)).toBe(true);
    expect(state.status).toBe("running");
    expect(state.pid).toBeGreaterThan(0);
    expect(state.protocol).toMatchObject({ codexHome: home.env.CODEX_HOME, platformFamily: "unix" });
    expect(String(state.protocol?.userAgent)).toContain("codexd/");

    await daemon.child.stop();
    expect(daemon.child.state).toMatchObject({ status: "stopped", lastExit: { stopStep: "eof", exitCode: 0 } });
  });
});
