/**
 * Checks of the state dir on disk: JSON files parse, the event log (live and rotated files) is
 * a strictly increasing, gap-free sequence of complete records, the run archive parses, and the
 * event history of every run, turn and session is a legal one.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { runStatusOfEvent } from "./ledger.js";

export interface LoggedEvent {
  seq: number;
  type: string;
  bootId?: string;
  runId?: string;
  sessionId?: string;
  turnId?: string;
  detail?: Record<string, unknown> | null;
  /** The line as written (without its newline). */
  line: string;
}

export interface EventScan {
  events: LoggedEvent[];
  bySeq: Map<number, LoggedEvent>;
  maxSeq: number;
  files: number;
  tornBytes: number;
}

const EVENTS = "events.jsonl";

/** Complete lines and the length of an unterminated tail. */
function splitLines(buf: Buffer): { lines: string[]; torn: number } {
  const lines: string[] = [];
  let start = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
    lines.push(buf.toString("utf8", start, nl));
    start = nl + 1;
  }
  return { lines, torn: buf.length - start };
}

/**
 * Every JSON state file (and .bak) parses, the ones that must exist do, none was moved aside; the
 * run archive parses (a torn tail is expected only right after a kill).
 */
export async function checkJsonFiles(stateDir: string, problems: string[], where: string, tornAllowed: boolean): Promise<void> {
  const problem = (text: string) => problems.push(`${where}: ${text}`);
  const names = await readdir(stateDir);
  for (const n of names.filter((n) => n.includes(".corrupt-"))) problem(`${n}: a state file was moved aside as damaged`);
  for (const need of ["identity.json", "daemon-state.json", "session-registry.json", "run-registry.json"]) {
    if (!names.includes(need)) problem(`${need} is missing`);
  }
  for (const name of names.filter((n) => !n.startsWith(".") && /\.json(\.bak)?$/.test(n))) {
    const text = await readFile(join(stateDir, name), "utf8");
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null) problem(`${name} is not a JSON object`);
    } catch (error) {
      problem(`${name} does not parse (${text.length} bytes): ${(error as Error).message}`);
    }
  }
  const archive = names.includes("run-archive.jsonl") ? await readFile(join(stateDir, "run-archive.jsonl")) : Buffer.alloc(0);
  const { lines, torn } = splitLines(archive);
  lines.forEach((line, i) => {
    try {
      JSON.parse(line);
    } catch {
      problem(`run-archive.jsonl line ${i + 1} does not parse`);
    }
  });
  if (torn > 0 && !tornAllowed) problem(`run-archive.jsonl ends with ${torn} bytes of an incomplete line (the daemon should have cut it)`);
}

/**
 * Read the event log, oldest rotated file first. `tornAllowed`: a torn tail of the live file is
 * expected right after a kill (the daemon cuts it at start); anywhere else it is a problem.
 */
export async function scanEvents(stateDir: string, tornAllowed: boolean, problems: string[], where: string): Promise<EventScan> {
  const names = await readdir(stateDir);
  const rotated = names
    .map((n) => ({ n, i: n.startsWith(`${EVENTS}.`) && /^\d+$/.test(n.slice(EVENTS.length + 1)) ? Number(n.slice(EVENTS.length + 1)) : null }))
    .filter((x): x is { n: string; i: number } => x.i !== null)
    .sort((a, b) => b.i - a.i)
    .map((x) => x.n);
  const files = [...rotated, ...(names.includes(EVENTS) ? [EVENTS] : [])];
  const scan: EventScan = { events: [], bySeq: new Map(), maxSeq: 0, files: files.length, tornBytes: 0 };
  for (const file of files) {
    const { lines, torn } = splitLines(await readFile(join(stateDir, file)));
    if (torn > 0) {
      if (file === EVENTS && tornAllowed) scan.tornBytes = torn;
      else problems.push(`${where}: ${file} ends with ${torn} bytes of an incomplete record`);
    }
    lines.forEach((line, i) => {
      let e: LoggedEvent | null = null;
      try {
        const v = JSON.parse(line) as Omit<LoggedEvent, "line">;
        if (Number.isInteger(v.seq) && typeof v.type === "string") e = { ...v, line };
      } catch {
        // reported below
      }
      if (!e) {
        problems.push(`${where}: ${file} line ${i + 1} is not an event: ${line.slice(0, 120)}`);
        return;
      }
      scan.events.push(e);
    });
  }
  let previous: LoggedEvent | null = null;
  let reported = 0;
  for (const e of scan.events) {
    if (previous && e.seq <= previous.seq && reported++ < 5) problems.push(`${where}: seq ${e.seq} (${e.type}) follows seq ${previous.seq}: not strictly increasing`);
    else if (previous && e.seq !== previous.seq + 1 && reported++ < 5) problems.push(`${where}: gap between seq ${previous.seq} and ${e.seq}`);
    if (scan.bySeq.has(e.seq) && reported++ < 5) problems.push(`${where}: seq ${e.seq} appears twice`);
    scan.bySeq.set(e.seq, e);
    scan.maxSeq = Math.max(scan.maxSeq, e.seq);
    previous = e;
  }
  return scan;
}

/**
 * The history of each run in the log is a legal one: queued, started, then one end, in that
 * order and each at most once; a turn ends once, a session is created once. Only histories that
 * went wrong in `boots` (the boots of this iteration) are reported, so a problem is reported once.
 * A second end in a later boot means the first one was written by a daemon killed before the
 * run record of the same flush was: the log then says a run ended twice, differently.
 */
export function checkLifecycles(scan: EventScan, boots: ReadonlySet<string>, problems: string[], badRuns: Set<string>): void {
  const runs = new Map<string, LoggedEvent[]>();
  const turnEnds = new Map<string, LoggedEvent[]>();
  const sessionsCreated = new Map<string, LoggedEvent[]>();
  const add = (map: Map<string, LoggedEvent[]>, key: string, e: LoggedEvent) => map.set(key, [...(map.get(key) ?? []), e]);
  for (const e of scan.events) {
    if (e.runId && runStatusOfEvent(e.type)) add(runs, e.runId, e);
    if (e.type === "turn.completed" && e.turnId) add(turnEnds, e.turnId, e);
    if (e.type === "session.created" && e.sessionId) add(sessionsCreated, e.sessionId, e);
  }
  let reported = 0;
  const problem = (e: LoggedEvent, text: string): boolean => {
    if (!boots.has(e.bootId ?? "")) return false;
    if (reported++ < 10) problems.push(text);
    return true;
  };
  for (const [runId, events] of runs) {
    let stage = -1;
    let end: LoggedEvent | null = null;
    for (const e of events) {
      const status = runStatusOfEvent(e.type)!;
      const rank = status === "queued" ? 0 : status === "running" ? 1 : 2;
      if (end) {
        const why = end.bootId === e.bootId ? "in the same boot" : "the first one was written by the killed daemon in a flush whose run record never reached the disk";
        if (problem(e, `run ${runId}: ${e.type} (seq ${e.seq}) after ${end.type} (seq ${end.seq}): two ends in the event log, ${why}`)) badRuns.add(runId);
      } else if (rank <= stage && problem(e, `run ${runId}: ${e.type} (seq ${e.seq}) again or out of order`)) badRuns.add(runId);
      stage = Math.max(stage, rank);
      if (rank === 2) end = e;
    }
  }
  for (const [turnId, ends] of turnEnds) {
    if (ends.length > 1) problem(ends.at(-1)!, `turn ${turnId}: ${ends.length} turn.completed events (seqs ${ends.map((e) => e.seq).join(", ")})`);
  }
  for (const [sessionId, created] of sessionsCreated) {
    if (created.length > 1) problem(created.at(-1)!, `session ${sessionId}: ${created.length} session.created events`);
  }
}
