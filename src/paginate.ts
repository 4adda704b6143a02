import { ProblemError } from "./errors.js";

/**
 * Cursor pagination over an already ordered list: the cursor names the last key of the previous
 * page (opaque to clients, base64url). A cursor whose item has gone resumes nowhere: 400.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, limit: number, cursor?: string): { page: T[]; nextCursor: string | null } {
  let start = 0;
  if (cursor !== undefined) {
    const key = Buffer.from(cursor, "base64url").toString("utf8");
    const at = items.findIndex((item) => keyOf(item) === key);
    if (at < 0) throw new ProblemError(400, "CODEXD_INVALID_CURSOR", "Invalid cursor", "The cursor does not name an item of this list");
    start = at + 1;
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { page, nextCursor: more && page.length > 0 ? Buffer.from(keyOf(page.at(-1)!), "utf8").toString("base64url") : null };
}
