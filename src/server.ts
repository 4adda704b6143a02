import closeWithGrace from "close-with-grace";
import pino, { type Logger } from "pino";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type ResolvedConfig } from "./config.js";
import { Daemon } from "./daemon.js";

export function createLogger(level: ResolvedConfig["logLevel"]): Logger {
  return pino({
    level,
    base: { name: "codexd", pid: process.pid },
    // The token must never reach a log line, whatever object carries it.
    redact: { paths: ["req.headers.authorization", "*.token", "*.*.token", "http.token"], censor: "[redacted]" },
  });
}

function fail(message: string): never {
  process.stderr.write(`codexd: ${message}\n`);
  process.exit(1);
}

/** Process entry: config -> daemon.start() -> listen -> graceful close on SIGINT/SIGTERM. */
export async function serve(flags: Record<string, string | undefined>): Promise<void> {
  let config: ResolvedConfig;
  try {
    config = loadConfig({ flags });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const daemon = new Daemon(config, logger, {
    // Stopping gracefully would write over the new owner's files: leave at once.
    onStateDirLost: (reason) => fail(`lost the lock of state directory ${config.paths.stateDir} (${reason}); exiting without writing`),
  });
  try {
    await daemon.start();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    fail(`cannot use state directory ${config.paths.stateDir}: ${e.code ?? ""} ${e.message}`.trim());
  }
  const app = await buildApp(daemon, { logger });
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await daemon.stop("listen failed").catch(() => {});
    fail(`cannot listen on ${config.http.host}:${config.http.port}: ${(error as Error).message}`);
  }

  closeWithGrace({ delay: 15_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "shutting down after an error");
    await app.close();
    await daemon.stop(signal ?? (err ? "error" : "exit"));
  });
}
