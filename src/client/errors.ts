import type { Problem } from "../../schemas/common.js";

/** A problem+json answer from the daemon, with its stable code. */
export class CodexdApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(readonly problem: Problem & Record<string, unknown>) {
    super(`${problem.code}: ${problem.detail ?? problem.title}`);
    this.status = problem.status;
    this.code = problem.code;
  }
}
