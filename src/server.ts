import { createServer } from "node:net";
import closeWithGrace from "close-with-grace";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type ResolvedConfig } from "./config.js";
import { Daemon } from "./daemon.js";
import { banner, createLogger, wantsPretty } from "./logging.js";

export { createLogger } from "./logging.js";

function fail(message: string): never {
  process.stderr.write(`codexd: ${message}\n`);
  process.exit(1);
}

const portAdvice = (port: number) => `port ${port} is in use (another codexd?): choose another with --port N (or CODEXD_PORT)`;

/**
 * Whether host:port can be bound, found out before anything else starts (no Codex child is
 * spawned for a daemon that cannot listen). A race with another process remains possible; the
 * real listen reports that one the same way.
 */
function probeListen(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

function listenFailure(config: ResolvedConfig, error: NodeJS.ErrnoException): string {
  const where = `${config.http.host}:${config.http.port}`;
  return error.code === "EADDRINUSE" ? `cannot listen on ${where}: ${portAdvice(config.http.port)}` : `cannot listen on ${where}: ${error.message}`;
}

/** Process entry: config -> probe the port -> daemon.start() -> listen -> graceful close on SIGINT/SIGTERM. */
export async function serve(flags: Record<string, string | undefined>): Promise<void> {
  let config: ResolvedConfig;
  try {
    config = loadConfig({ flags });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (flags["token"] !== undefined) {
    process.stderr.write(
      "codexd: warning: --token puts the token on the command line, where other users of this machine can read it (ps, /proc/<pid>/cmdline); use CODEXD_TOKEN_FILE (a file of mode 0600) instead\n",
    );
  }
  const unusable = await probeListen(config.http.host, config.http.port);
  if (unusable) fail(listenFailure(config, unusable));

  const logger = createLogger(config.logLevel, config.logFormat);
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
  let address: string;
  try {
    address = await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await daemon.stop("listen failed").catch(() => {});
    fail(listenFailure(config, error as NodeJS.ErrnoException));
  }

  const facts = {
    version: config.version,
    url: address,
    stateDir: config.paths.stateDir,
    child: config.server.childStrategy === "external" ? `external app-server at ${config.server.endpoint}` : [config.server.childCommand, ...config.server.childArgs].join(" "),
    account: daemon.child.account.state,
  };
  if (wantsPretty(config.logFormat)) process.stdout.write(`\n${banner(facts)}\n`);
  else logger.info({ ...facts, docs: `${address}/docs` }, "codexd is listening");

  closeWithGrace({ delay: 15_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "shutting down after an error");
    await app.close();
    await daemon.stop(signal ?? (err ? "error" : "exit"));
  });
}
