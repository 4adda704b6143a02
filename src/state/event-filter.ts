import type { EventLevel } from "../../schemas/common.js";
import { EventQuery, type CodexdEvent } from "../../schemas/events.js";

const LEVEL_RANK: Record<EventLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a type filter selects a type: exact, or a dotted prefix (`run` or `run.` selects `run.queued`). */
export function typeMatches(filter: string, type: string): boolean {
  if (filter.endsWith(".")) return type.startsWith(filter);
  return type === filter || type.startsWith(`${filter}.`);
}

export function matchesEventQuery(event: CodexdEvent, query: Omit<EventQuery, "after" | "limit">): boolean {
  if (query.type !== undefined && !typeMatches(query.type, event.type)) return false;
  if (query.level !== undefined && (LEVEL_RANK[event.level] ?? 0) < LEVEL_RANK[query.level]) return false;
  if (query.sessionId !== undefined && event.sessionId !== query.sessionId) return false;
  if (query.runId !== undefined && event.runId !== query.runId) return false;
  return true;
}

/** The query's selectors: every field of its schema but the cursor and the page size. */
const FILTER_KEYS = Object.keys(EventQuery.properties).filter((key) => key !== "after" && key !== "limit") as Array<keyof EventQuery>;

/** Whether a query selects by anything but its cursor and page size. */
export function hasEventFilter(query: EventQuery): boolean {
  return FILTER_KEYS.some((key) => query[key] !== undefined);
}
