/** The events that tell when the event log stops and starts rotating again. */
import type { EventInput } from "./store.js";

/** The first rotation of a streak failed: the live file stays in use (past its size while the failure lasts). */
export function rotationFailedEvent(file: string, error: NodeJS.ErrnoException): EventInput {
  return {
    level: "warn",
    type: "event_log.rotation_failed",
    message: `event log ${file} could not rotate: ${error.code ?? "error"} (${error.message}); events are still written to it`,
    detail: { file, cause: error.code ?? null, reason: error.message },
  };
}

/** A rotation worked after failures that had kept the live file in use past its size. */
export function rotationRecoveredEvent(file: string): EventInput {
  return { level: "info", type: "event_log.rotation_recovered", message: `event log ${file} rotates again`, detail: { file } };
}
