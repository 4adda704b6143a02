/** An error that maps to an RFC 9457 problem response with a stable code. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: `CODEXD_${string}`,
    readonly title: string,
    detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string, id: string) =>
  new ProblemError(404, "CODEXD_NOT_FOUND", "Not found", `${what} ${JSON.stringify(id)} does not exist`);

export const conflict = (code: `CODEXD_${string}`, detail: string, currentState: string, extra: Record<string, unknown> = {}) =>
  new ProblemError(409, code, "Conflict with the current state", detail, { currentState, ...extra });
