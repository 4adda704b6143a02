import { CodexdClient } from "../client/index.js";
import { DEFAULT_URL, type Input } from "./args.js";
import { UsageError } from "./exit-codes.js";
import { Ui, colorWanted, type Writable } from "./output.js";

export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** What a command needs: the client for the daemon, where to print, and the global options. */
export interface Context {
  client: CodexdClient;
  ui: Ui;
  url: string;
  io: Io;
}

function daemonUrl(input: Input, env: NodeJS.ProcessEnv): string {
  const url = input.string("url") ?? (env.CODEXD_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL (got ${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--url must be an http(s) URL (got ${JSON.stringify(url)})`);
  return url;
}

export function createContext(input: Input, io: Io): Context {
  const url = daemonUrl(input, io.env);
  const token = input.string("token") ?? (io.env.CODEXD_TOKEN || undefined);
  const ui = new Ui(io.stdout, io.stderr, input.flag("json"), colorWanted(io.stdout, io.env));
  return { client: new CodexdClient({ baseUrl: url, ...(token ? { token } : {}) }), ui, url, io };
}
