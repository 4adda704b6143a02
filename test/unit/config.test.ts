import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, flagName, loadConfig, redactConfig } from "../../src/config.js";
import { packageRoot } from "../../src/package-info.js";
import { connectionCapFor, openFileLimit } from "../../src/fd-limit.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const load = (env: Record<string, string> = {}, flags: Record<string, string> = {}, configFile?: string) =>
  loadConfig({ cwd: "/work", env, flags, ...(configFile ? { configFile } : {}) });

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = load();
    expect(c.http).toMatchObject({ host: "127.0.0.1", port: 4319, token: null });
    expect(c.paths.stateDir).toBe("/work/.codexd");
    expect(c.paths.logsDir).toBe("/work/.codexd/logs");
    expect(c.paths.structuredEventLogPath).toBe("/work/.codexd/events.jsonl");
    expect(c.server).toMatchObject({ childStrategy: "spawn", childArgs: ["app-server"], childCwd: "/work" });
    expect(c.server.childCommand).toMatch(/@openai\/codex\/bin\/codex\.js$/);
    expect(c.eventCacheSize).toBe(500);
  });

  it("layers defaults < config file < environment < flags", async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-cfg-"));
    const file = join(dir, "codexd.json");
    await writeFile(file, JSON.stringify({ http: { port: 5000, host: "localhost" }, eventCacheSize: 7, runs: { concurrency: 9 } }));
    const fileOnly = load({}, {}, file);
    expect(fileOnly.http).toMatchObject({ port: 5000, host: "localhost" });
    expect(fileOnly.eventCacheSize).toBe(7);
    const envWins = load({ CODEXD_PORT: "6000", CODEXD_CONFIG: file }, {});
    expect(envWins.http.port).toBe(6000);
    expect(envWins.runs.concurrency).toBe(9);
    const flagWins = load({ CODEXD_PORT: "6000" }, { port: "7000", config: file });
    expect(flagWins.http.port).toBe(7000);
    expect(flagWins.eventCacheSize).toBe(7);
  });

  it.each([
    [{ CODEXD_PORT: "abc" }, /http\.port \(from CODEXD_PORT\) = "abc": expected an integer from 0 to 65535/],
    [{ CODEXD_EVENT_CACHE_SIZE: "0" }, /eventCacheSize \(from CODEXD_EVENT_CACHE_SIZE\) = 0: expected an integer from 1 to 100000/],
    [{ CODEXD_CHILD_STRATEGY: "fork" }, /server\.childStrategy \(from CODEXD_CHILD_STRATEGY\) = "fork": expected one of "spawn", "external"/],
    [{ CODEXD_CHILD_ARGS: "notjson" }, /server\.childArgs \(from CODEXD_CHILD_ARGS\): "notjson" is not valid JSON/],
    [{ CODEXD_LOG_LEVEL: "loud" }, /logLevel \(from CODEXD_LOG_LEVEL\) = "loud": expected one of "fatal"/],
    [{ CODEXD_HOST: "0.0.0.0" }, /Refusing to listen on 0\.0\.0\.0 without a token/],
    [{ CODEXD_CHILD_STRATEGY: "external" }, /server\.endpoint = null: expected a ws:\/\/ or unix:\/\/ endpoint/],
  ])("stops on %o with a message naming the setting, the value and what is allowed", (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it("reads a 0600 token file and refuses one others can read, never echoing the token", async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-cfg-"));
    const file = join(dir, "token");
    await writeFile(file, "tok-0123456789abcdef\n", { mode: 0o600 });
    expect(load({ CODEXD_TOKEN_FILE: file }).http.token).toBe("tok-0123456789abcdef");
    await chmod(file, 0o640);
    expect(() => load({ CODEXD_TOKEN_FILE: file })).toThrow(/readable by group or others/);
    try {
      load({ CODEXD_TOKEN_FILE: file });
    } catch (error) {
      expect((error as Error).message).not.toContain("tok-0123456789abcdef");
    }
  });

  it("redacts the token for display", () => {
    const c = load({ CODEXD_TOKEN: "visible-secret-token" });
    expect(redactConfig(c).http.token).toBe("[redacted]");
    expect(JSON.stringify(redactConfig(c))).not.toContain("visible-secret-token");
  });

  it("documents every setting in the README", async () => {
    const readme = await readFile(join(packageRoot, "README.md"), "utf8");
    for (const s of SETTINGS) {
      expect(readme, s.env).toContain(`| \`${s.env}\` | \`--${flagName(s.env)}\` | \`${s.path}\` |`);
    }
  });
});

describe("connection limits in the configuration", () => {
  it("caps connections below the open-file limit read at start, keeping an eighth (at least 64) for the rest", () => {
    expect(openFileLimit("Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n")).toBe(1024);
    expect(openFileLimit("no such line")).toBeNull();
    expect([256, 1024, 20_000].map((n) => connectionCapFor(n))).toEqual([192, 896, 17_500]);
    expect(load().http.maxConnections).toBe(connectionCapFor(openFileLimit()));
  });

  it("refuses a connection cap that leaves no headroom below the open-file limit, and headers allowed longer than the request", () => {
    const limit = openFileLimit();
    if (limit !== null) expect(() => load({ CODEXD_MAX_CONNECTIONS: String(limit) })).toThrow(/http\.maxConnections = \d+: the open-file limit is \d+/);
    expect(load({ CODEXD_MAX_CONNECTIONS: "50" }).http.maxConnections).toBe(50);
    expect(() => load({ CODEXD_HEADERS_TIMEOUT_MS: "5000", CODEXD_REQUEST_TIMEOUT_MS: "1000" })).toThrow(ConfigError);
  });
});
