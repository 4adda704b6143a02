import { Type } from "@sinclair/typebox";
import type { Logger } from "pino";
import type { CodexAccountState } from "../../schemas/status.js";
import type { StateStore } from "../state/store.js";
import type { JsonRpcConnection } from "./jsonrpc-connection.js";
import { JsonRpcTimeoutError } from "./jsonrpc-errors.js";
import { parseAs } from "./protocol.js";

/** `account/read` as the pinned CLI answers it; only the fields shown (never tokens or e-mail). */
const GetAccountResult = Type.Object(
  {
    account: Type.Union([Type.Null(), Type.Object({ type: Type.String(), planType: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: true })]),
    requiresOpenaiAuth: Type.Boolean(),
  },
  { additionalProperties: true },
);

/** After a failed read: first retry, and the most the gap between retries doubles to. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const UNKNOWN: CodexAccountState = { status: "unknown", signedIn: null, authMode: null, planType: null, requiresOpenaiAuth: null, checkedAt: null, error: null };

/**
 * Whether Codex is signed in, as the app-server says (`account/read`, asked when the child is
 * ready and again on each `account/updated`). A provider that needs OpenAI auth without a
 * sign-in cannot answer any turn: readiness says so instead of letting turns retry for ever.
 */
export class CodexAccount {
  private current: CodexAccountState = UNKNOWN;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Reads started so far; a read's answer counts only when no later one was started. */
  private reads = 0;
  /** Bumped by stopRetrying: a retry of an earlier chain asks no more. */
  private chain = 0;
  private lastReadTimedOut = false;

  constructor(private readonly deps: { store: StateStore; logger: Logger }) {}

  get state(): CodexAccountState {
    return this.current;
  }

  /** The provider needs an OpenAI sign-in and there is none. */
  get signInMissing(): boolean {
    return this.current.requiresOpenaiAuth === true && this.current.signedIn === false;
  }

  async refresh(connection: JsonRpcConnection, timeoutMs: number): Promise<void> {
    // Reads overlap (a slow retry, then account/updated): the one asked last decides.
    const read = ++this.reads;
    let next: CodexAccountState;
    let timedOut = false;
    try {
      const parsed = parseAs(GetAccountResult, await connection.request("account/read", { refreshToken: false }, { timeoutMs }));
      if (!parsed) throw new Error("account/read answered in an unexpected shape");
      const planType = parsed.account?.planType;
      next = {
        status: parsed.account ? "signedIn" : "signedOut",
        signedIn: parsed.account !== null,
        authMode: parsed.account?.type ?? null,
        planType: typeof planType === "string" ? planType : null,
        requiresOpenaiAuth: parsed.requiresOpenaiAuth,
        checkedAt: new Date().toISOString(),
        error: null,
      };
    } catch (error) {
      timedOut = error instanceof JsonRpcTimeoutError;
      next = { ...UNKNOWN, checkedAt: new Date().toISOString(), error: `account/read failed: ${(error as Error).message}` };
    }
    if (read !== this.reads) return;
    this.lastReadTimedOut = timedOut;
    // A read failing again (with another message) is not news: one event says the account is unknown.
    const key = (state: CodexAccountState) => JSON.stringify({ ...state, checkedAt: null, error: state.error !== null });
    const changed = key(next) !== key(this.current);
    this.current = next;
    if (changed) await this.record(next);
  }

  /**
   * After a read at ready that timed out, read again, waiting longer each time, until a read
   * answers or `stillCurrent` says the child is gone. Without this a child that was slow once
   * stays "unknown" for its whole life. A read refused outright is not asked again: the answer
   * would be the same (account/updated still triggers a read).
   */
  retryWhileUnknown(connection: JsonRpcConnection, timeoutMs: number, stillCurrent: () => boolean): void {
    this.stopRetrying();
    const chain = this.chain;
    const wanted = () => chain === this.chain && stillCurrent() && this.current.status === "unknown" && this.lastReadTimedOut;
    const attempt = (delayMs: number) => {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!wanted()) return;
        void this.refresh(connection, timeoutMs).then(() => {
          if (wanted()) attempt(Math.min(delayMs * 2, RETRY_MAX_MS));
        });
      }, delayMs);
      this.retryTimer.unref();
    };
    if (wanted()) attempt(RETRY_FIRST_MS);
  }

  /** End the retries of the current child, one already asking included. */
  stopRetrying(): void {
    this.chain++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async record(state: CodexAccountState): Promise<void> {
    const message = describeAccount(state);
    const level = this.signInMissing || state.status === "unknown" ? "warn" : "info";
    this.deps.logger[level]({ account: state }, message);
    await this.deps.store.recordEvent({ level, type: "codex.account", message, detail: { ...state } }).catch(() => undefined);
  }
}

/** One line for people: the CLI's `codexd status` and the event message. */
export function describeAccount(state: CodexAccountState): string {
  if (state.status === "unknown") return state.error ? `codex account unknown (${state.error})` : "codex account not checked yet";
  const needs = state.requiresOpenaiAuth ? "the model provider needs OpenAI auth" : "the model provider needs no OpenAI auth";
  if (!state.signedIn) return state.requiresOpenaiAuth ? `codex is not signed in and ${needs} (run \`codex login\`)` : `codex is not signed in; ${needs}`;
  const plan = state.planType ? `, plan ${state.planType}` : "";
  return `codex is signed in (${state.authMode ?? "unknown auth mode"}${plan}); ${needs}`;
}
