/**
 * Every part of the app-server protocol codexd depends on: the requests it sends (with the params
 * it fills in and the result fields it reads), the notifications and server requests it reads
 * (with their fields). test/unit/codex-protocol-pin.test.ts generates the JSON schema of the
 * pinned Codex CLI and checks each entry against it, so a version bump that drops or renames
 * anything here fails loudly. Keep it in step with protocol.ts and the services that use it.
 *
 * Fields marked experimental in the generated schema (present only with `--experimental`) are
 * listed in EXPERIMENTAL_FIELDS: the CLI sends them all the same, but they may change sooner.
 *
 * Field paths are dotted; a path goes through arrays (`turns.status` is the status of each turn)
 * and through unions (a field counts when one branch has it).
 */

export interface RequestUsage {
  /** Params codexd sends. */
  params: readonly string[];
  /** Name of the response type in the generated schema. */
  response: string;
  /** Result fields codexd reads. */
  reads: readonly string[];
}

/** Client -> server requests, by method. */
export const REQUESTS_SENT: Readonly<Record<string, RequestUsage>> = {
  initialize: { params: ["clientInfo.name", "clientInfo.title", "clientInfo.version"], response: "InitializeResponse", reads: ["userAgent", "codexHome", "platformFamily"] },
  "thread/start": {
    params: ["cwd", "model", "approvalPolicy", "sandbox", "baseInstructions", "developerInstructions"],
    response: "ThreadStartResponse",
    reads: ["thread.id", "model"],
  },
  "thread/resume": { params: ["threadId", "excludeTurns"], response: "ThreadResumeResponse", reads: ["thread.id"] },
  "thread/read": { params: ["threadId", "includeTurns"], response: "ThreadReadResponse", reads: ["thread.id", "thread.status.type", "thread.turns.id", "thread.turns.status"] },
  "thread/loaded/list": { params: [], response: "ThreadLoadedListResponse", reads: [] },
  "turn/start": { params: ["threadId", "input", "model", "effort", "outputSchema"], response: "TurnStartResponse", reads: ["turn.id", "turn.status"] },
  "turn/steer": { params: ["threadId", "input", "expectedTurnId"], response: "TurnSteerResponse", reads: ["turnId"] },
  "turn/interrupt": { params: ["threadId", "turnId"], response: "TurnInterruptResponse", reads: [] },
  "account/read": { params: ["refreshToken"], response: "GetAccountResponse", reads: ["account.type", "account.planType", "requiresOpenaiAuth"] },
};

/** Client -> server notifications. */
export const NOTIFICATIONS_SENT: readonly string[] = ["initialized"];

/** Server -> client notifications codexd reads, with the fields it reads. */
export const NOTIFICATIONS_READ: Readonly<Record<string, readonly string[]>> = {
  "turn/started": ["threadId", "turn.id"],
  "turn/completed": [
    "threadId",
    "turn.id",
    "turn.status",
    "turn.items",
    "turn.error.message",
    "turn.error.codexErrorInfo",
    "turn.error.additionalDetails",
  ],
  "item/started": ["threadId", "turnId", "item.id", "item.type"],
  "item/completed": ["threadId", "turnId", "item.id", "item.type", "item.text"],
  "item/agentMessage/delta": ["threadId", "turnId", "itemId", "delta"],
  "thread/tokenUsage/updated": ["threadId", "turnId", "tokenUsage"],
  error: ["threadId", "turnId", "willRetry", "error.message", "error.codexErrorInfo", "error.additionalDetails"],
  "serverRequest/resolved": ["threadId", "requestId"],
  "account/updated": ["authMode", "planType"],
  deprecationNotice: ["summary", "details"],
};

/** Server -> client requests codexd answers, with the fields it reads. */
export const SERVER_REQUESTS_READ: Readonly<Record<string, readonly string[]>> = {
  "item/commandExecution/requestApproval": ["threadId", "turnId", "itemId", "reason", "command", "cwd", "availableDecisions"],
  "item/fileChange/requestApproval": ["threadId", "turnId", "itemId", "reason"],
  "item/permissions/requestApproval": ["threadId", "turnId", "itemId", "reason", "permissions"],
};

/** `<method> <field>` entries above that the schema marks experimental. */
export const EXPERIMENTAL_FIELDS: ReadonlySet<string> = new Set(["item/commandExecution/requestApproval availableDecisions"]);
