import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { packageRoot } from "../../src/package-info.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const run = promisify(execFile);
const chromium = process.env.CHROMIUM_PATH ?? "chromium";

let temp: TempState;
let daemon: Daemon;
let app: App;
let base: string;

beforeAll(async () => {
  // npm test installs nothing: a machine without the browser gets told what to install.
  await run(chromium, ["--version"], { timeout: 60_000 }).catch((error: Error) => {
    throw new Error(
      `the docs UI test needs Chromium and \`${chromium} --version\` failed (${error.message.split("\n")[0]}): ` +
        "install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH to a Chromium binary",
    );
  });
  temp = await tempState({ CODEXD_CHILD_COMMAND: join(packageRoot, "test/fixtures/fake-app-server.mjs"), CODEXD_CHILD_ARGS: "[]" });
  daemon = new Daemon(temp.config, pino({ level: "silent" }));
  await daemon.start();
  app = await buildApp(daemon);
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await app?.close();
  await daemon?.stop("test over");
  await temp?.cleanup();
});

/** The page as a person's browser renders it: headless Chromium runs the docs UI's scripts. */
async function renderedDom(url: string): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), "codexd-chromium-"));
  try {
    const { stdout } = await run(
      chromium,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=15000",
        "--dump-dom",
        url,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe("the docs UI", () => {
  it("lists every operation of openapi.yaml, rendered in a real browser", async () => {
    const contract = parse(await readFile(join(packageRoot, "openapi.yaml"), "utf8")) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const expected = Object.values(contract.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId!));
    expect(expected.length).toBeGreaterThan(20);

    const dom = await renderedDom(`${base}/docs/`);
    const shown = [...dom.matchAll(/opblock-summary-operation-id">([^<]+)</g)].map((m) => m[1]);
    expect(new Set(shown)).toEqual(new Set(expected));
    expect(dom).toContain("codexd");
  });
});
