/**
 * The client side of `codexd`: find the command in argv, parse its options, run it against the
 * daemon and turn whatever went wrong into a message on stderr and an exit code.
 */
import { CodexdApiError } from "../client/index.js";
import { approvalsGroup } from "./approvals.js";
import { commandHelp, groupCommands, groupHelp, leadingGlobalCount, parseInput, usageLine, wantsHelp, type CommandSpec, type GroupSpec } from "./args.js";
import { childGroup } from "./child.js";
import { createContext, type Io } from "./context.js";
import { eventsCommand } from "./events.js";
import { EXIT, UsageError, exitCodeFor, isUnreachable } from "./exit-codes.js";
import { runsGroup } from "./runs.js";
import { sessionsGroup } from "./sessions.js";
import { statusCommand } from "./status.js";
import { turnCommand } from "./turn.js";

const COMMANDS: readonly CommandSpec[] = [statusCommand, turnCommand, eventsCommand];
const GROUPS: readonly GroupSpec[] = [childGroup, sessionsGroup, runsGroup, approvalsGroup];

/** One line per command (group commands folded), for the top-level help. */
export function clientCommandList(): string {
  const rows = [
    ...COMMANDS.map((c) => [usageLine(c).replace(/^codexd | \[options\]$/g, ""), c.summary] as const),
    ...GROUPS.map((g) => [`${g.name} ${g.commands.map((c) => c.name.split(" ")[1]).join("|")}`, g.summary] as const),
  ];
  const width = Math.max(...rows.map(([u]) => u.length));
  return rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}`).join("\n");
}

/** The message for a command that does not exist, naming those that do. */
export function unknownCommand(name: string | undefined): string {
  const names = ["serve", "openapi", ...COMMANDS.map((c) => c.name), ...GROUPS.map((g) => g.name)];
  return `${name === undefined ? "missing command" : `unknown command ${JSON.stringify(name)}`}; commands: ${names.join(", ")} (see codexd --help)`;
}

type Resolved = { help: string } | { spec: CommandSpec; argv: string[] };

/** Global options may come before the command, between a group and its command, or after. */
function findCommand(argv: readonly string[]): Resolved {
  const lead = leadingGlobalCount(argv);
  const [name, ...rest] = argv.slice(lead);
  const before = argv.slice(0, lead);
  const single = COMMANDS.find((c) => c.name === name);
  if (single) return { spec: single, argv: [...before, ...rest] };
  const group = GROUPS.find((g) => g.name === name);
  if (!group) throw new UsageError(unknownCommand(name));
  const inner = leadingGlobalCount(rest);
  const [sub, ...tail] = rest.slice(inner);
  const globals = [...before, ...rest.slice(0, inner)];
  if (sub === undefined) {
    if (wantsHelp(globals)) return { help: groupHelp(group) };
    throw new UsageError(`codexd ${group.name} needs a command`, groupCommands(group));
  }
  const spec = group.commands.find((c) => c.name === `${group.name} ${sub}`);
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(`${group.name} ${sub}`)}`, groupCommands(group));
  return { spec, argv: [...globals, ...tail] };
}

function report(error: unknown, io: Io, where: { url?: string; spec?: CommandSpec }): void {
  const write = (text: string) => io.stderr.write(`${text}\n`);
  if (error instanceof UsageError) {
    write(`codexd: ${error.message}`);
    if (error.help) write(`\n${error.help.trimEnd()}`);
    else if (where.spec) write(`Run \`codexd ${where.spec.name} --help\` for usage.`);
  } else if (error instanceof CodexdApiError) {
    write(`${error.code}: ${error.problem.detail ?? error.problem.title}`);
    for (const e of error.problem.errors ?? []) write(`  ${e.location} ${e.path || "/"}: ${e.message}`);
    if (error.code === "CODEXD_TURN_ACTIVE" && where.spec === turnCommand) write("codexd: add --steer to send the text to the active turn");
  } else if (isUnreachable(error)) {
    const e = error as { code?: string; message?: string };
    write(`codexd: cannot reach the daemon at ${where.url}: ${e.code ?? e.message} (is \`codexd serve\` running? see --url, CODEXD_URL)`);
  } else {
    write(`codexd: ${(error as Error)?.message ?? String(error)}`);
  }
}

function printHelp(io: Io, text: string): number {
  io.stdout.write(text);
  return EXIT.ok;
}

/** Run one client command; resolves to the exit code. */
export async function runClient(argv: readonly string[], io: Io): Promise<number> {
  const where: { url?: string; spec?: CommandSpec } = {};
  try {
    const found = findCommand(argv);
    if ("help" in found) return printHelp(io, found.help);
    where.spec = found.spec;
    if (wantsHelp(found.argv)) return printHelp(io, commandHelp(found.spec));
    const input = parseInput(found.spec, found.argv);
    const ctx = createContext(input, io);
    where.url = ctx.url;
    return (await found.spec.run(ctx, input)) ?? EXIT.ok;
  } catch (error) {
    report(error, io, where);
    return exitCodeFor(error);
  }
}
