import { ProblemError } from "./errors.js";

export interface PageOrder<T> {
  /** Sort key: creation time first, the id to break ties. */
  key: (item: T) => readonly [string, string];
  newestFirst: boolean;
}

const compare = (a: readonly [string, string], b: readonly [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/**
 * Keyset pagination: the cursor holds the sort key of the last item of the previous page, and the
 * next page starts right after that key. It stays valid when that item leaves the list (filtered
 * out, archived) or items are added, so paging never skips or repeats an item.
 */
export function paginate<T>(items: readonly T[], order: PageOrder<T>, limit: number, cursor?: string): { page: T[]; nextCursor: string | null } {
  const direction = order.newestFirst ? -1 : 1;
  const sorted = [...items].sort((a, b) => direction * compare(order.key(a), order.key(b)));
  let rest = sorted;
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    rest = sorted.filter((item) => direction * compare(order.key(item), after) > 0);
  }
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { page, nextCursor: more ? Buffer.from(JSON.stringify(order.key(page.at(-1)!)), "utf8").toString("base64url") : null };
}

function decodeCursor(cursor: string): readonly [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string")) return value as [string, string];
  } catch {
    // fall through
  }
  throw new ProblemError(400, "CODEXD_INVALID_CURSOR", "Invalid cursor", "Pass the nextCursor of a previous page unchanged");
}

/** Lists ordered by creation, with the id breaking ties. */
export const byCreation = <T extends { createdAt?: string }>(id: (item: T) => string, newestFirst: boolean): PageOrder<T> => ({
  key: (item) => [item.createdAt ?? "", id(item)],
  newestFirst,
});
