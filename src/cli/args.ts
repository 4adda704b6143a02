/**
 * Command specs and their parsing (node:util parseArgs, strict): options with a value
 * placeholder, choices and integer ranges, positional arguments, and the --help text made from
 * the same spec.
 */
import { parseArgs } from "node:util";
import { EXIT_CODE_HELP, UsageError, type ExitCode } from "./exit-codes.js";
import type { Context } from "./context.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder in the help, e.g. `N`. */
  value?: string;
  description: string;
  choices?: readonly string[];
  integer?: { min: number; max: number };
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec {
  /** Full name, e.g. `runs create`. */
  name: string;
  /** Positional arguments; `[NAME]` is optional. */
  args?: readonly string[];
  summary: string;
  description?: string;
  options?: OptionSpecs;
  run(ctx: Context, input: Input): Promise<ExitCode | void>;
}

export interface GroupSpec {
  name: string;
  summary: string;
  commands: readonly CommandSpec[];
}

export const DEFAULT_URL = "http://127.0.0.1:4319";

export const GLOBAL_OPTIONS: OptionSpecs = {
  url: { type: "string", value: "URL", description: `daemon address (default: env CODEXD_URL, else ${DEFAULT_URL})` },
  token: { type: "string", value: "TOKEN", description: "bearer token (default: env CODEXD_TOKEN)" },
  json: { type: "boolean", description: "print the API's JSON: one document; with --follow, one JSON per line" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

type Value = string | number | boolean | undefined;

/** Parsed options and positional arguments of one command. */
export class Input {
  constructor(
    readonly values: Readonly<Record<string, Value>>,
    readonly args: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === "string" ? v : undefined;
  }

  number(name: string): number | undefined {
    const v = this.values[name];
    return typeof v === "number" ? v : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  arg(index: number): string {
    return this.args[index]!;
  }
}

const isHelpFlag = (token: string) => token === "--help" || token === "-h";

/** Whether --help/-h is asked for (before a `--` that ends the options). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some(isHelpFlag);
}

/** How many leading tokens are global options (`--json`, `--url X`, `--token=Y`, ...). */
export function leadingGlobalCount(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length) {
    const name = /^--([^=]+)/.exec(argv[i]!)?.[1] ?? (isHelpFlag(argv[i]!) ? "help" : undefined);
    const spec = name !== undefined && Object.hasOwn(GLOBAL_OPTIONS, name) ? GLOBAL_OPTIONS[name] : undefined;
    if (!spec) break;
    i += spec.type === "string" && !argv[i]!.includes("=") ? 2 : 1;
  }
  return Math.min(i, argv.length);
}

function checkValue(name: string, spec: OptionSpec, raw: string): string | number {
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")} (got ${JSON.stringify(raw)})`);
  }
  if (!spec.integer) return raw;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < spec.integer.min || n > spec.integer.max) {
    throw new UsageError(`--${name} must be an integer from ${spec.integer.min} to ${spec.integer.max} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

function checkArgs(spec: CommandSpec, positionals: string[]): void {
  const names = spec.args ?? [];
  const required = names.filter((n) => !n.startsWith("["));
  if (positionals.length < required.length) throw new UsageError(`missing ${required.slice(positionals.length).join(" ")}`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
}

/**
 * node:util parseArgs' message, said plainly: its unknown-option text ends in an unbalanced quote
 * (`... as in '-- "--x"`), so that one is rewritten.
 */
export function parseArgsMessage(error: Error & { code: string }): string {
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /^Unknown option '([^']*)'/.exec(error.message)?.[1];
    if (option !== undefined) return `unknown option '${option}' (a value that starts with '-' goes after '--': -- ${JSON.stringify(option)})`;
  }
  return error.message;
}

/** Parse a command's tokens (global options allowed anywhere); a bad one is a UsageError. */
export function parseInput(spec: CommandSpec, argv: string[]): Input {
  const specs = { ...GLOBAL_OPTIONS, ...spec.options };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, s.short ? { type: s.type, short: s.short } : { type: s.type }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) throw new UsageError(parseArgsMessage(error as Error & { code: string }));
    throw error;
  }
  checkArgs(spec, parsed.positionals);
  const values: Record<string, Value> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    values[name] = typeof raw === "string" ? checkValue(name, specs[name]!, raw) : (raw as boolean | undefined);
  }
  return new Input(values, parsed.positionals);
}

function optionLines(specs: OptionSpecs): string[] {
  const heads = Object.entries(specs).map(([name, s]) => {
    const short = s.short ? `-${s.short}, ` : "";
    const value = s.type === "string" ? ` ${s.choices ? s.choices.join("|") : (s.value ?? "VALUE")}` : "";
    return [`${short}--${name}${value}`, s.description] as const;
  });
  const width = Math.max(...heads.map(([h]) => h.length));
  return heads.map(([head, text]) => `  ${head.padEnd(width)}  ${text}`);
}

/** `codexd runs create PROMPT [options]` */
export function usageLine(spec: CommandSpec): string {
  return ["codexd", spec.name, ...(spec.args ?? []), "[options]"].join(" ");
}

export function commandHelp(spec: CommandSpec): string {
  const local = spec.options && Object.keys(spec.options).length > 0 ? ["", "Options:", ...optionLines(spec.options)] : [];
  return [
    `Usage: ${usageLine(spec)}`,
    "",
    spec.summary,
    ...(spec.description ? ["", spec.description] : []),
    ...local,
    "",
    ...helpFooter(),
  ].join("\n");
}

/** The group's commands, one line each (also what a usage error in the group shows). */
export function groupCommands(group: GroupSpec): string {
  const width = Math.max(...group.commands.map((c) => usageLine(c).length));
  return [
    "Commands:",
    ...group.commands.map((c) => `  ${usageLine(c).padEnd(width)}  ${c.summary}`),
    "",
    `Run \`codexd ${group.name} <command> --help\` for a command's options.`,
  ].join("\n");
}

export function groupHelp(group: GroupSpec): string {
  return [
    `Usage: codexd ${group.name} <command> [options]`,
    "",
    group.summary,
    "",
    groupCommands(group),
    "",
    ...helpFooter(),
  ].join("\n");
}

/** What every help text ends with: the global options and the exit codes. */
function helpFooter(): string[] {
  return ["Global options:", ...optionLines(GLOBAL_OPTIONS), "", EXIT_CODE_HELP, ""];
}

export const globalOptionHelp = (): string => optionLines(GLOBAL_OPTIONS).join("\n");
