#!/usr/bin/env node
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { globalOptionHelp, parseArgsMessage, wantsHelp } from "./cli/args.js";
import { EXIT_CODE_HELP } from "./cli/exit-codes.js";
import { clientCommandList, runClient } from "./cli/main.js";
import { packageVersion } from "./package-info.js";

const USAGE = `codexd ${packageVersion}: local control plane for Codex app-server

Usage: codexd <command> [options]

The daemon:
  serve [--config FILE] [--<setting> VALUE ...]   run the daemon in the foreground (settings: codexd serve --help)
  openapi [--out FILE]                             print or write the OpenAPI contract (YAML)

Commands for a running daemon:
${clientCommandList()}

Run \`codexd <command> --help\` for a command's options; \`codexd --version\` prints the version.

Global options:
${globalOptionHelp()}

${EXIT_CODE_HELP}
`;

const serveUsage = (settings: ReadonlyArray<{ env: string }>, flagName: (env: string) => string) => `Usage: codexd serve [--config FILE] [--<setting> VALUE ...]

Run the daemon in the foreground; SIGINT/SIGTERM stop it gracefully.
Sources, later wins: defaults < config file (--config / CODEXD_CONFIG) < environment < flags.

Settings (flag / environment variable):
${settings.map((s) => `  --${flagName(s.env).padEnd(30)} ${s.env}`).join("\n")}
`;

async function generateOpenApi(out: string | undefined): Promise<void> {
  // The daemon's modules are loaded only by the commands that need them: client commands start fast.
  const [{ default: pino }, { buildApp }, { Daemon }, { loadConfig }] = await Promise.all([
    import("pino"),
    import("./app.js"),
    import("./daemon.js"),
    import("./config.js"),
  ]);
  const config = loadConfig({ env: {}, flags: {} });
  const app = await buildApp(new Daemon(config, pino({ level: "silent" })));
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  if (out) await writeFile(out, yaml);
  else process.stdout.write(yaml);
}

async function serveCommand(rest: string[]): Promise<void> {
  const { SETTINGS, flagName } = await import("./config.js");
  if (wantsHelp(rest)) return void process.stdout.write(serveUsage(SETTINGS, flagName));
  const options = Object.fromEntries([
    ["config", { type: "string" as const }],
    ...SETTINGS.map((s) => [flagName(s.env), { type: "string" as const }]),
  ]);
  const { values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
  const { serve } = await import("./server.js");
  return serve(values as Record<string, string | undefined>);
}

/** Exit once what was written to stdout is out (a pipe may still hold it). */
function exitWith(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.exit(code));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") return void process.stdout.write(`${packageVersion}\n`);
  const help = command === undefined || command === "--help" || command === "-h" || command === "help";
  if (help && rest.length === 0) return void process.stdout.write(USAGE);
  if (command === "help") return main([...rest, "--help"]); // codexd help runs
  if (command === "serve") return serveCommand(rest);
  if (command === "openapi") {
    if (wantsHelp(rest)) return void process.stdout.write("Usage: codexd openapi [--out FILE]\n\nPrint the OpenAPI contract (YAML), or write it to FILE.\n");
    const { values } = parseArgs({ args: rest, options: { out: { type: "string" } }, strict: true });
    return generateOpenApi(values.out);
  }
  // Client commands (an unknown one too: it is reported with the others' names, exit 2).
  // `codexd ... | head`: a reader that leaves early is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => process.exit(error.code === "EPIPE" ? 0 : 1));
  return exitWith(await runClient(argv, process));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code?.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`codexd: ${parseArgsMessage(error as Error & { code: string })}\n`);
    process.exit(2);
  }
  process.stderr.write(`codexd: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
