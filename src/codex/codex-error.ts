/**
 * Codex's errors (`TurnError`: message, codexErrorInfo, additionalDetails) turned into what
 * codexd reports: the structured fields kept as they are, the HTTP status the model server
 * answered pulled out of them, and one message that names it.
 */

export interface CodexError {
  message: string;
  codexErrorInfo?: unknown;
  additionalDetails?: string | null;
}

/** The structured part of a turn's or run's error. */
export interface CodexErrorFields {
  codexErrorInfo: unknown;
  httpStatus: number | null;
  additionalDetails: string | null;
}

/** codexErrorInfo values that stand for one HTTP status (seen: a model answering 500 gives internalServerError). */
const STATUS_OF_INFO: Record<string, number> = { internalServerError: 500, unauthorized: 401 };

/** The HTTP status the model server answered, when Codex's error says it. */
export function httpStatusOf(error: CodexError): number | null {
  const info = error.codexErrorInfo;
  if (typeof info === "string" && STATUS_OF_INFO[info] !== undefined) return STATUS_OF_INFO[info];
  if (info && typeof info === "object") {
    for (const value of Object.values(info)) {
      const code = (value as { httpStatusCode?: unknown } | null)?.httpStatusCode;
      if (typeof code === "number") return code;
    }
  }
  const said = /\bstatus (\d{3})\b/.exec(`${error.additionalDetails ?? ""} ${error.message}`);
  return said ? Number(said[1]) : null;
}

export function codexErrorFields(error: CodexError): CodexErrorFields {
  return { codexErrorInfo: error.codexErrorInfo ?? null, httpStatus: httpStatusOf(error), additionalDetails: error.additionalDetails ?? null };
}

/** Codex's message with its details, and the HTTP status named when there was one. */
export function describeCodexError(error: CodexError): string {
  const details = error.additionalDetails && !error.message.includes(error.additionalDetails) ? ` (${error.additionalDetails})` : "";
  const status = httpStatusOf(error);
  const text = `${error.message}${details}`;
  return status === null ? text : `the model server answered HTTP ${status}: ${text}`;
}
