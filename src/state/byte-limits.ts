/**
 * Byte bounds for what the store keeps in memory and rewrites: an event's detail, the texts of
 * turn and run records. A value over its bound is cut and says so (`truncated: true` with the
 * size it had), never dropped silently; one within its bound is returned as it is (same object).
 * Sizes are UTF-8 bytes of the JSON text, counted without serializing big values whole.
 */

export interface StoredByteLimits {
  eventDetailBytes: number;
  registryTextBytes: number;
  turnItemsBytes: number;
}

/** Appended to a string that was cut, so a reader of the text itself sees it is not whole. */
export const CUT_MARK = "…[truncated]";
const MAX_DEPTH = 100;

/**
 * Bytes of `value` as JSON, counted by walking it (strings by their UTF-8 length plus quotes;
 * escapes are not counted, so text full of control characters is under-counted).
 */
export function jsonBytes(value: unknown, depth = 0): number {
  if (typeof value === "string") return Buffer.byteLength(value, "utf8") + 2;
  if (value === null || typeof value !== "object") return value === undefined ? 0 : String(value).length;
  if (depth > MAX_DEPTH) return 0;
  let n = 2;
  if (Array.isArray(value)) {
    for (const v of value) n += jsonBytes(v, depth + 1) + 1;
    return n;
  }
  for (const [k, v] of Object.entries(value)) if (v !== undefined) n += Buffer.byteLength(k, "utf8") + 4 + jsonBytes(v, depth + 1);
  return n;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (the mark included), never inside a character. */
export function cutText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(CUT_MARK, "utf8"));
  let head = text.slice(0, room);
  while (Buffer.byteLength(head, "utf8") > room) head = head.slice(0, Math.floor(head.length * 0.9));
  // Never leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head + CUT_MARK;
}

/** A copy of `value` with every string longer than `cap` bytes cut to it. */
function capStrings(value: unknown, cap: number, depth = 0): unknown {
  if (typeof value === "string") return cutText(value, cap);
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) return value.map((v) => capStrings(v, cap, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = capStrings(v, cap, depth + 1);
  return out;
}

/**
 * `value` within `maxBytes` of JSON: its long strings cut, shorter and shorter, until it fits;
 * a value made of too many small parts to fit that way becomes a `preview` of its JSON text.
 * `null` when it fits already.
 */
export function boundValue(value: unknown, maxBytes: number): { value: unknown; originalBytes: number } | null {
  const originalBytes = jsonBytes(value);
  if (originalBytes <= maxBytes) return null;
  for (let cap = Math.floor(maxBytes / 2); cap >= 64; cap = Math.floor(cap / 4)) {
    const capped = capStrings(value, cap);
    if (jsonBytes(capped) <= maxBytes) return { value: capped, originalBytes };
  }
  let preview: string;
  try {
    preview = JSON.stringify(capStrings(value, 1024)) ?? "";
  } catch {
    preview = "";
  }
  return { value: { preview: cutText(preview, Math.floor(maxBytes / 2)) }, originalBytes };
}

/** An object within `maxBytes`, marked `truncated: true` and `originalBytes` when it was cut; the same object when it fits. */
export function boundObject<T extends Record<string, unknown>>(value: T, maxBytes: number): T {
  // The mark itself takes room.
  const bounded = boundValue(value, maxBytes - 48);
  if (!bounded) return value;
  const cut = bounded.value as Record<string, unknown>;
  return { ...cut, truncated: true, originalBytes: bounded.originalBytes } as unknown as T;
}
