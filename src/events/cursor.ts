import { ProblemError } from "../errors.js";

/** What a cursor is checked against: the oldest event still kept and the newest durable one. */
export interface EventBounds {
  readonly oldestEventSeq: number | null;
  readonly lastSeq: number;
}

/**
 * One rule for every reader of the event log (the list route and the stream): a cursor older
 * than what is kept is 410 with `oldestSeq` (events would be skipped without a word), one beyond
 * the newest event is 400 with `lastSeq` (it names events that do not exist yet, so the reader
 * would silently miss the ones recorded up to it).
 */
export function checkCursor(bounds: EventBounds, after: number): void {
  const { lastSeq } = bounds;
  // Nothing kept at all while events were recorded: everything up to lastSeq is gone.
  const oldest = bounds.oldestEventSeq ?? lastSeq + 1;
  if (after < oldest - 1) {
    throw new ProblemError(
      410,
      "CODEXD_CURSOR_EXPIRED",
      "Cursor expired",
      `Events after ${after} are no longer retained; the oldest is ${oldest}. Resume from after=${oldest - 1}: events ${after + 1} to ${oldest - 1} are lost`,
      { oldestSeq: oldest },
    );
  }
  if (after > lastSeq) {
    throw new ProblemError(400, "CODEXD_CURSOR_AHEAD", "Cursor ahead of the log", `No event ${after} has been recorded; the last seq is ${lastSeq}`, { lastSeq });
  }
}
