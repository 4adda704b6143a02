import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ResolvedConfig } from "../schemas/config.js";
import { connectionCapFor, descriptorHeadroom, openFileLimit } from "./fd-limit.js";
import { packageVersion, pinnedCodexCommand } from "./package-info.js";

export type { ResolvedConfig };

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type SettingKind = "string" | "integer" | "json" | "nullable-string";

/** One environment variable / flag and the config path it sets. Flags are the kebab-case env name. */
interface SettingSource {
  path: string;
  env: string;
  kind: SettingKind;
}

export const SETTINGS: readonly SettingSource[] = [
  { path: "http.host", env: "CODEXD_HOST", kind: "string" },
  { path: "http.port", env: "CODEXD_PORT", kind: "integer" },
  { path: "http.token", env: "CODEXD_TOKEN", kind: "nullable-string" },
  { path: "http.tokenFile", env: "CODEXD_TOKEN_FILE", kind: "nullable-string" },
  { path: "http.bodyLimitBytes", env: "CODEXD_BODY_LIMIT_BYTES", kind: "integer" },
  { path: "http.allowedHosts", env: "CODEXD_ALLOWED_HOSTS", kind: "json" },
  { path: "http.allowedOrigins", env: "CODEXD_ALLOWED_ORIGINS", kind: "json" },
  { path: "http.rateLimitPerMinute", env: "CODEXD_RATE_LIMIT_PER_MINUTE", kind: "integer" },
  { path: "http.maxConnections", env: "CODEXD_MAX_CONNECTIONS", kind: "integer" },
  { path: "http.headersTimeoutMs", env: "CODEXD_HEADERS_TIMEOUT_MS", kind: "integer" },
  { path: "http.requestTimeoutMs", env: "CODEXD_REQUEST_TIMEOUT_MS", kind: "integer" },
  { path: "http.keepAliveTimeoutMs", env: "CODEXD_KEEP_ALIVE_TIMEOUT_MS", kind: "integer" },
  { path: "http.responseAuditFile", env: "CODEXD_RESPONSE_AUDIT_FILE", kind: "nullable-string" },
  { path: "paths.stateDir", env: "CODEXD_STATE_DIR", kind: "string" },
  { path: "paths.logsDir", env: "CODEXD_LOGS_DIR", kind: "string" },
  { path: "server.childStrategy", env: "CODEXD_CHILD_STRATEGY", kind: "string" },
  { path: "server.endpoint", env: "CODEXD_CHILD_ENDPOINT", kind: "nullable-string" },
  { path: "server.childCommand", env: "CODEXD_CHILD_COMMAND", kind: "string" },
  { path: "server.childArgs", env: "CODEXD_CHILD_ARGS", kind: "json" },
  { path: "server.childCwd", env: "CODEXD_CHILD_CWD", kind: "string" },
  { path: "nodeId", env: "CODEXD_NODE_ID", kind: "string" },
  { path: "eventCacheSize", env: "CODEXD_EVENT_CACHE_SIZE", kind: "integer" },
  { path: "logLevel", env: "CODEXD_LOG_LEVEL", kind: "string" },
  { path: "logFormat", env: "CODEXD_LOG_FORMAT", kind: "string" },
  { path: "eventLog.maxBytes", env: "CODEXD_EVENT_LOG_MAX_BYTES", kind: "integer" },
  { path: "eventLog.keepFiles", env: "CODEXD_EVENT_LOG_KEEP_FILES", kind: "integer" },
  { path: "eventLog.readCacheBytes", env: "CODEXD_EVENT_LOG_READ_CACHE_BYTES", kind: "integer" },
  { path: "childLogs.maxBytes", env: "CODEXD_CHILD_LOG_MAX_BYTES", kind: "integer" },
  { path: "childLogs.keepFiles", env: "CODEXD_CHILD_LOG_KEEP_FILES", kind: "integer" },
  { path: "runs.retention", env: "CODEXD_RUN_RETENTION", kind: "integer" },
  { path: "runs.concurrency", env: "CODEXD_RUN_CONCURRENCY", kind: "integer" },
  { path: "runs.defaultTimeoutMs", env: "CODEXD_RUN_TIMEOUT_MS", kind: "integer" },
  { path: "runs.maxQueued", env: "CODEXD_RUN_MAX_QUEUED", kind: "integer" },
  { path: "limits.promptBytes", env: "CODEXD_PROMPT_LIMIT_BYTES", kind: "integer" },
  { path: "limits.metadataBytes", env: "CODEXD_METADATA_LIMIT_BYTES", kind: "integer" },
  { path: "limits.eventDetailBytes", env: "CODEXD_EVENT_DETAIL_LIMIT_BYTES", kind: "integer" },
  { path: "limits.registryTextBytes", env: "CODEXD_REGISTRY_TEXT_LIMIT_BYTES", kind: "integer" },
  { path: "limits.turnItemsBytes", env: "CODEXD_TURN_ITEMS_LIMIT_BYTES", kind: "integer" },
  { path: "sessions.retention", env: "CODEXD_SESSION_RETENTION", kind: "integer" },
  { path: "turns.retention", env: "CODEXD_TURN_RETENTION", kind: "integer" },
  { path: "turns.silenceTimeoutMs", env: "CODEXD_TURN_SILENCE_TIMEOUT_MS", kind: "integer" },
  { path: "turns.retryGiveUpMs", env: "CODEXD_TURN_RETRY_GIVE_UP_MS", kind: "integer" },
  { path: "codex.requestTimeoutMs", env: "CODEXD_CODEX_REQUEST_TIMEOUT_MS", kind: "integer" },
  { path: "workspaces.allowedRoots", env: "CODEXD_WORKSPACES_ALLOWED_ROOTS", kind: "json" },
  { path: "workspaces.dir", env: "CODEXD_WORKSPACES_DIR", kind: "string" },
  { path: "workspaces.diffMaxBytes", env: "CODEXD_WORKSPACES_DIFF_MAX_BYTES", kind: "integer" },
  { path: "workspaces.recovery", env: "CODEXD_WORKSPACES_RECOVERY", kind: "string" },
  { path: "approvals.policy", env: "CODEXD_APPROVAL_POLICY", kind: "string" },
  { path: "approvals.timeoutMs", env: "CODEXD_APPROVAL_TIMEOUT_MS", kind: "integer" },
  { path: "storage.retryIntervalMs", env: "CODEXD_STORAGE_RETRY_INTERVAL_MS", kind: "integer" },
  { path: "streams.heartbeatMs", env: "CODEXD_SSE_HEARTBEAT_MS", kind: "integer" },
  { path: "streams.queueCapacity", env: "CODEXD_SSE_QUEUE_CAPACITY", kind: "integer" },
  { path: "streams.maxBufferedBytes", env: "CODEXD_SSE_MAX_BUFFERED_BYTES", kind: "integer" },
  { path: "child.restartPolicy", env: "CODEXD_RESTART_POLICY", kind: "string" },
  { path: "child.readyTimeoutMs", env: "CODEXD_CHILD_READY_TIMEOUT_MS", kind: "integer" },
  { path: "child.stopEofTimeoutMs", env: "CODEXD_CHILD_STOP_EOF_TIMEOUT_MS", kind: "integer" },
  { path: "child.stopTermTimeoutMs", env: "CODEXD_CHILD_STOP_TERM_TIMEOUT_MS", kind: "integer" },
  { path: "child.stopKillTimeoutMs", env: "CODEXD_CHILD_STOP_KILL_TIMEOUT_MS", kind: "integer" },
  { path: "child.backoffInitialMs", env: "CODEXD_CHILD_BACKOFF_INITIAL_MS", kind: "integer" },
  { path: "child.backoffMaxMs", env: "CODEXD_CHILD_BACKOFF_MAX_MS", kind: "integer" },
  { path: "child.backoffResetAfterMs", env: "CODEXD_CHILD_BACKOFF_RESET_AFTER_MS", kind: "integer" },
  { path: "child.startLimitBurst", env: "CODEXD_CHILD_START_LIMIT_BURST", kind: "integer" },
  { path: "child.startLimitWindowMs", env: "CODEXD_CHILD_START_LIMIT_WINDOW_MS", kind: "integer" },
  { path: "child.livenessIntervalMs", env: "CODEXD_CHILD_LIVENESS_INTERVAL_MS", kind: "integer" },
  { path: "child.livenessTimeoutMs", env: "CODEXD_CHILD_LIVENESS_TIMEOUT_MS", kind: "integer" },
  { path: "child.livenessFailures", env: "CODEXD_CHILD_LIVENESS_FAILURES", kind: "integer" },
];

export const flagName = (env: string) => env.replace(/^CODEXD_/, "").toLowerCase().replaceAll("_", "-");

export interface ConfigSources {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values keyed by flag name (kebab case, no leading dashes). */
  flags?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file; otherwise --config / CODEXD_CONFIG. */
  configFile?: string;
}

type Tree = Record<string, unknown>;

function defaults(cwd: string): Tree {
  return {
    nodeId: hostname(),
    version: packageVersion,
    eventCacheSize: 500,
    logLevel: "info",
    logFormat: "auto",
    paths: { repoRoot: cwd },
    server: {
      childStrategy: "spawn",
      mode: "app-server",
      endpoint: null,
      childCommand: pinnedCodexCommand(),
      childArgs: ["app-server"],
      childCwd: cwd,
    },
    http: {
      host: "127.0.0.1",
      port: 4319,
      token: null,
      tokenFile: null,
      bodyLimitBytes: 1024 * 1024,
      allowedHosts: [],
      allowedOrigins: [],
      rateLimitPerMinute: 600,
      maxConnections: connectionCapFor(),
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 10_000,
      responseAuditFile: null,
    },
    eventLog: { maxBytes: 64 * 1024 * 1024, keepFiles: 4, readCacheBytes: 4 * 1024 * 1024 },
    childLogs: { maxBytes: 8 * 1024 * 1024, keepFiles: 3 },
    runs: { retention: 1000, concurrency: 4, defaultTimeoutMs: 1_800_000, maxQueued: 10_000 },
    limits: { promptBytes: 256 * 1024, metadataBytes: 16 * 1024, eventDetailBytes: 64 * 1024, registryTextBytes: 64 * 1024, turnItemsBytes: 256 * 1024 },
    sessions: { retention: 1000 },
    turns: { retention: 1000, silenceTimeoutMs: 600_000, retryGiveUpMs: 120_000 },
    codex: { requestTimeoutMs: 30_000 },
    workspaces: { allowedRoots: [], diffMaxBytes: 1024 * 1024, recovery: "remove" },
    approvals: { policy: "manual", timeoutMs: 600_000 },
    streams: { heartbeatMs: 15_000, queueCapacity: 10_000, maxBufferedBytes: 8 * 1024 * 1024 },
    storage: { retryIntervalMs: 1000 },
    child: {
      restartPolicy: "on-failure",
      readyTimeoutMs: 20_000,
      stopEofTimeoutMs: 3_000,
      stopTermTimeoutMs: 3_000,
      stopKillTimeoutMs: 2_000,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      backoffResetAfterMs: 60_000,
      startLimitBurst: 5,
      startLimitWindowMs: 60_000,
      livenessIntervalMs: 15_000,
      livenessTimeoutMs: 5_000,
      livenessFailures: 3,
    },
  };
}

/** Resolve defaults < config file < environment < flags, then validate. Throws ConfigError. */
export function loadConfig(sources: ConfigSources = {}): ResolvedConfig {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const tree = defaults(cwd);
  const origin = new Map<string, string>();

  const file = sources.configFile ?? flags["config"] ?? env.CODEXD_CONFIG;
  if (file) mergeFile(tree, resolve(cwd, file), origin);

  for (const setting of SETTINGS) {
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== "") apply(tree, setting, fromEnv, setting.env, origin);
    const fromFlag = flags[flagName(setting.env)];
    if (fromFlag !== undefined) apply(tree, setting, fromFlag, `--${flagName(setting.env)}`, origin);
  }

  derivePaths(tree, cwd);
  readTokenFile(tree);
  return validate(tree, origin);
}

function mergeFile(tree: Tree, file: string, origin: Map<string, string>): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  if (!isTree(parsed)) throw new ConfigError(`Config file ${file} must hold a JSON object`);
  const walk = (target: Tree, source: Tree, prefix: string) => {
    for (const [key, value] of Object.entries(source)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isTree(value) && isTree(target[key])) walk(target[key] as Tree, value, path);
      else {
        target[key] = value;
        origin.set(path, `config file ${file}`);
      }
    }
  };
  walk(tree, parsed, "");
}

function apply(tree: Tree, setting: SettingSource, raw: string, from: string, origin: Map<string, string>): void {
  let value: unknown = raw;
  if (setting.kind === "integer" && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim());
  if (setting.kind === "json") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(`Invalid setting ${setting.path} (from ${from}): ${JSON.stringify(raw)} is not valid JSON; expected a JSON array of strings`);
    }
  }
  setPath(tree, setting.path, value);
  origin.set(setting.path, from);
}

function derivePaths(tree: Tree, cwd: string): void {
  const paths = tree.paths as Tree;
  const stateDir = resolve(cwd, typeof paths.stateDir === "string" ? paths.stateDir : ".codexd");
  const logsDir = resolve(stateDir, typeof paths.logsDir === "string" ? paths.logsDir : "logs");
  const under = (key: string, dir: string, name: string) => {
    const given = paths[key];
    paths[key] = typeof given === "string" ? (isAbsolute(given) ? given : join(dir, given)) : join(dir, name);
  };
  paths.stateDir = stateDir;
  paths.logsDir = logsDir;
  under("identityPath", stateDir, "identity.json");
  under("daemonStatePath", stateDir, "daemon-state.json");
  under("sessionRegistryPath", stateDir, "session-registry.json");
  under("runRegistryPath", stateDir, "run-registry.json");
  under("runArchivePath", stateDir, "run-archive.jsonl");
  under("turnRegistryPath", stateDir, "turn-registry.json");
  under("recentEventsPath", stateDir, "recent-events.json");
  under("structuredEventLogPath", stateDir, "events.jsonl");
  under("stdoutLogPath", logsDir, "child.stdout.log");
  under("stderrLogPath", logsDir, "child.stderr.log");
  const workspaces = tree.workspaces as Tree;
  workspaces.dir = resolve(stateDir, typeof workspaces.dir === "string" ? workspaces.dir : "worktrees");
  if (Array.isArray(workspaces.allowedRoots)) workspaces.allowedRoots = workspaces.allowedRoots.map((r) => (typeof r === "string" ? resolve(cwd, r) : r));
  const server = tree.server as Tree;
  if (typeof server.childCwd === "string") server.childCwd = resolve(cwd, server.childCwd);
}

function readTokenFile(tree: Tree): void {
  const http = tree.http as Tree;
  if (typeof http.tokenFile !== "string" || http.token) return;
  let mode: number;
  try {
    mode = statSync(http.tokenFile).mode;
    http.token = readFileSync(http.tokenFile, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`Cannot read token file ${http.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`Token file ${http.tokenFile} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  if (http.token === "") throw new ConfigError(`Token file ${http.tokenFile} is empty`);
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost|\[::1\])$/i;
export const isLoopback = (host: string) => LOOPBACK.test(host);

function validate(tree: Tree, origin: Map<string, string>): ResolvedConfig {
  if (Value.Check(ResolvedConfig, tree)) {
    if (!isLoopback(tree.http.host) && !tree.http.token) {
      throw new ConfigError(
        `Refusing to listen on ${tree.http.host} without a token: anyone who can reach it could drive Codex. Set CODEXD_TOKEN or CODEXD_TOKEN_FILE, or bind 127.0.0.1`,
      );
    }
    const { maxConnections, headersTimeoutMs, requestTimeoutMs } = tree.http;
    const fdLimit = openFileLimit();
    if (fdLimit !== null && maxConnections > connectionCapFor(fdLimit)) {
      throw new ConfigError(
        `Invalid setting http.maxConnections = ${maxConnections}: the open-file limit is ${fdLimit} and ${descriptorHeadroom(fdLimit)} of it is kept for state files and the child, so at most ${connectionCapFor(fdLimit)} (raise the limit with ulimit -n, or lower CODEXD_MAX_CONNECTIONS)`,
      );
    }
    if (headersTimeoutMs > requestTimeoutMs) {
      throw new ConfigError(`Invalid setting http.headersTimeoutMs = ${headersTimeoutMs}: expected at most http.requestTimeoutMs (${requestTimeoutMs}); headers are part of the request`);
    }
    if (tree.server.childStrategy === "external" && !tree.server.endpoint) {
      throw new ConfigError("Invalid setting server.endpoint = null: expected a ws:// or unix:// endpoint when server.childStrategy is \"external\" (CODEXD_CHILD_ENDPOINT)");
    }
    return tree;
  }
  const problems: string[] = [];
  for (const error of Value.Errors(ResolvedConfig, tree)) {
    const path = error.path.slice(1).replaceAll("/", ".");
    if (problems.some((p) => p.includes(` ${path} `))) continue;
    const from = origin.get(path);
    const shown = path === "http.token" ? "(hidden)" : JSON.stringify(error.value);
    problems.push(`Invalid setting ${path} ${from ? `(from ${from}) ` : ""}= ${shown}: expected ${describe(error.schema)}`);
  }
  throw new ConfigError(problems.slice(0, 5).join("\n"));
}

/** What a schema allows, in words, for error messages. */
export function describe(schema: TSchema): string {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) {
    const consts = (s.anyOf as Record<string, unknown>[]).map((o) => ("const" in o ? JSON.stringify(o.const) : describe(o as TSchema)));
    return `one of ${consts.join(", ")}`;
  }
  if ("const" in s) return JSON.stringify(s.const);
  if (s.type === "integer") {
    const lo = s.minimum, hi = s.maximum;
    if (lo !== undefined && hi !== undefined) return `an integer from ${lo} to ${hi}`;
    if (lo !== undefined) return `an integer >= ${lo}`;
    return "an integer";
  }
  if (s.type === "string") {
    if (s.pattern) return `a string matching ${s.pattern}`;
    if (s.minLength) return `a string of at least ${s.minLength} characters`;
    return "a string";
  }
  if (s.type === "array") return "an array of strings";
  if (s.type === "null") return "null";
  if (s.type === "object") return "an object with known keys only";
  return String(s.type ?? "a valid value");
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys.at(-1)!] = value;
}

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The config as shown to clients: secrets replaced. */
export function redactConfig(config: ResolvedConfig): ResolvedConfig {
  return { ...config, http: { ...config.http, token: config.http.token ? "[redacted]" : null } };
}
