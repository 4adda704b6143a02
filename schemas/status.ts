import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, Nullable, ref } from "./common.js";
import { ChildState } from "./child.js";
import { ResolvedConfig } from "./config.js";
import { DaemonIdentity } from "./daemon.js";
import { RUN_STATUSES } from "./runs.js";
import { SESSION_STATUSES } from "./sessions.js";

const countsOf = (statuses: readonly string[]) =>
  Type.Object(Object.fromEntries(statuses.map((s) => [s, Type.Integer({ minimum: 0 })])));

export const CodexAccountState = Type.Object(
  {
    status: Type.Union([Type.Literal("signedIn"), Type.Literal("signedOut"), Type.Literal("unknown")], {
      description: "What the app-server said to account/read; unknown before the child was asked or when it could not answer",
    }),
    signedIn: Nullable(Type.Boolean()),
    authMode: Nullable(Type.String({ description: "How Codex is signed in, e.g. apiKey or chatgpt" })),
    planType: Nullable(Type.String({ description: "The ChatGPT plan, when signed in with ChatGPT" })),
    requiresOpenaiAuth: Nullable(Type.Boolean({ description: "Whether the configured model provider needs an OpenAI sign-in" })),
    checkedAt: Nullable(IsoDateTime),
    error: Nullable(Type.String({ description: "Why the account is unknown" })),
  },
  { description: "Codex's sign-in state; never a secret" },
);
export type CodexAccountState = Static<typeof CodexAccountState>;

export const StatusResponse = Type.Object(
  {
    identity: ref(DaemonIdentity),
    daemon: Type.Object({
      started: Type.Boolean(),
      startedAt: Nullable(IsoDateTime),
      pid: Nullable(Type.Integer()),
      bootId: Type.String(),
      uptimeMs: Type.Integer({ minimum: 0 }),
      ready: Type.Boolean(),
      notReadyReasons: Type.Array(Type.String()),
    }),
    child: ref(ChildState),
    codex: Type.Object({ account: CodexAccountState }),
    counts: Type.Object({
      sessions: countsOf(SESSION_STATUSES),
      runs: countsOf(RUN_STATUSES),
      archivedRuns: Type.Integer({ minimum: 0, description: "Finished runs moved to the archive" }),
    }),
    store: Type.Object(
      {
        status: Type.Union([Type.Literal("ok"), Type.Literal("degraded")], {
          description: "degraded: the state directory cannot be written; writes are refused (507/503), reads answer from memory",
        }),
        stateDir: Type.String(),
        code: Nullable(Type.String({ description: "CODEXD_STORAGE_FULL or CODEXD_STORAGE_UNAVAILABLE while degraded" })),
        cause: Nullable(Type.String({ description: "errno code of the failed write, e.g. ENOSPC, EROFS" })),
        reason: Nullable(Type.String()),
        since: Nullable(IsoDateTime),
      },
      { description: "Whether the state directory takes writes" },
    ),
    events: Type.Object({
      lastSeq: Type.Integer({ minimum: 0 }),
      oldestSeq: Nullable(Type.Integer()),
    }),
    config: ref(ResolvedConfig),
  },
  { $id: "Status" },
);
export type StatusResponse = Static<typeof StatusResponse>;

export const Liveness = Type.Object({ status: Type.Literal("ok") }, { $id: "Liveness" });
export const Readiness = Type.Object(
  { status: Type.Literal("ready"), checks: Type.Record(Type.String(), Type.Boolean()) },
  { $id: "Readiness" },
);
