import { CodexdApiError } from "../client/index.js";

/** What the process exit code says happened. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  unreachable: 3,
  notFound: 4,
  rejected: 5,
  unauthorized: 6,
  notCompleted: 7,
  waitTimeout: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  unexpected error, including a 5xx answer (and a child that failed to start)
  2  usage error: unknown command or option, bad value (or a 400 from the daemon)
  3  daemon unreachable: connection refused, reset or timed out
  4  not found (404)
  5  conflict or rejected (409, 410, 413, 422, 429)
  6  unauthorized or forbidden (401, 403): check --token / CODEXD_TOKEN
  7  the run or turn waited for ended but not \`completed\` (failed, cancelled, timed_out, interrupted)
  8  --timeout-ms (runs wait) or 30 s (child start --wait) passed first; the run goes on`;

/** A bad command line: the message goes to stderr with a pointer to --help, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

function errorCodes(error: unknown): string[] {
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e?.code === "string" ? [e.code] : [];
  const nested = [e?.cause, ...(Array.isArray(e?.errors) ? e.errors : [])].filter((x) => x !== undefined && x !== error);
  return [...own, ...nested.flatMap(errorCodes)];
}

/** Whether the error means no conversation with the daemon was possible. */
export function isUnreachable(error: unknown): boolean {
  return errorCodes(error).some((code) => UNREACHABLE_CODES.has(code));
}

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.unauthorized;
  if (status === 404) return EXIT.notFound;
  if ([409, 410, 413, 422, 429].includes(status)) return EXIT.rejected;
  return EXIT.unexpected;
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof CodexdApiError) return exitCodeForStatus(error.status);
  if (isUnreachable(error)) return EXIT.unreachable;
  return EXIT.unexpected;
}
