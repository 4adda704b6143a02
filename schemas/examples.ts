/**
 * Request and response bodies captured from a run of the daemon with the fake app-server child,
 * shown as examples in openapi.yaml. Written by test/contract/api-examples.test.ts
 * (CODEXD_WRITE_EXAMPLES=1 npx vitest run test/contract/api-examples.test.ts), which also keeps
 * them the shape of what the daemon answers; do not edit by hand.
 */
export const examples = {
  "getLiveness": {
    "response": {
      "status": "ok"
    }
  },
  "getReadiness": {
    "response": {
      "status": "ready",
      "checks": {
        "store": true,
        "child": true,
        "codexAccount": true
      }
    }
  },
  "getChild": {
    "response": {
      "strategy": "spawn",
      "mode": "app-server",
      "endpoint": null,
      "status": "running",
      "command": "/usr/bin/node",
      "args": [
        "/srv/codexd/test/fixtures/fake-app-server.mjs"
      ],
      "cwd": "/tmp/codexd-test-gqLbdZ",
      "pid": 26872,
      "startedAt": "2026-12-05T03:04:26.512Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 26872,
      "startTicks": 1397598,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "readyAt": "2026-12-05T03:04:39.087Z",
      "fatalReason": null,
      "protocol": {
        "userAgent": "fake-app-server/0.169.0",
        "codexHome": "/root/.codex",
        "platformFamily": "unix",
        "platformOs": "linux"
      }
    }
  },
  "stopChild": {
    "response": {
      "changed": true,
      "state": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "status": "stopped",
        "command": "/usr/bin/node",
        "args": [
          "/srv/codexd/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-gqLbdZ",
        "pid": null,
        "startedAt": "2026-12-05T03:04:26.512Z",
        "exitedAt": "2026-12-05T03:04:40.144Z",
        "exitCode": 0,
        "signal": null,
        "lastError": null,
        "pgid": null,
        "startTicks": 1397598,
        "desired": "stopped",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T03:04:40.144Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T03:04:39.087Z",
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        }
      }
    }
  },
  "startChild": {
    "response": {
      "changed": true,
      "outcome": "ready",
      "state": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "status": "running",
        "command": "/usr/bin/node",
        "args": [
          "/srv/codexd/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-gqLbdZ",
        "pid": 27319,
        "startedAt": "2026-12-05T03:04:40.808Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 27319,
        "startTicks": 1399027,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T03:04:40.144Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T03:04:41.514Z",
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        }
      }
    }
  },
  "restartChild": {
    "response": {
      "changed": true,
      "state": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "status": "starting",
        "command": "/usr/bin/node",
        "args": [
          "/srv/codexd/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-gqLbdZ",
        "pid": 27408,
        "startedAt": "2026-12-05T03:04:42.310Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 27408,
        "startTicks": 1399172,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T03:04:42.216Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": null,
        "fatalReason": null,
        "protocol": null
      }
    }
  },
  "waitForChild": {
    "response": {
      "matched": true,
      "state": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "status": "running",
        "command": "/usr/bin/node",
        "args": [
          "/srv/codexd/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-gqLbdZ",
        "pid": 27408,
        "startedAt": "2026-12-05T03:04:42.310Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 27408,
        "startTicks": 1399172,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T03:04:42.216Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T03:04:43.246Z",
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        }
      }
    }
  },
  "getChildLogs": {
    "response": {
      "stream": "stderr",
      "lines": [
        "[fake-app-server 27408] started (faults: none)",
        "[fake-app-server 27408] request 1 initialize",
        "[fake-app-server 27408] notification initialized",
        "[fake-app-server 27408] request 2 account/read"
      ]
    }
  },
  "createSession": {
    "request": {
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "sandbox": "workspace-write",
      "approvalPolicy": "on-request",
      "approvals": "manual",
      "metadata": {
        "ticket": "ENG-1432"
      }
    },
    "response": {
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T03:04:43.452Z",
      "createdAt": "2026-12-05T03:04:43.452Z",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "model": "fake-model",
      "turnCount": 0,
      "metadata": {
        "ticket": "ENG-1432"
      },
      "lastUsage": null,
      "approvals": "manual",
      "approvalPolicy": "on-request",
      "sandbox": "workspace-write",
      "threadParams": {
        "cwd": "/tmp/codexd-test-gqLbdZ/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": null
    }
  },
  "startTurn": {
    "request": {
      "input": "Which file is the entry point of this project?",
      "effort": "low"
    },
    "response": {
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "turnId": "01a24429-3f0a-7eeb-a293-b0be7e6a3227",
      "status": "inProgress",
      "steered": false
    }
  },
  "getTurn": {
    "response": {
      "turnId": "01a24429-3f0a-7eeb-a293-b0be7e6a3227",
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "status": "completed",
      "input": "Which file is the entry point of this project?",
      "createdAt": "2026-12-05T03:04:43.532Z",
      "updatedAt": "2026-12-05T03:04:43.543Z",
      "startedAt": "2026-12-05T03:04:43.533Z",
      "completedAt": "2026-12-05T03:04:43.543Z",
      "items": [
        {
          "type": "userMessage",
          "id": "01a24429-3f11-776c-bac7-7005ceb947ce",
          "clientId": null,
          "content": [
            {
              "text_elements": [],
              "type": "text",
              "text": "Which file is the entry point of this project?"
            }
          ],
          "startedAtMs": 1796439883537,
          "completedAtMs": 1796439883537
        },
        {
          "type": "agentMessage",
          "moderation": null,
          "id": "msg_01a24429-3f12-7e06-8108-482788c7af77",
          "text": "echo: Which file is the entry point of this project?",
          "phase": null,
          "memoryCitation": null,
          "delivery": null,
          "questions": null,
          "completedAtMs": 1796439883539
        }
      ],
      "finalMessage": "echo: Which file is the entry point of this project?",
      "usage": {
        "total": {
          "totalTokens": 62,
          "inputTokens": 10,
          "cachedInputTokens": 0,
          "cacheWriteInputTokens": 0,
          "outputTokens": 52,
          "reasoningOutputTokens": 0
        },
        "last": {
          "totalTokens": 62,
          "inputTokens": 10,
          "cachedInputTokens": 0,
          "cacheWriteInputTokens": 0,
          "outputTokens": 52,
          "reasoningOutputTokens": 0
        },
        "modelContextWindow": 258400
      },
      "error": null
    }
  },
  "listApprovals": {
    "response": {
      "approvals": [
        {
          "approvalId": "cf6c88d6-b0b6-4cd1-9a1d-83889b4da4e1",
          "kind": "commandExecution",
          "method": "item/commandExecution/requestApproval",
          "status": "pending",
          "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
          "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
          "turnId": "01a24429-401d-7092-9cef-83c254bac01b",
          "itemId": "call_01a24429-4026-7a75-865a-22335be9d082",
          "command": "echo fake",
          "cwd": "/tmp/codexd-test-gqLbdZ/project",
          "reason": "fake approval",
          "detail": {
            "kind": "command",
            "startedAtMs": 1796439883815,
            "environmentId": "local",
            "commandActions": [
              {
                "type": "unknown",
                "command": "echo fake"
              }
            ],
            "proposedExecpolicyAmendment": null
          },
          "availableDecisions": [
            "accept",
            "acceptForSession",
            "decline",
            "cancel"
          ],
          "decision": null,
          "decidedBy": null,
          "createdAt": "2026-12-05T03:04:43.823Z",
          "resolvedAt": null,
          "expiresAt": "2026-12-05T03:14:43.823Z"
        }
      ],
      "nextCursor": null
    }
  },
  "getApproval": {
    "response": {
      "approvalId": "cf6c88d6-b0b6-4cd1-9a1d-83889b4da4e1",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "pending",
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "turnId": "01a24429-401d-7092-9cef-83c254bac01b",
      "itemId": "call_01a24429-4026-7a75-865a-22335be9d082",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796439883815,
        "environmentId": "local",
        "commandActions": [
          {
            "type": "unknown",
            "command": "echo fake"
          }
        ],
        "proposedExecpolicyAmendment": null
      },
      "availableDecisions": [
        "accept",
        "acceptForSession",
        "decline",
        "cancel"
      ],
      "decision": null,
      "decidedBy": null,
      "createdAt": "2026-12-05T03:04:43.823Z",
      "resolvedAt": null,
      "expiresAt": "2026-12-05T03:14:43.823Z"
    }
  },
  "decideApproval": {
    "request": {
      "decision": "accept"
    },
    "response": {
      "approvalId": "cf6c88d6-b0b6-4cd1-9a1d-83889b4da4e1",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "resolved",
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "turnId": "01a24429-401d-7092-9cef-83c254bac01b",
      "itemId": "call_01a24429-4026-7a75-865a-22335be9d082",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796439883815,
        "environmentId": "local",
        "commandActions": [
          {
            "type": "unknown",
            "command": "echo fake"
          }
        ],
        "proposedExecpolicyAmendment": null
      },
      "availableDecisions": [
        "accept",
        "acceptForSession",
        "decline",
        "cancel"
      ],
      "decision": "accept",
      "decidedBy": "operator",
      "createdAt": "2026-12-05T03:04:43.823Z",
      "resolvedAt": "2026-12-05T03:04:44.069Z",
      "expiresAt": "2026-12-05T03:14:43.823Z"
    }
  },
  "interruptTurn": {
    "response": {
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "turnId": "01a24429-41ad-7380-93ce-445138e9cd6a",
      "requested": true
    }
  },
  "listTurns": {
    "response": {
      "turns": [
        {
          "turnId": "01a24429-3f0a-7eeb-a293-b0be7e6a3227",
          "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
          "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
          "status": "completed",
          "input": "Which file is the entry point of this project?",
          "createdAt": "2026-12-05T03:04:43.532Z",
          "updatedAt": "2026-12-05T03:04:43.543Z",
          "startedAt": "2026-12-05T03:04:43.533Z",
          "completedAt": "2026-12-05T03:04:43.543Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a24429-3f11-776c-bac7-7005ceb947ce",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "Which file is the entry point of this project?"
                }
              ],
              "startedAtMs": 1796439883537,
              "completedAtMs": 1796439883537
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a24429-3f12-7e06-8108-482788c7af77",
              "text": "echo: Which file is the entry point of this project?",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796439883539
            }
          ],
          "finalMessage": "echo: Which file is the entry point of this project?",
          "usage": {
            "total": {
              "totalTokens": 62,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 52,
              "reasoningOutputTokens": 0
            },
            "last": {
              "totalTokens": 62,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 52,
              "reasoningOutputTokens": 0
            },
            "modelContextWindow": 258400
          },
          "error": null
        },
        {
          "turnId": "01a24429-401d-7092-9cef-83c254bac01b",
          "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
          "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
          "status": "completed",
          "input": "[approval:command] Run the test suite.",
          "createdAt": "2026-12-05T03:04:43.812Z",
          "updatedAt": "2026-12-05T03:04:44.070Z",
          "startedAt": "2026-12-05T03:04:43.822Z",
          "completedAt": "2026-12-05T03:04:44.070Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a24429-4026-7db7-a195-90a31099f34b",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "[approval:command] Run the test suite."
                }
              ],
              "startedAtMs": 1796439883814,
              "completedAtMs": 1796439883814
            },
            {
              "type": "commandExecution",
              "id": "call_01a24429-4026-7a75-865a-22335be9d082",
              "pluginId": null,
              "scriptPath": null,
              "command": "echo fake",
              "cwd": "/tmp/codexd-test-gqLbdZ/project",
              "processId": null,
              "source": "agent",
              "status": "completed",
              "commandActions": [
                {
                  "type": "unknown",
                  "command": "echo fake"
                }
              ],
              "aggregatedOutput": "fake\n",
              "exitCode": 0,
              "durationMs": 1,
              "completedAtMs": 1796439884054
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a24429-4116-748c-8e9a-9ff00e7042a6",
              "text": "echo: [approval:command] Run the test suite.",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796439884054
            }
          ],
          "finalMessage": "echo: [approval:command] Run the test suite.",
          "usage": {
            "total": {
              "totalTokens": 116,
              "inputTokens": 20,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 96,
              "reasoningOutputTokens": 0
            },
            "last": {
              "totalTokens": 54,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 44,
              "reasoningOutputTokens": 0
            },
            "modelContextWindow": 258400
          },
          "error": null
        }
      ],
      "nextCursor": "WyIyMDI2LTEyLTA1VDAzOjA0OjQzLjgxMloiLCIwMWEyNDQyOS00MDFkLTcwOTItOWNlZi04M2MyNTRiYWMwMWIiXQ"
    }
  },
  "getSession": {
    "response": {
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T03:04:44.282Z",
      "createdAt": "2026-12-05T03:04:43.452Z",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "model": "fake-model",
      "turnCount": 3,
      "metadata": {
        "ticket": "ENG-1432"
      },
      "lastUsage": null,
      "approvals": "manual",
      "approvalPolicy": "on-request",
      "sandbox": "workspace-write",
      "threadParams": {
        "cwd": "/tmp/codexd-test-gqLbdZ/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": null
    }
  },
  "createRun": {
    "request": {
      "prompt": "Summarize the open TODO comments in src/.",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "timeoutMs": 600000,
      "metadata": {
        "ticket": "ENG-1433"
      }
    },
    "response": {
      "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d",
      "status": "queued",
      "createdAt": "2026-12-05T03:04:44.567Z",
      "updatedAt": "2026-12-05T03:04:44.567Z",
      "prompt": "Summarize the open TODO comments in src/.",
      "sessionId": null,
      "threadId": null,
      "turnId": null,
      "startedAt": null,
      "finishedAt": null,
      "durationMs": null,
      "finalMessage": null,
      "usage": null,
      "error": null,
      "attempt": 0,
      "metadata": {
        "ticket": "ENG-1433"
      },
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "c47b4a0dfbe4ce47585e1133be2d0d008aa9c7d805434c3d191ca34874ab9ea0",
      "approvals": [],
      "workspace": null,
      "outputSchema": null
    }
  },
  "getRun": {
    "response": {
      "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d",
      "status": "completed",
      "createdAt": "2026-12-05T03:04:44.567Z",
      "updatedAt": "2026-12-05T03:04:45.302Z",
      "prompt": "Summarize the open TODO comments in src/.",
      "sessionId": "7728b584-15cc-4914-83ec-ca77532b56a9",
      "threadId": "01a24429-4511-78ef-a3f2-155ff7492724",
      "turnId": "01a24429-456c-7437-bc86-6aa5d80f110c",
      "startedAt": "2026-12-05T03:04:44.596Z",
      "finishedAt": "2026-12-05T03:04:45.302Z",
      "durationMs": 706,
      "finalMessage": "echo: Summarize the open TODO comments in src/.",
      "usage": {
        "total": {
          "totalTokens": 57,
          "inputTokens": 10,
          "cachedInputTokens": 0,
          "cacheWriteInputTokens": 0,
          "outputTokens": 47,
          "reasoningOutputTokens": 0
        },
        "last": {
          "totalTokens": 57,
          "inputTokens": 10,
          "cachedInputTokens": 0,
          "cacheWriteInputTokens": 0,
          "outputTokens": 47,
          "reasoningOutputTokens": 0
        },
        "modelContextWindow": 258400
      },
      "error": null,
      "attempt": 1,
      "metadata": {
        "ticket": "ENG-1433"
      },
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "c47b4a0dfbe4ce47585e1133be2d0d008aa9c7d805434c3d191ca34874ab9ea0",
      "approvals": [],
      "workspace": null,
      "changes": [],
      "commands": [],
      "diff": {
        "source": "codex",
        "bytes": 0,
        "totalBytes": 0,
        "truncated": false
      },
      "outputSchema": null
    }
  },
  "listEvents": {
    "response": {
      "events": [
        {
          "seq": 78,
          "createdAt": "2026-12-05T03:04:44.573Z",
          "level": "info",
          "type": "run.queued",
          "message": "run queued",
          "detail": {
            "idempotencyKey": "eng-1433-todo-summary"
          },
          "bootId": "a68f0986-5724-47e0-95e6-396ea650eb51",
          "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d"
        },
        {
          "seq": 79,
          "createdAt": "2026-12-05T03:04:44.596Z",
          "level": "info",
          "type": "run.started",
          "message": "run started",
          "detail": {},
          "bootId": "a68f0986-5724-47e0-95e6-396ea650eb51",
          "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d"
        },
        {
          "seq": 104,
          "createdAt": "2026-12-05T03:04:45.302Z",
          "level": "info",
          "type": "run.completed",
          "message": "run completed",
          "detail": {
            "status": "completed",
            "error": null,
            "durationMs": 706
          },
          "bootId": "a68f0986-5724-47e0-95e6-396ea650eb51",
          "sessionId": "7728b584-15cc-4914-83ec-ca77532b56a9",
          "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d"
        }
      ],
      "nextAfter": 104,
      "oldestSeq": 1,
      "lastSeq": 104
    }
  },
  "cancelRun": {
    "response": {
      "changed": true,
      "run": {
        "runId": "d4468cef-a82a-4d7f-ad6e-a089a287190c",
        "status": "cancelled",
        "createdAt": "2026-12-05T03:04:45.759Z",
        "updatedAt": "2026-12-05T03:04:45.887Z",
        "prompt": "Write release notes for the last ten commits.",
        "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
        "threadId": null,
        "turnId": null,
        "startedAt": null,
        "finishedAt": "2026-12-05T03:04:45.887Z",
        "durationMs": null,
        "finalMessage": null,
        "usage": null,
        "error": null,
        "attempt": 0,
        "metadata": null,
        "cwd": null,
        "model": null,
        "approvalPolicy": null,
        "timeoutMs": 1800000,
        "idempotencyKey": null,
        "requestHash": "4ee30f84ff9e9c5c1d6fa2ca671f16163e55722f402a355fc4ebb257ae35d0a3",
        "approvals": [],
        "workspace": null,
        "changes": [],
        "diff": {
          "source": "codex",
          "bytes": 0,
          "totalBytes": 0,
          "truncated": false
        },
        "outputSchema": null
      }
    }
  },
  "listRuns": {
    "response": {
      "runs": [
        {
          "runId": "d4468cef-a82a-4d7f-ad6e-a089a287190c",
          "status": "cancelled",
          "createdAt": "2026-12-05T03:04:45.759Z",
          "updatedAt": "2026-12-05T03:04:45.887Z",
          "prompt": "Write release notes for the last ten commits.",
          "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
          "threadId": null,
          "turnId": null,
          "startedAt": null,
          "finishedAt": "2026-12-05T03:04:45.887Z",
          "durationMs": null,
          "finalMessage": null,
          "usage": null,
          "error": null,
          "attempt": 0,
          "metadata": null,
          "cwd": null,
          "model": null,
          "approvalPolicy": null,
          "timeoutMs": 1800000,
          "idempotencyKey": null,
          "requestHash": "4ee30f84ff9e9c5c1d6fa2ca671f16163e55722f402a355fc4ebb257ae35d0a3",
          "approvals": [],
          "workspace": null,
          "outputSchema": null,
          "changes": [],
          "diff": {
            "source": "codex",
            "bytes": 0,
            "totalBytes": 0,
            "truncated": false
          }
        },
        {
          "runId": "c47ae564-f55a-4426-a18c-71da46a231c0",
          "status": "cancelled",
          "createdAt": "2026-12-05T03:04:45.696Z",
          "updatedAt": "2026-12-05T03:04:46.358Z",
          "prompt": "[delay:60000] Upgrade the dependencies.",
          "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
          "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
          "turnId": "01a24429-47fd-782f-a0ef-d74bc4053c85",
          "startedAt": "2026-12-05T03:04:45.736Z",
          "finishedAt": "2026-12-05T03:04:46.358Z",
          "durationMs": 622,
          "finalMessage": null,
          "usage": null,
          "error": null,
          "attempt": 1,
          "metadata": null,
          "cwd": null,
          "model": null,
          "approvalPolicy": null,
          "timeoutMs": 1800000,
          "idempotencyKey": null,
          "requestHash": "10693e3d970100f09f947498c62b1c7e80bc26dd15fa69baea3aa52cabd31e89",
          "approvals": [],
          "workspace": null,
          "outputSchema": null,
          "commands": [],
          "changes": [],
          "diff": {
            "source": "codex",
            "bytes": 0,
            "totalBytes": 0,
            "truncated": false
          }
        }
      ],
      "nextCursor": "WyIyMDI2LTEyLTA1VDAzOjA0OjQ1LjY5NloiLCJjNDdhZTU2NC1mNTVhLTQ0MjYtYTE4Yy03MWRhNDZhMjMxYzAiXQ"
    }
  },
  "getRunDiff": {
    "response": {
      "runId": "523cac9b-5a2f-461c-8d96-8e20cadb615a",
      "source": "git",
      "diff": "diff --git a/src/greeting.ts b/src/greeting.ts\nnew file mode 100644\nindex 0000000..72a84de\n--- /dev/null\n+++ b/src/greeting.ts\n@@ -0,0 +1 @@\n+export const greeting = \"hello\";\n",
      "bytes": 175,
      "totalBytes": 175,
      "truncated": false,
      "changes": [
        {
          "path": "src/greeting.ts",
          "previousPath": null,
          "status": "added",
          "insertions": 1,
          "deletions": 0
        }
      ]
    }
  },
  "removeRunWorkspace": {
    "response": {
      "changed": true,
      "workspace": {
        "mode": "worktree",
        "repo": "/tmp/codexd-repo-kszUYM",
        "ref": "HEAD",
        "baseCommit": "32ba2b3daba942da58380da1f076d6c65c3a5af0",
        "baseTree": "1b52de927ab255fc435236586fb029a017819990",
        "branch": "codexd/523cac9b-5a2f-461c-8d96-8e20cadb615a",
        "path": "/tmp/codexd-test-gqLbdZ/state/worktrees/523cac9b-5a2f-461c-8d96-8e20cadb615a",
        "status": "removed",
        "commit": true,
        "message": null,
        "keep": true,
        "createdAt": "2026-12-05T03:04:48.502Z",
        "removedAt": "2026-12-05T03:04:50.612Z"
      }
    }
  },
  "listSessions": {
    "response": {
      "sessions": [
        {
          "sessionId": "140c2504-5246-458f-adeb-a8755ae6ca3e",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T03:04:48.554Z",
          "updatedAt": "2026-12-05T03:04:48.622Z",
          "threadId": "01a24429-52a9-759b-bb69-24403f89b4e5",
          "cwd": "/tmp/codexd-test-gqLbdZ/state/worktrees/523cac9b-5a2f-461c-8d96-8e20cadb615a",
          "model": "fake-model",
          "turnCount": 1,
          "metadata": {
            "runId": "523cac9b-5a2f-461c-8d96-8e20cadb615a"
          },
          "lastUsage": {
            "total": {
              "totalTokens": 99,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 89,
              "reasoningOutputTokens": 0
            },
            "last": {
              "totalTokens": 99,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 89,
              "reasoningOutputTokens": 0
            },
            "modelContextWindow": 258400
          },
          "approvals": "accept",
          "approvalPolicy": null,
          "sandbox": "workspace-write",
          "threadParams": {
            "cwd": "/tmp/codexd-test-gqLbdZ/state/worktrees/523cac9b-5a2f-461c-8d96-8e20cadb615a",
            "sandbox": "workspace-write"
          },
          "closedAt": null
        },
        {
          "sessionId": "7728b584-15cc-4914-83ec-ca77532b56a9",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T03:04:45.074Z",
          "updatedAt": "2026-12-05T03:04:45.188Z",
          "threadId": "01a24429-4511-78ef-a3f2-155ff7492724",
          "cwd": "/tmp/codexd-test-gqLbdZ/project",
          "model": "fake-model",
          "turnCount": 1,
          "metadata": {
            "runId": "1cbbfe59-3733-4a94-b7c2-14a4f7ac754d"
          },
          "lastUsage": {
            "total": {
              "totalTokens": 57,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 47,
              "reasoningOutputTokens": 0
            },
            "last": {
              "totalTokens": 57,
              "inputTokens": 10,
              "cachedInputTokens": 0,
              "cacheWriteInputTokens": 0,
              "outputTokens": 47,
              "reasoningOutputTokens": 0
            },
            "modelContextWindow": 258400
          },
          "approvals": null,
          "approvalPolicy": null,
          "sandbox": null,
          "threadParams": {
            "cwd": "/tmp/codexd-test-gqLbdZ/project"
          },
          "closedAt": null
        }
      ],
      "nextCursor": "WyIyMDI2LTEyLTA1VDAzOjA0OjQ1LjA3NFoiLCI3NzI4YjU4NC0xNWNjLTQ5MTQtODNlYy1jYTc3NTMyYjU2YTkiXQ"
    }
  },
  "getStatus": {
    "response": {
      "identity": {
        "daemonId": "93d2e61f-3916-4804-85c2-bc1857eb968f",
        "nodeId": "vm",
        "repoRoot": "/tmp/codexd-test-gqLbdZ",
        "createdAt": "2026-12-05T03:04:26.477Z",
        "version": "0.1.0"
      },
      "daemon": {
        "started": true,
        "startedAt": "2026-12-05T03:04:26.487Z",
        "pid": 26541,
        "bootId": "a68f0986-5724-47e0-95e6-396ea650eb51",
        "uptimeMs": 24283,
        "ready": true,
        "notReadyReasons": []
      },
      "child": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "command": "/usr/bin/node",
        "args": [
          "/srv/codexd/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-gqLbdZ",
        "status": "running",
        "pid": 27408,
        "startedAt": "2026-12-05T03:04:42.310Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "desired": "running",
        "restartCount": 0,
        "pgid": 27408,
        "startTicks": 1399172,
        "readyAt": "2026-12-05T03:04:43.246Z",
        "nextRestartAt": null,
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        },
        "lastExit": {
          "at": "2026-12-05T03:04:42.216Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        }
      },
      "codex": {
        "account": {
          "status": "signedIn",
          "signedIn": true,
          "authMode": "apiKey",
          "planType": null,
          "requiresOpenaiAuth": false,
          "checkedAt": "2026-12-05T03:04:43.246Z",
          "error": null
        }
      },
      "counts": {
        "sessions": {
          "idle": 3,
          "active": 0,
          "closed": 0,
          "failed": 0
        },
        "runs": {
          "queued": 0,
          "running": 0,
          "completed": 2,
          "failed": 0,
          "cancelled": 2,
          "timed_out": 0,
          "interrupted": 0
        },
        "archivedRuns": 0
      },
      "store": {
        "status": "ok",
        "stateDir": "/tmp/codexd-test-gqLbdZ/state",
        "code": null,
        "cause": null,
        "reason": null,
        "since": null
      },
      "events": {
        "lastSeq": 159,
        "oldestSeq": 1
      },
      "config": {
        "nodeId": "vm",
        "version": "0.1.0",
        "eventCacheSize": 500,
        "logLevel": "info",
        "logFormat": "auto",
        "paths": {
          "repoRoot": "/tmp/codexd-test-gqLbdZ",
          "stateDir": "/tmp/codexd-test-gqLbdZ/state",
          "logsDir": "/tmp/codexd-test-gqLbdZ/state/logs",
          "identityPath": "/tmp/codexd-test-gqLbdZ/state/identity.json",
          "daemonStatePath": "/tmp/codexd-test-gqLbdZ/state/daemon-state.json",
          "sessionRegistryPath": "/tmp/codexd-test-gqLbdZ/state/session-registry.json",
          "runRegistryPath": "/tmp/codexd-test-gqLbdZ/state/run-registry.json",
          "runArchivePath": "/tmp/codexd-test-gqLbdZ/state/run-archive.jsonl",
          "turnRegistryPath": "/tmp/codexd-test-gqLbdZ/state/turn-registry.json",
          "recentEventsPath": "/tmp/codexd-test-gqLbdZ/state/recent-events.json",
          "structuredEventLogPath": "/tmp/codexd-test-gqLbdZ/state/events.jsonl",
          "stdoutLogPath": "/tmp/codexd-test-gqLbdZ/state/logs/child.stdout.log",
          "stderrLogPath": "/tmp/codexd-test-gqLbdZ/state/logs/child.stderr.log"
        },
        "server": {
          "childStrategy": "spawn",
          "mode": "app-server",
          "endpoint": null,
          "childCommand": "/usr/bin/node",
          "childArgs": [
            "/srv/codexd/test/fixtures/fake-app-server.mjs"
          ],
          "childCwd": "/tmp/codexd-test-gqLbdZ"
        },
        "http": {
          "host": "127.0.0.1",
          "port": 4319,
          "token": null,
          "tokenFile": null,
          "bodyLimitBytes": 1048576,
          "allowedHosts": [],
          "allowedOrigins": [],
          "rateLimitPerMinute": 600,
          "maxConnections": 17500,
          "headersTimeoutMs": 10000,
          "requestTimeoutMs": 30000,
          "keepAliveTimeoutMs": 10000,
          "responseAuditFile": "/tmp/codexd-response-audit-QXP22y/responses-26541-11999787-e893-4514-8d9c-e45fe444f21f.jsonl"
        },
        "eventLog": {
          "maxBytes": 67108864,
          "keepFiles": 4
        },
        "childLogs": {
          "maxBytes": 8388608,
          "keepFiles": 3
        },
        "runs": {
          "retention": 1000,
          "concurrency": 2,
          "defaultTimeoutMs": 1800000,
          "maxQueued": 10000
        },
        "limits": {
          "promptBytes": 262144,
          "metadataBytes": 16384,
          "eventDetailBytes": 65536,
          "registryTextBytes": 65536,
          "turnItemsBytes": 262144
        },
        "sessions": {
          "retention": 1000
        },
        "turns": {
          "retention": 1000,
          "silenceTimeoutMs": 600000,
          "retryGiveUpMs": 120000
        },
        "codex": {
          "requestTimeoutMs": 30000
        },
        "workspaces": {
          "allowedRoots": [],
          "diffMaxBytes": 1048576,
          "recovery": "remove",
          "dir": "/tmp/codexd-test-gqLbdZ/state/worktrees"
        },
        "approvals": {
          "policy": "manual",
          "timeoutMs": 600000
        },
        "streams": {
          "heartbeatMs": 15000,
          "queueCapacity": 10000,
          "maxBufferedBytes": 8388608
        },
        "storage": {
          "retryIntervalMs": 1000
        },
        "child": {
          "restartPolicy": "on-failure",
          "readyTimeoutMs": 20000,
          "stopEofTimeoutMs": 3000,
          "stopTermTimeoutMs": 3000,
          "stopKillTimeoutMs": 2000,
          "backoffInitialMs": 500,
          "backoffMaxMs": 30000,
          "backoffResetAfterMs": 60000,
          "startLimitBurst": 5,
          "startLimitWindowMs": 60000,
          "livenessIntervalMs": 0,
          "livenessTimeoutMs": 5000,
          "livenessFailures": 3
        }
      }
    }
  },
  "closeSession": {
    "response": {
      "sessionId": "d03fd45e-d62b-459d-a017-53311ce2a033",
      "status": "closed",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T03:04:50.800Z",
      "createdAt": "2026-12-05T03:04:43.452Z",
      "threadId": "01a24429-3eba-725a-9a9b-f116492a809f",
      "cwd": "/tmp/codexd-test-gqLbdZ/project",
      "model": "fake-model",
      "turnCount": 4,
      "metadata": {
        "ticket": "ENG-1432"
      },
      "lastUsage": null,
      "approvals": "manual",
      "approvalPolicy": "on-request",
      "sandbox": "workspace-write",
      "threadParams": {
        "cwd": "/tmp/codexd-test-gqLbdZ/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": "2026-12-05T03:04:50.800Z"
    }
  },
  "signalChild": {
    "request": {
      "signal": "SIGTERM"
    },
    "response": {
      "strategy": "spawn",
      "mode": "app-server",
      "endpoint": null,
      "status": "running",
      "command": "/usr/bin/node",
      "args": [
        "/srv/codexd/test/fixtures/fake-app-server.mjs"
      ],
      "cwd": "/tmp/codexd-test-gqLbdZ",
      "pid": 27408,
      "startedAt": "2026-12-05T03:04:42.310Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 27408,
      "startTicks": 1399172,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "lastExit": {
        "at": "2026-12-05T03:04:42.216Z",
        "exitCode": 0,
        "signal": null,
        "cause": "operator",
        "stopStep": "eof"
      },
      "readyAt": "2026-12-05T03:04:43.246Z",
      "fatalReason": null,
      "protocol": {
        "userAgent": "fake-app-server/0.169.0",
        "codexHome": "/root/.codex",
        "platformFamily": "unix",
        "platformOs": "linux"
      }
    }
  }
};
