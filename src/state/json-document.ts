import { readFile } from "node:fs/promises";
import { moveAside } from "./durable-fs.js";

export interface Recovery {
  file: string;
  problem: "missing" | "empty" | "unparsable" | "invalid-shape";
  movedTo: string | null;
  usedBackup: boolean;
}

export interface LoadedDocument<T> {
  value: T | null;
  recovery: Recovery | null;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Recovery["problem"] };

async function readCandidate<T>(path: string, isValid: (v: unknown) => v is T): Promise<Outcome<T> | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  if (text.replace(/\0/g, "").trim() === "") return { ok: false, problem: "empty" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: "unparsable" };
  }
  return isValid(parsed) ? { ok: true, value: parsed } : { ok: false, problem: "invalid-shape" };
}

/**
 * Load a JSON document, recovering from damage instead of failing or silently resetting:
 * a bad file is moved aside as `<name>.corrupt-<ts>` and the `.bak` is used when it is good.
 * The caller records the returned recovery as an event.
 */
export async function loadJsonDocument<T>(
  path: string,
  isValid: (value: unknown) => value is T,
  now: Date,
): Promise<LoadedDocument<T>> {
  const main = await readCandidate(path, isValid);
  if (main?.ok) return { value: main.value, recovery: null };

  const movedTo = main ? await moveAside(path, now) : null;
  const backup = await readCandidate(`${path}.bak`, isValid);
  if (main === null && backup === null) return { value: null, recovery: null };

  const recovery: Recovery = {
    file: path,
    problem: main ? main.problem : "missing",
    movedTo,
    usedBackup: backup?.ok === true,
  };
  return { value: backup?.ok ? backup.value : null, recovery };
}
