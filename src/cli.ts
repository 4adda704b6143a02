#!/usr/bin/env node
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import pino from "pino";
import { buildApp } from "./app.js";
import { SETTINGS, flagName, loadConfig } from "./config.js";
import { Daemon } from "./daemon.js";
import { packageVersion } from "./package-info.js";
import { serve } from "./server.js";

const USAGE = `codexd ${packageVersion}: local control plane for Codex app-server

Usage:
  codexd serve [--config FILE] [--<setting> VALUE ...]   run the daemon in the foreground
  codexd openapi [--out FILE]                             print or write the OpenAPI contract (YAML)
  codexd --version | --help

Settings (flag / environment variable):
${SETTINGS.map((s) => `  --${flagName(s.env).padEnd(30)} ${s.env}`).join("\n")}
`;

async function generateOpenApi(out: string | undefined): Promise<void> {
  const config = loadConfig({ env: {}, flags: {} });
  const app = await buildApp(new Daemon(config, pino({ level: "silent" })));
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  if (out) await writeFile(out, yaml);
  else process.stdout.write(yaml);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") return void process.stdout.write(`${packageVersion}\n`);
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    return void process.stdout.write(USAGE);
  }
  if (command === "serve") {
    const options = Object.fromEntries([
      ["config", { type: "string" as const }],
      ...SETTINGS.map((s) => [flagName(s.env), { type: "string" as const }]),
    ]);
    const { values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
    return serve(values as Record<string, string | undefined>);
  }
  if (command === "openapi") {
    const { values } = parseArgs({ args: rest, options: { out: { type: "string" } }, strict: true });
    return generateOpenApi(values.out);
  }
  process.stderr.write(`codexd: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code?.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`codexd: ${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`codexd: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
