import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { TurnRecord } from "../../schemas/turns.js";
import type { FileChange } from "./repo.js";

/** What a run keeps of each command's output. */
const OUTPUT_TAIL_CHARS = 2000;

export interface CommandRun {
  command: string;
  cwd: string | null;
  status: string | null;
  exitCode: number | null;
  durationMs: number | null;
  outputTail: string | null;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);
const int = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v) : null);

/** The commands Codex executed in a turn, from its `commandExecution` items. */
export function commandsOf(turn: TurnRecord | null): CommandRun[] {
  const out: CommandRun[] = [];
  for (const item of turn?.items ?? []) {
    const i = item as Record<string, unknown>;
    if (i.type !== "commandExecution") continue;
    const output = str(i.aggregatedOutput);
    out.push({
      command: str(i.command) ?? (Array.isArray(i.command) ? i.command.join(" ") : ""),
      cwd: str(i.cwd),
      status: str(i.status),
      exitCode: int(i.exitCode),
      durationMs: int(i.durationMs),
      outputTail: output === null ? null : output.length > OUTPUT_TAIL_CHARS ? output.slice(-OUTPUT_TAIL_CHARS) : output,
    });
  }
  return out;
}

/** The files a unified diff (Codex's `turn/diff/updated`) touches, counted from its hunks. */
export function changesOfUnifiedDiff(diff: string): FileChange[] {
  const out: FileChange[] = [];
  let current: FileChange | null = null;
  let inHunk = false;
  for (const line of diff.split("\n")) {
    const header = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (header) {
      current = { path: header[2]!, previousPath: null, status: "modified", insertions: 0, deletions: 0 };
      out.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (!inHunk) {
      if (line.startsWith("new file mode")) current.status = "added";
      else if (line.startsWith("deleted file mode")) current.status = "deleted";
      else if (line.startsWith("rename from ")) Object.assign(current, { status: "renamed", previousPath: line.slice("rename from ".length) });
      else if (line.startsWith("Binary files")) Object.assign(current, { insertions: null, deletions: null });
      else if (line.startsWith("@@")) inHunk = true;
      continue;
    }
    if (line.startsWith("+")) current.insertions = (current.insertions ?? 0) + 1;
    else if (line.startsWith("-")) current.deletions = (current.deletions ?? 0) + 1;
  }
  return out;
}

/** Byte-bound a diff: cut at a whole UTF-8 character. */
export function boundDiff(diff: string, maxBytes: number): { text: string; totalBytes: number; truncated: boolean } {
  const buffer = Buffer.from(diff, "utf8");
  if (buffer.length <= maxBytes) return { text: diff, totalBytes: buffer.length, truncated: false };
  let cut = buffer.subarray(0, maxBytes);
  while (cut.length > 0 && (cut[cut.length - 1]! & 0xc0) === 0x80) cut = cut.subarray(0, -1);
  if (cut.length > 0 && cut[cut.length - 1]! >= 0xc0) cut = cut.subarray(0, -1);
  return { text: cut.toString("utf8"), totalBytes: buffer.length, truncated: true };
}

/** The line that marks a stored diff as cut short. */
export const truncationMarker = (bytes: number, totalBytes: number) => `\n# codexd: diff truncated: ${bytes} of ${totalBytes} bytes kept\n`;

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)) as AddFormats;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

/** A run's outputSchema, compiled; throws with Ajv's message when it is not a valid schema. */
export function compileOutputSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv.compile(schema);
}

export interface OutputCheck {
  ok: boolean;
  output: unknown;
  errors: { path: string; message: string }[];
}

/** The final message parsed as JSON and checked against the run's outputSchema. */
export function checkOutput(schema: Record<string, unknown>, finalMessage: string | null | undefined): OutputCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(finalMessage ?? "");
  } catch (error) {
    return { ok: false, output: null, errors: [{ path: "", message: `the final message is not JSON: ${(error as Error).message}` }] };
  }
  const validate = compileOutputSchema(schema);
  if (validate(parsed)) return { ok: true, output: parsed, errors: [] };
  const errors = (validate.errors ?? []).map((e: ErrorObject) => ({ path: e.instancePath, message: e.message ?? "invalid" }));
  return { ok: false, output: null, errors };
}

/** What a finished turn adds to its run: the commands it ran, and the checked output. */
export function turnArtifacts(outputSchema: Record<string, unknown> | null | undefined, turn: TurnRecord | null) {
  const fields: { commands: CommandRun[]; output?: unknown } = { commands: commandsOf(turn) };
  let outputError: { code: string; message: string; errors: { path: string; message: string }[] } | null = null;
  if (outputSchema && turn?.status === "completed") {
    const checked = checkOutput(outputSchema, turn.finalMessage);
    if (checked.ok) fields.output = checked.output;
    else outputError = { code: "CODEXD_OUTPUT_INVALID", message: `the final message does not meet the outputSchema: ${checked.errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ")}`, errors: checked.errors };
  }
  return { fields, outputError };
}
