/**
 * The subset of the Codex app-server protocol codexd relies on, as TypeBox schemas: what is read
 * is checked at runtime before it is trusted. `codex app-server generate-ts` prints the full
 * types of the pinned version; these keep only the fields used, and let everything else through.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Open = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: true });
/** Codex's TurnError: a message, and maybe a codexErrorInfo (string or object) and additionalDetails. */
const CodexTurnError = Open({
  message: Type.String(),
  codexErrorInfo: Type.Optional(Type.Unknown()),
  additionalDetails: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
const Item = Open({ id: Type.String(), type: Type.String() });

export const ThreadStartResult = Open({ thread: Open({ id: Type.String() }), model: Type.Optional(Type.String()) });
export const TurnStartResult = Open({ turn: Open({ id: Type.String(), status: Type.String() }) });
export const TurnSteerResult = Open({ turnId: Type.String() });
export const ThreadReadResult = Open({
  thread: Open({
    id: Type.String(),
    status: Type.Optional(Open({ type: Type.String() })),
    turns: Type.Optional(Type.Array(Open({ id: Type.String(), status: Type.String() }))),
  }),
});

export const TurnStarted = Open({ threadId: Type.String(), turn: Open({ id: Type.String() }) });
export const TurnCompleted = Open({
  threadId: Type.String(),
  turn: Open({
    id: Type.String(),
    status: Type.String(),
    error: Type.Optional(Type.Union([Type.Null(), CodexTurnError])),
    items: Type.Optional(Type.Array(Item)),
  }),
});
export const ItemNotification = Open({ threadId: Type.String(), turnId: Type.String(), item: Item });
export const AgentMessageDelta = Open({ threadId: Type.String(), turnId: Type.String(), itemId: Type.String(), delta: Type.String() });
export const TokenUsageUpdated = Open({ threadId: Type.String(), turnId: Type.String(), tokenUsage: Open({}) });
export const ErrorNotification = Open({ threadId: Type.String(), turnId: Type.String(), error: CodexTurnError, willRetry: Type.Boolean() });
export const DeprecationNotice = Open({ summary: Type.String(), details: Type.Optional(Type.Union([Type.String(), Type.Null()])) });
export const ServerRequestResolved = Open({ threadId: Type.String(), requestId: Type.Union([Type.String(), Type.Number()]) });

/** Decisions are strings or single-key objects such as {"acceptWithExecpolicyAmendment": {...}}. */
export const Decision = Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown(), { minProperties: 1, maxProperties: 1 })]);
export type Decision = Static<typeof Decision>;

export const ApprovalRequestParams = Open({
  threadId: Type.String(),
  turnId: Type.String(),
  itemId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  command: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  cwd: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  availableDecisions: Type.Optional(Type.Union([Type.Array(Decision), Type.Null()])),
  permissions: Type.Optional(Type.Unknown()),
});

/** Narrow an untrusted value to a schema, or null. */
export function parseAs<T extends TSchema>(schema: T, value: unknown): Static<T> | null {
  return Value.Check(schema, value) ? (value as Static<T>) : null;
}
