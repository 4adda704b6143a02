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
        "/work/wt/reads/test/fixtures/fake-app-server.mjs"
      ],
      "cwd": "/tmp/codexd-test-3rAqyt",
      "pid": 11149,
      "startedAt": "2026-12-05T02:39:48.135Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 11149,
      "startTicks": 1249758,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "readyAt": "2026-12-05T02:39:54.065Z",
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
          "/work/wt/reads/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-3rAqyt",
        "pid": null,
        "startedAt": "2026-12-05T02:39:48.135Z",
        "exitedAt": "2026-12-05T02:39:54.688Z",
        "exitCode": 0,
        "signal": null,
        "lastError": null,
        "pgid": null,
        "startTicks": 1249758,
        "desired": "stopped",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T02:39:54.688Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T02:39:54.065Z",
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
          "/work/wt/reads/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-3rAqyt",
        "pid": 11272,
        "startedAt": "2026-12-05T02:39:55.124Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 11272,
        "startTicks": 1250455,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T02:39:54.688Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T02:39:55.749Z",
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
          "/work/wt/reads/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-3rAqyt",
        "pid": 11321,
        "startedAt": "2026-12-05T02:39:56.332Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 11321,
        "startTicks": 1250579,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T02:39:56.238Z",
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
          "/work/wt/reads/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-3rAqyt",
        "pid": 11321,
        "startedAt": "2026-12-05T02:39:56.332Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 11321,
        "startTicks": 1250579,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T02:39:56.238Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T02:39:56.738Z",
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
        "[fake-app-server 11321] started (faults: none)",
        "[fake-app-server 11321] request 1 initialize",
        "[fake-app-server 11321] notification initialized",
        "[fake-app-server 11321] request 2 account/read"
      ]
    }
  },
  "createSession": {
    "request": {
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "sandbox": "workspace-write",
      "approvalPolicy": "on-request",
      "approvals": "manual",
      "metadata": {
        "ticket": "ENG-1432"
      }
    },
    "response": {
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T02:39:57.099Z",
      "createdAt": "2026-12-05T02:39:57.099Z",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
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
        "cwd": "/tmp/codexd-test-3rAqyt/project",
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
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "turnId": "01a24412-9123-7d3d-811a-d2a96bd10558",
      "status": "inProgress",
      "steered": false
    }
  },
  "getTurn": {
    "response": {
      "turnId": "01a24412-9123-7d3d-811a-d2a96bd10558",
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "status": "completed",
      "input": "Which file is the entry point of this project?",
      "createdAt": "2026-12-05T02:39:57.226Z",
      "updatedAt": "2026-12-05T02:39:57.242Z",
      "startedAt": "2026-12-05T02:39:57.226Z",
      "completedAt": "2026-12-05T02:39:57.242Z",
      "items": [
        {
          "type": "userMessage",
          "id": "01a24412-9127-7a72-890a-611716b2fdd9",
          "clientId": null,
          "content": [
            {
              "text_elements": [],
              "type": "text",
              "text": "Which file is the entry point of this project?"
            }
          ],
          "startedAtMs": 1796438397223,
          "completedAtMs": 1796438397223
        },
        {
          "type": "agentMessage",
          "moderation": null,
          "id": "msg_01a24412-9127-7637-84b4-bd3429a1cc68",
          "text": "echo: Which file is the entry point of this project?",
          "phase": null,
          "memoryCitation": null,
          "delivery": null,
          "questions": null,
          "completedAtMs": 1796438397233
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
          "approvalId": "2ee7c98b-e941-4b5f-8416-f37c38fedb31",
          "kind": "commandExecution",
          "method": "item/commandExecution/requestApproval",
          "status": "pending",
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
          "turnId": "01a24412-9194-7f8f-9e95-7faf658d9bbc",
          "itemId": "call_01a24412-9196-796a-9073-0d0edf6b3fe5",
          "command": "echo fake",
          "cwd": "/tmp/codexd-test-3rAqyt/project",
          "reason": "fake approval",
          "detail": {
            "kind": "command",
            "startedAtMs": 1796438397335,
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
          "createdAt": "2026-12-05T02:39:57.336Z",
          "resolvedAt": null,
          "expiresAt": "2026-12-05T02:49:57.336Z"
        }
      ],
      "nextCursor": null
    }
  },
  "getApproval": {
    "response": {
      "approvalId": "2ee7c98b-e941-4b5f-8416-f37c38fedb31",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "pending",
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "turnId": "01a24412-9194-7f8f-9e95-7faf658d9bbc",
      "itemId": "call_01a24412-9196-796a-9073-0d0edf6b3fe5",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796438397335,
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
      "createdAt": "2026-12-05T02:39:57.336Z",
      "resolvedAt": null,
      "expiresAt": "2026-12-05T02:49:57.336Z"
    }
  },
  "decideApproval": {
    "request": {
      "decision": "accept"
    },
    "response": {
      "approvalId": "2ee7c98b-e941-4b5f-8416-f37c38fedb31",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "resolved",
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "turnId": "01a24412-9194-7f8f-9e95-7faf658d9bbc",
      "itemId": "call_01a24412-9196-796a-9073-0d0edf6b3fe5",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796438397335,
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
      "createdAt": "2026-12-05T02:39:57.336Z",
      "resolvedAt": "2026-12-05T02:39:57.412Z",
      "expiresAt": "2026-12-05T02:49:57.336Z"
    }
  },
  "interruptTurn": {
    "response": {
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "turnId": "01a24412-924b-7026-920c-fbf056402f12",
      "requested": true
    }
  },
  "listTurns": {
    "response": {
      "turns": [
        {
          "turnId": "01a24412-9123-7d3d-811a-d2a96bd10558",
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
          "status": "completed",
          "input": "Which file is the entry point of this project?",
          "createdAt": "2026-12-05T02:39:57.226Z",
          "updatedAt": "2026-12-05T02:39:57.242Z",
          "startedAt": "2026-12-05T02:39:57.226Z",
          "completedAt": "2026-12-05T02:39:57.242Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a24412-9127-7a72-890a-611716b2fdd9",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "Which file is the entry point of this project?"
                }
              ],
              "startedAtMs": 1796438397223,
              "completedAtMs": 1796438397223
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a24412-9127-7637-84b4-bd3429a1cc68",
              "text": "echo: Which file is the entry point of this project?",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796438397233
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
          "turnId": "01a24412-9194-7f8f-9e95-7faf658d9bbc",
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
          "status": "completed",
          "input": "[approval:command] Run the test suite.",
          "createdAt": "2026-12-05T02:39:57.333Z",
          "updatedAt": "2026-12-05T02:39:57.419Z",
          "startedAt": "2026-12-05T02:39:57.333Z",
          "completedAt": "2026-12-05T02:39:57.419Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a24412-9194-7b51-9831-7f5d952f1e3e",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "[approval:command] Run the test suite."
                }
              ],
              "startedAtMs": 1796438397332,
              "completedAtMs": 1796438397332
            },
            {
              "type": "commandExecution",
              "id": "call_01a24412-9196-796a-9073-0d0edf6b3fe5",
              "pluginId": null,
              "scriptPath": null,
              "command": "echo fake",
              "cwd": "/tmp/codexd-test-3rAqyt/project",
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
              "completedAtMs": 1796438397409
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a24412-91e1-7fd3-95c1-c12409954e8a",
              "text": "echo: [approval:command] Run the test suite.",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796438397410
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
      "nextCursor": "WyIyMDI2LTEyLTA1VDAyOjM5OjU3LjMzM1oiLCIwMWEyNDQxMi05MTk0LTdmOGYtOWU5NS03ZmFmNjU4ZDliYmMiXQ"
    }
  },
  "getSession": {
    "response": {
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T02:39:57.571Z",
      "createdAt": "2026-12-05T02:39:57.099Z",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
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
        "cwd": "/tmp/codexd-test-3rAqyt/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": null
    }
  },
  "createRun": {
    "request": {
      "prompt": "Summarize the open TODO comments in src/.",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "timeoutMs": 600000,
      "metadata": {
        "ticket": "ENG-1433"
      }
    },
    "response": {
      "runId": "abf00edf-5ec0-47b8-9594-7532eb894209",
      "status": "queued",
      "createdAt": "2026-12-05T02:39:57.788Z",
      "updatedAt": "2026-12-05T02:39:57.788Z",
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
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "ef46294cf5b9645909a164265a08a213922ab153d52fc3c2fe8437d60ccfd0b8",
      "approvals": []
    }
  },
  "getRun": {
    "response": {
      "runId": "abf00edf-5ec0-47b8-9594-7532eb894209",
      "status": "completed",
      "createdAt": "2026-12-05T02:39:57.788Z",
      "updatedAt": "2026-12-05T02:39:58.167Z",
      "prompt": "Summarize the open TODO comments in src/.",
      "sessionId": "568c321e-11dd-44b9-a7e3-103ba4e560f7",
      "threadId": "01a24412-942a-72b0-b01a-248e3af5ef48",
      "turnId": "01a24412-94a7-74fc-bc9b-63c797524c13",
      "startedAt": "2026-12-05T02:39:57.808Z",
      "finishedAt": "2026-12-05T02:39:58.167Z",
      "durationMs": 359,
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
      "cwd": "/tmp/codexd-test-3rAqyt/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "ef46294cf5b9645909a164265a08a213922ab153d52fc3c2fe8437d60ccfd0b8",
      "approvals": []
    }
  },
  "listEvents": {
    "response": {
      "events": [
        {
          "seq": 80,
          "createdAt": "2026-12-05T02:39:57.789Z",
          "level": "info",
          "type": "run.queued",
          "message": "run queued",
          "detail": {
            "idempotencyKey": "eng-1433-todo-summary"
          },
          "bootId": "f1b4e80e-8376-437e-bf61-d3971253f87e",
          "runId": "abf00edf-5ec0-47b8-9594-7532eb894209"
        },
        {
          "seq": 81,
          "createdAt": "2026-12-05T02:39:57.808Z",
          "level": "info",
          "type": "run.started",
          "message": "run started",
          "detail": {},
          "bootId": "f1b4e80e-8376-437e-bf61-d3971253f87e",
          "runId": "abf00edf-5ec0-47b8-9594-7532eb894209"
        },
        {
          "seq": 106,
          "createdAt": "2026-12-05T02:39:58.167Z",
          "level": "info",
          "type": "run.completed",
          "message": "run completed",
          "detail": {
            "status": "completed",
            "error": null,
            "durationMs": 359
          },
          "bootId": "f1b4e80e-8376-437e-bf61-d3971253f87e",
          "sessionId": "568c321e-11dd-44b9-a7e3-103ba4e560f7",
          "runId": "abf00edf-5ec0-47b8-9594-7532eb894209"
        }
      ],
      "nextAfter": 106,
      "oldestSeq": 1,
      "lastSeq": 106
    }
  },
  "cancelRun": {
    "response": {
      "changed": true,
      "run": {
        "runId": "20aa6516-15a7-4206-88f2-df74103724eb",
        "status": "cancelled",
        "createdAt": "2026-12-05T02:39:58.320Z",
        "updatedAt": "2026-12-05T02:39:58.335Z",
        "prompt": "Write release notes for the last ten commits.",
        "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
        "threadId": null,
        "turnId": null,
        "startedAt": null,
        "finishedAt": "2026-12-05T02:39:58.335Z",
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
        "requestHash": "f2a431f123b227f12fe81cffcbdf180f5d6719879969c0bf8751801e766f9089",
        "approvals": []
      }
    }
  },
  "listRuns": {
    "response": {
      "runs": [
        {
          "runId": "20aa6516-15a7-4206-88f2-df74103724eb",
          "status": "cancelled",
          "createdAt": "2026-12-05T02:39:58.320Z",
          "updatedAt": "2026-12-05T02:39:58.335Z",
          "prompt": "Write release notes for the last ten commits.",
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "threadId": null,
          "turnId": null,
          "startedAt": null,
          "finishedAt": "2026-12-05T02:39:58.335Z",
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
          "requestHash": "f2a431f123b227f12fe81cffcbdf180f5d6719879969c0bf8751801e766f9089",
          "approvals": []
        },
        {
          "runId": "c23a49cb-f180-4682-9e1e-7a3a79da9654",
          "status": "cancelled",
          "createdAt": "2026-12-05T02:39:58.313Z",
          "updatedAt": "2026-12-05T02:39:58.357Z",
          "prompt": "[delay:60000] Upgrade the dependencies.",
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
          "turnId": "01a24412-9577-7ee1-9562-b3c28e2c816c",
          "startedAt": "2026-12-05T02:39:58.316Z",
          "finishedAt": "2026-12-05T02:39:58.357Z",
          "durationMs": 41,
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
          "requestHash": "ce2b2e9be0e74c0dee6b14e3c6a5c09b84b168f2df8379e4c57f84fa91a67822",
          "approvals": []
        }
      ],
      "nextCursor": "WyIyMDI2LTEyLTA1VDAyOjM5OjU4LjMxM1oiLCJjMjNhNDljYi1mMTgwLTQ2ODItOWUxZS03YTNhNzlkYTk2NTQiXQ"
    }
  },
  "listSessions": {
    "response": {
      "sessions": [
        {
          "sessionId": "568c321e-11dd-44b9-a7e3-103ba4e560f7",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T02:39:57.995Z",
          "updatedAt": "2026-12-05T02:39:58.133Z",
          "threadId": "01a24412-942a-72b0-b01a-248e3af5ef48",
          "cwd": "/tmp/codexd-test-3rAqyt/project",
          "model": "fake-model",
          "turnCount": 1,
          "metadata": {
            "runId": "abf00edf-5ec0-47b8-9594-7532eb894209"
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
            "cwd": "/tmp/codexd-test-3rAqyt/project"
          },
          "closedAt": null
        },
        {
          "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T02:39:57.099Z",
          "updatedAt": "2026-12-05T02:39:58.354Z",
          "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
          "cwd": "/tmp/codexd-test-3rAqyt/project",
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
            "cwd": "/tmp/codexd-test-3rAqyt/project",
            "approvalPolicy": "on-request",
            "sandbox": "workspace-write"
          },
          "closedAt": null
        }
      ],
      "nextCursor": null
    }
  },
  "getStatus": {
    "response": {
      "identity": {
        "daemonId": "02efb9f9-c16e-4fa7-8ffa-52bb1c23bbf8",
        "nodeId": "vm",
        "repoRoot": "/tmp/codexd-test-3rAqyt",
        "createdAt": "2026-12-05T02:39:48.013Z",
        "version": "0.1.0"
      },
      "daemon": {
        "started": true,
        "startedAt": "2026-12-05T02:39:48.038Z",
        "pid": 11060,
        "bootId": "f1b4e80e-8376-437e-bf61-d3971253f87e",
        "uptimeMs": 10289,
        "ready": true,
        "notReadyReasons": []
      },
      "child": {
        "strategy": "spawn",
        "mode": "app-server",
        "endpoint": null,
        "command": "/usr/bin/node",
        "args": [
          "/work/wt/reads/test/fixtures/fake-app-server.mjs"
        ],
        "cwd": "/tmp/codexd-test-3rAqyt",
        "status": "running",
        "pid": 11321,
        "startedAt": "2026-12-05T02:39:56.332Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "desired": "running",
        "restartCount": 0,
        "pgid": 11321,
        "startTicks": 1250579,
        "readyAt": "2026-12-05T02:39:56.738Z",
        "nextRestartAt": null,
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        },
        "lastExit": {
          "at": "2026-12-05T02:39:56.238Z",
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
          "checkedAt": "2026-12-05T02:39:56.738Z",
          "error": null
        }
      },
      "counts": {
        "sessions": {
          "idle": 2,
          "active": 0,
          "closed": 0,
          "failed": 0
        },
        "runs": {
          "queued": 0,
          "running": 0,
          "completed": 1,
          "failed": 0,
          "cancelled": 2,
          "timed_out": 0,
          "interrupted": 0
        },
        "archivedRuns": 0
      },
      "store": {
        "status": "ok",
        "stateDir": "/tmp/codexd-test-3rAqyt/state",
        "code": null,
        "cause": null,
        "reason": null,
        "since": null
      },
      "events": {
        "lastSeq": 124,
        "oldestSeq": 1
      },
      "config": {
        "nodeId": "vm",
        "version": "0.1.0",
        "eventCacheSize": 500,
        "logLevel": "info",
        "logFormat": "auto",
        "paths": {
          "repoRoot": "/tmp/codexd-test-3rAqyt",
          "stateDir": "/tmp/codexd-test-3rAqyt/state",
          "logsDir": "/tmp/codexd-test-3rAqyt/state/logs",
          "identityPath": "/tmp/codexd-test-3rAqyt/state/identity.json",
          "daemonStatePath": "/tmp/codexd-test-3rAqyt/state/daemon-state.json",
          "sessionRegistryPath": "/tmp/codexd-test-3rAqyt/state/session-registry.json",
          "runRegistryPath": "/tmp/codexd-test-3rAqyt/state/run-registry.json",
          "runArchivePath": "/tmp/codexd-test-3rAqyt/state/run-archive.jsonl",
          "turnRegistryPath": "/tmp/codexd-test-3rAqyt/state/turn-registry.json",
          "recentEventsPath": "/tmp/codexd-test-3rAqyt/state/recent-events.json",
          "structuredEventLogPath": "/tmp/codexd-test-3rAqyt/state/events.jsonl",
          "stdoutLogPath": "/tmp/codexd-test-3rAqyt/state/logs/child.stdout.log",
          "stderrLogPath": "/tmp/codexd-test-3rAqyt/state/logs/child.stderr.log"
        },
        "server": {
          "childStrategy": "spawn",
          "mode": "app-server",
          "endpoint": null,
          "childCommand": "/usr/bin/node",
          "childArgs": [
            "/work/wt/reads/test/fixtures/fake-app-server.mjs"
          ],
          "childCwd": "/tmp/codexd-test-3rAqyt"
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
          "responseAuditFile": "/tmp/codexd-response-audit-OQxlXH/responses-11060-14561576-dc16-48ba-91dc-ec3e9f79c16c.jsonl"
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
        "approvals": {
          "policy": "manual",
          "timeoutMs": 600000
        },
        "streams": {
          "heartbeatMs": 15000,
          "queueCapacity": 10000
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
      "sessionId": "e8ae03b3-2d01-407e-984b-fe493b2f456b",
      "status": "closed",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T02:39:58.381Z",
      "createdAt": "2026-12-05T02:39:57.099Z",
      "threadId": "01a24412-909e-7a30-8026-cc8e718191b8",
      "cwd": "/tmp/codexd-test-3rAqyt/project",
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
        "cwd": "/tmp/codexd-test-3rAqyt/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": "2026-12-05T02:39:58.380Z"
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
        "/work/wt/reads/test/fixtures/fake-app-server.mjs"
      ],
      "cwd": "/tmp/codexd-test-3rAqyt",
      "pid": 11321,
      "startedAt": "2026-12-05T02:39:56.332Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 11321,
      "startTicks": 1250579,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "lastExit": {
        "at": "2026-12-05T02:39:56.238Z",
        "exitCode": 0,
        "signal": null,
        "cause": "operator",
        "stopStep": "eof"
      },
      "readyAt": "2026-12-05T02:39:56.738Z",
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
