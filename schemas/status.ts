import { Type, type Static } from "@sinclair/typebox";
import { Nullable, ref } from "./common.js";
import { ChildState } from "./child.js";
import { ResolvedConfig } from "./config.js";
import { DaemonIdentity } from "./daemon.js";
import { RUN_STATUSES } from "./runs.js";
import { SESSION_STATUSES } from "./sessions.js";

const countsOf = (statuses: readonly string[], what: string) =>
  Type.Object(Object.fromEntries(statuses.map((s) => [s, Type.Integer({ minimum: 0, description: `${what} in status ${s}` })])), {
    description: `${what} by status`,
  });

export const CodexAccountState = Type.Object(
  {
    status: Type.Union([Type.Literal("signedIn"), Type.Literal("signedOut"), Type.Literal("unknown")], {
      description: "What the app-server said to account/read; unknown before the child was asked or when it could not answer",
    }),
    signedIn: Nullable(Type.Boolean({ description: "Whether Codex has credentials; null while unknown" })),
    authMode: Nullable(Type.String({ description: "How Codex is signed in, e.g. apiKey or chatgpt" })),
    planType: Nullable(Type.String({ description: "The ChatGPT plan, when signed in with ChatGPT" })),
    requiresOpenaiAuth: Nullable(Type.Boolean({ description: "Whether the configured model provider needs an OpenAI sign-in" })),
    checkedAt: Nullable(Type.String({ format: "date-time", description: "When the app-server was last asked (RFC 3339, UTC); null before it was asked" })),
    error: Nullable(Type.String({ description: "Why the account is unknown; null otherwise" })),
  },
  { description: "Codex's sign-in state; never a secret" },
);
export type CodexAccountState = Static<typeof CodexAccountState>;

export const StatusResponse = Type.Object(
  {
    identity: ref(DaemonIdentity),
    daemon: Type.Object(
      {
        started: Type.Boolean({ description: "true once the daemon has started (store open, child supervisor running)" }),
        startedAt: Nullable(Type.String({ format: "date-time", description: "When the daemon started (RFC 3339, UTC); null before it has" })),
        pid: Nullable(Type.Integer({ description: "Process id of the daemon" })),
        bootId: Type.String({ description: "Identifies this boot of the daemon; every event it records carries it" }),
        uptimeMs: Type.Integer({ minimum: 0, description: "Milliseconds since the daemon started" }),
        ready: Type.Boolean({ description: "What GET /readyz answers: store writable, child ready and Codex signed in (when the provider needs it)" }),
        notReadyReasons: Type.Array(Type.String(), { description: "Why the daemon is not ready, one entry per failing check; empty when ready" }),
      },
      { description: "The daemon process" },
    ),
    child: ref(ChildState),
    codex: Type.Object({ account: CodexAccountState }, { description: "What the app-server reports about Codex" }),
    counts: Type.Object(
      {
        sessions: countsOf(SESSION_STATUSES, "Sessions in the registry"),
        runs: countsOf(RUN_STATUSES, "Runs in the registry (archived runs not included)"),
        archivedRuns: Type.Integer({ minimum: 0, description: "Finished runs moved out of the registry to the archive by retention" }),
      },
      { description: "How many sessions and runs there are" },
    ),
    store: Type.Object(
      {
        status: Type.Union([Type.Literal("ok"), Type.Literal("degraded")], {
          description: "degraded: the state directory cannot be written; writes are refused (507/503), reads answer from memory",
        }),
        stateDir: Type.String({ description: "The state directory (absolute path)" }),
        code: Nullable(Type.String({ description: "CODEXD_STORAGE_FULL or CODEXD_STORAGE_UNAVAILABLE while degraded" })),
        cause: Nullable(Type.String({ description: "errno code of the failed write, e.g. ENOSPC, EROFS" })),
        reason: Nullable(Type.String({ description: "The failed write's error message while degraded; null when ok" })),
        since: Nullable(Type.String({ format: "date-time", description: "When writes began to fail (RFC 3339, UTC); null when ok" })),
      },
      { description: "Whether the state directory takes writes" },
    ),
    events: Type.Object(
      {
        lastSeq: Type.Integer({ minimum: 0, description: "seq of the newest event (0 when none)" }),
        oldestSeq: Nullable(Type.Integer({ description: "Oldest seq still retained in the event log; null when no event is kept" })),
        rotation: Type.Object(
          {
            status: Type.Union([Type.Literal("ok"), Type.Literal("failing")], {
              description: "failing: the live file could not be rotated and grows past eventLog.maxBytes; events are still written and durable, and rotation is tried again on an append 1 s or more later",
            }),
            cause: Nullable(Type.String({ description: "errno code of the rotation that failed first, e.g. EACCES; null when ok" })),
            reason: Nullable(Type.String({ description: "That failure's error message; null when ok" })),
            since: Nullable(Type.String({ format: "date-time", description: "When rotations began to fail (RFC 3339, UTC); null when ok" })),
          },
          { description: "Whether the event log rotates by size" },
        ),
      },
      { description: "The event log's range, and whether it rotates" },
    ),
    config: Type.Unsafe<ResolvedConfig>({ $ref: "ResolvedConfig", description: "The configuration in effect, the token redacted" }),
  },
  { $id: "Status", description: "Everything about the daemon at a glance" },
);
export type StatusResponse = Static<typeof StatusResponse>;

export const Liveness = Type.Object({ status: Type.Literal("ok", { description: "Always ok: the daemon answers HTTP" }) }, { $id: "Liveness", description: "The daemon is alive" });
export const Readiness = Type.Object(
  {
    status: Type.Literal("ready", { description: "Always ready (not ready is a 503 problem with the reasons)" }),
    checks: Type.Record(Type.String(), Type.Boolean(), { description: "Each check by name (store, child, codexAccount) and whether it passed" }),
  },
  { $id: "Readiness", description: "The daemon can serve requests: store, child and Codex account are ready" },
);
