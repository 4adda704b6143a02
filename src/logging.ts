/**
 * The daemon's log: pino JSON for machines, readable lines (pino-pretty) for a person at a
 * terminal, and the start banner.
 */
import { LogController, type FastifyBaseLogger, type FastifyRequest, type FastifyServerOptions } from "fastify";
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from "pino";
import pretty from "pino-pretty";
import type { CodexAccountState } from "../schemas/status.js";
import { describeAccount } from "./codex/account.js";
import type { ResolvedConfig } from "./config.js";

/** Whether this process should print readable lines rather than JSON. */
export function wantsPretty(format: ResolvedConfig["logFormat"], stream: { isTTY?: boolean } = process.stdout): boolean {
  return format === "pretty" || (format === "auto" && stream.isTTY === true);
}

export function createLogger(level: ResolvedConfig["logLevel"], format: ResolvedConfig["logFormat"] = "json"): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { name: "codexd", pid: process.pid },
    // The token must never reach a log line, whatever object carries it.
    redact: { paths: ["req.headers.authorization", "*.token", "*.*.token", "http.token"], censor: "[redacted]" },
  };
  if (!wantsPretty(format)) return pino(options);
  // In this thread and synchronous: a terminal is slow enough that ordering matters more.
  const stream = pretty({
    colorize: process.stdout.isTTY === true,
    sync: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name,reqId",
    singleLine: true,
  });
  return pino(options, stream);
}

/** Routes that monitors and dashboards poll: their request lines are debug, not info. */
const POLLED = new Set(["/healthz", "/readyz", "/metrics", "/v1/status"]);

/** Whether a line at info would be written ("silent" and any level above info write none). */
function writesInfo(log: FastifyBaseLogger): boolean {
  return (pino.levels.values[log.level] ?? Number.POSITIVE_INFINITY) <= pino.levels.values.info!;
}

/** Fastify's request lines, at debug for polled routes (at info for every other route). */
export class RequestLogController extends LogController {
  private polled(request: FastifyRequest): boolean {
    return POLLED.has(request.routeOptions.url ?? "");
  }

  override incomingRequest(request: FastifyRequest, reply: Parameters<LogController["incomingRequest"]>[1]): void {
    // Below info neither line would be written: no route to look up on every request.
    if (!writesInfo(request.log)) return;
    if (this.polled(request)) request.log.debug({ req: request }, "incoming request");
    else super.incomingRequest(request, reply);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: Parameters<LogController["requestCompleted"]>[2]): void {
    if (!error && !writesInfo(reply.log)) return;
    if (!error && this.polled(request)) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
    else super.requestCompleted(error, request, reply);
  }
}

type LineLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * A request's logger, bound to its id, made only when it writes a line. Fastify gives every
 * request a child of the daemon's logger; pino builds a child's bindings at once, which costs a
 * few percent of a small read, and most requests write nothing (a polled route's lines are
 * debug). Lines and levels are the same as from a child made at once.
 */
class DeferredChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly childBindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.childBindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(): void {}

  private write(level: LineLevel, args: unknown[]): void {
    if (pino.levels.values[level]! < (pino.levels.values[this.level] ?? Number.POSITIVE_INFINITY)) return;
    const logger = this.logger;
    (logger[level] as (...line: unknown[]) => void).apply(logger, args);
  }
}

/** Fastify's childLoggerFactory: each request's logger is a DeferredChildLogger. */
export const deferredRequestLogger: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (logger, bindings, options) => new DeferredChildLogger(logger, bindings, options);

export interface BannerFacts {
  version: string;
  url: string;
  stateDir: string;
  child: string;
  /** What the app-server said of Codex's account so far (usually nothing yet at start). */
  account: CodexAccountState;
}

/** The lines a person sees first: where to reach it, where its state is, what it runs. */
export function banner(facts: BannerFacts): string {
  const rows: Array<[string, string]> = [
    ["API", facts.url],
    ["docs", `${facts.url}/docs`],
    ["state dir", facts.stateDir],
    ["child", facts.child],
    ["Codex account", facts.account.checkedAt === null ? "not known yet (logged, and shown by `codexd status`, once the child has said)" : describeAccount(facts.account)],
  ];
  return [`codexd ${facts.version} is listening`, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(15)}${v}`), "  stop with Ctrl-C", ""].join("\n");
}
