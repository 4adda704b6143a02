/**
 * Request targets that mean something else to another reader.
 *
 * The router decodes and matches a path; a proxy, a log or a person reads the bytes as sent.
 * When the two can disagree (an encoded letter, an encoded slash, a dot segment, an empty
 * segment, a `;` parameter, a full URL instead of a path), the request is refused instead of
 * guessed at: no route is ever reached through a spelling other than its own.
 */

/** RFC 3986 unreserved characters: encoding one changes nothing but how the path looks. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Encoded characters that a decoder turns into path structure or into another escape. */
const STRUCTURAL = new Set(["/", "\\", "%", ";"]);

/** Why `rawUrl` is refused, or null when it is a plain path that routes as it reads. */
export function requestTargetProblem(rawUrl: string): string | null {
  // origin-form only: "http://host/path" (absolute-form), "host:port" and "*" are refused.
  if (!rawUrl.startsWith("/")) return "only a path is accepted as the request target, not a full URL, an authority or *";
  const end = rawUrl.search(/[?#]/);
  const path = end === -1 ? rawUrl : rawUrl.slice(0, end);
  if (path.includes("//")) return "the path has an empty segment (//)";
  if (path.includes("\\")) return "the path has a backslash";
  if (path.includes(";")) return "the path has a ; parameter";
  for (const segment of path.split("/")) {
    if (segment === "." || segment === "..") return `the path has a dot segment (${segment})`;
  }
  for (let at = path.indexOf("%"); at !== -1; at = path.indexOf("%", at + 1)) {
    const hex = path.slice(at + 1, at + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return "the path has a malformed percent-encoding";
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    if (UNRESERVED.test(char) || STRUCTURAL.has(char)) return `the path has %${hex} (${JSON.stringify(char)}), which reads differently once decoded`;
  }
  return null;
}
