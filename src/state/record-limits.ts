import type { RunRecord } from "../../schemas/runs.js";
import type { TurnRecord } from "../../schemas/turns.js";
import { boundObject, cutText, jsonBytes, type StoredByteLimits } from "./byte-limits.js";

type Limits = Pick<StoredByteLimits, "registryTextBytes" | "turnItemsBytes">;

/** A text field cut to the limit, with `<name>Truncated: true` and `<name>Bytes` (its size) beside it. */
function cutField(name: string, text: string | null | undefined, maxBytes: number): Record<string, unknown> {
  if (typeof text !== "string") return {};
  const cut = cutText(text, maxBytes);
  return cut === text ? {} : { [name]: cut, [`${name}Truncated`]: true, [`${name}Bytes`]: Buffer.byteLength(text, "utf8") };
}

/**
 * A turn as turn-registry.json keeps it: its input, its final message and each item within
 * registryTextBytes, all items together within turnItemsBytes (the newest items are kept whole
 * first; older ones beyond the budget keep their id, type and status, marked truncated). The
 * event log keeps the notifications the items were built from.
 */
export function boundTurn(turn: TurnRecord, limits: Limits): TurnRecord {
  const { registryTextBytes, turnItemsBytes } = limits;
  let items = turn.items;
  let budget = turnItemsBytes;
  let changed = false;
  const kept: Record<string, unknown>[] = new Array(items.length);
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    let bounded = boundObject(item, registryTextBytes);
    let size = bounded === item ? jsonBytes(item) : jsonBytes(bounded);
    if (size > budget) {
      const { id, type, status, partial } = item as Record<string, unknown>;
      bounded = { id, type, ...(status !== undefined ? { status } : {}), ...(partial !== undefined ? { partial } : {}), truncated: true, originalBytes: jsonBytes(item) };
      size = jsonBytes(bounded);
    }
    budget = Math.max(0, budget - size);
    if (bounded !== item) changed = true;
    kept[i] = bounded;
  }
  if (changed) items = kept;
  const input = cutField("input", turn.input, registryTextBytes);
  const finalMessage = cutField("finalMessage", turn.finalMessage, registryTextBytes);
  const error = turn.error?.detail !== undefined ? boundObject(turn.error as Record<string, unknown>, registryTextBytes) : turn.error;
  if (!changed && !("input" in input) && !("finalMessage" in finalMessage) && error === turn.error) return turn;
  return { ...turn, ...input, ...finalMessage, items, error: error as TurnRecord["error"] };
}

/**
 * A run as run-registry.json keeps it: its final message within registryTextBytes. Its prompt is
 * kept whole (a queued run needs it to start); the prompt and metadata limits bound them at the API.
 */
export function boundRun(run: RunRecord, limits: Pick<StoredByteLimits, "registryTextBytes">): RunRecord {
  const finalMessage = cutField("finalMessage", run.finalMessage, limits.registryTextBytes);
  return "finalMessage" in finalMessage ? { ...run, ...finalMessage } : run;
}
