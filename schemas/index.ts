import type { TSchema } from "@sinclair/typebox";
import { EventLevel, Problem } from "./common.js";
import { ChildLogs, ChildStartResult, ChildState, ChildVerbResult, ChildWaitResult } from "./child.js";
import { ResolvedConfig } from "./config.js";
import { DaemonIdentity, DaemonState } from "./daemon.js";
import { CodexdEvent, EventPage } from "./events.js";
import { RunCancelResult, RunPage, RunRecord } from "./runs.js";
import { ApprovalPage, ApprovalRecord } from "./approvals.js";
import { InterruptResult, SessionPage, SessionRecord, TurnAccepted, TurnPage } from "./sessions.js";
import { TurnRecord } from "./turns.js";
import { Liveness, Readiness, StatusResponse } from "./status.js";
import { RunDiff, WorkspaceRemoveResult } from "./workspaces.js";

/** Every schema with an $id the API uses, registered once on the app and emitted as an OpenAPI component. */
export const sharedSchemas: readonly TSchema[] = [
  Problem,
  EventLevel,
  ChildState,
  ChildVerbResult,
  ChildStartResult,
  ChildWaitResult,
  ChildLogs,
  ResolvedConfig,
  DaemonIdentity,
  CodexdEvent,
  EventPage,
  SessionRecord,
  SessionPage,
  TurnRecord,
  TurnPage,
  TurnAccepted,
  InterruptResult,
  ApprovalRecord,
  ApprovalPage,
  RunRecord,
  RunPage,
  RunCancelResult,
  RunDiff,
  WorkspaceRemoveResult,
  StatusResponse,
  Liveness,
  Readiness,
];

/** Schemas of what the state files hold but no API answer carries: checked on load, not in the contract. */
export const storedOnlySchemas: readonly TSchema[] = [DaemonState];
