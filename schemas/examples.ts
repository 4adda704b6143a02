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
      "cwd": "/tmp/codexd-test-fkp9Qv",
      "pid": 31295,
      "startedAt": "2026-12-05T05:30:56.452Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 31295,
      "startTicks": 2276592,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "readyAt": "2026-12-05T05:31:01.474Z",
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
        "cwd": "/tmp/codexd-test-fkp9Qv",
        "pid": null,
        "startedAt": "2026-12-05T05:30:56.452Z",
        "exitedAt": "2026-12-05T05:31:01.771Z",
        "exitCode": 0,
        "signal": null,
        "lastError": null,
        "pgid": null,
        "startTicks": 2276592,
        "desired": "stopped",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T05:31:01.771Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T05:31:01.474Z",
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
        "cwd": "/tmp/codexd-test-fkp9Qv",
        "pid": 31313,
        "startedAt": "2026-12-05T05:31:01.991Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 31313,
        "startTicks": 2277143,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T05:31:01.771Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T05:31:02.183Z",
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
        "cwd": "/tmp/codexd-test-fkp9Qv",
        "pid": 31325,
        "startedAt": "2026-12-05T05:31:02.484Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 31325,
        "startTicks": 2277193,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T05:31:02.400Z",
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
        "cwd": "/tmp/codexd-test-fkp9Qv",
        "pid": 31325,
        "startedAt": "2026-12-05T05:31:02.484Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "pgid": 31325,
        "startTicks": 2277193,
        "desired": "running",
        "restartCount": 0,
        "nextRestartAt": null,
        "lastExit": {
          "at": "2026-12-05T05:31:02.400Z",
          "exitCode": 0,
          "signal": null,
          "cause": "operator",
          "stopStep": "eof"
        },
        "readyAt": "2026-12-05T05:31:02.762Z",
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
        "[fake-app-server 31325] started (faults: none)",
        "[fake-app-server 31325] request 1 initialize",
        "[fake-app-server 31325] notification initialized",
        "[fake-app-server 31325] request 2 account/read"
      ]
    }
  },
  "createSession": {
    "request": {
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "sandbox": "workspace-write",
      "approvalPolicy": "on-request",
      "approvals": "manual",
      "metadata": {
        "ticket": "ENG-1432"
      }
    },
    "response": {
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T05:31:02.986Z",
      "createdAt": "2026-12-05T05:31:02.986Z",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
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
        "cwd": "/tmp/codexd-test-fkp9Qv/project",
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
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "turnId": "01a244af-363c-7b4e-b5b5-07931472e3f7",
      "status": "completed",
      "steered": false
    }
  },
  "getTurn": {
    "response": {
      "turnId": "01a244af-363c-7b4e-b5b5-07931472e3f7",
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "status": "completed",
      "input": "Which file is the entry point of this project?",
      "createdAt": "2026-12-05T05:31:03.110Z",
      "updatedAt": "2026-12-05T05:31:03.112Z",
      "startedAt": "2026-12-05T05:31:03.110Z",
      "completedAt": "2026-12-05T05:31:03.112Z",
      "items": [
        {
          "type": "userMessage",
          "id": "01a244af-363d-7b6a-9f12-47647efa9eee",
          "clientId": null,
          "content": [
            {
              "text_elements": [],
              "type": "text",
              "text": "Which file is the entry point of this project?"
            }
          ],
          "startedAtMs": 1796448663101,
          "completedAtMs": 1796448663101
        },
        {
          "type": "agentMessage",
          "moderation": null,
          "id": "msg_01a244af-363e-7642-bd80-1df187b2f079",
          "text": "echo: Which file is the entry point of this project?",
          "phase": null,
          "memoryCitation": null,
          "delivery": null,
          "questions": null,
          "completedAtMs": 1796448663103
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
          "approvalId": "7c940d56-1d19-4c60-b61c-413b88479953",
          "kind": "commandExecution",
          "method": "item/commandExecution/requestApproval",
          "status": "pending",
          "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
          "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
          "turnId": "01a244af-36e0-7a56-baaa-e5cbb8dc17e2",
          "itemId": "call_01a244af-36e1-7f74-b725-f0698f61e7bf",
          "command": "echo fake",
          "cwd": "/tmp/codexd-test-fkp9Qv/project",
          "reason": "fake approval",
          "detail": {
            "kind": "command",
            "startedAtMs": 1796448663265,
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
          "createdAt": "2026-12-05T05:31:03.276Z",
          "resolvedAt": null,
          "expiresAt": "2026-12-05T05:41:03.276Z"
        }
      ],
      "nextCursor": null
    }
  },
  "getApproval": {
    "response": {
      "approvalId": "7c940d56-1d19-4c60-b61c-413b88479953",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "pending",
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "turnId": "01a244af-36e0-7a56-baaa-e5cbb8dc17e2",
      "itemId": "call_01a244af-36e1-7f74-b725-f0698f61e7bf",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796448663265,
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
      "createdAt": "2026-12-05T05:31:03.276Z",
      "resolvedAt": null,
      "expiresAt": "2026-12-05T05:41:03.276Z"
    }
  },
  "decideApproval": {
    "request": {
      "decision": "accept"
    },
    "response": {
      "approvalId": "7c940d56-1d19-4c60-b61c-413b88479953",
      "kind": "commandExecution",
      "method": "item/commandExecution/requestApproval",
      "status": "resolved",
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "turnId": "01a244af-36e0-7a56-baaa-e5cbb8dc17e2",
      "itemId": "call_01a244af-36e1-7f74-b725-f0698f61e7bf",
      "command": "echo fake",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "reason": "fake approval",
      "detail": {
        "kind": "command",
        "startedAtMs": 1796448663265,
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
      "createdAt": "2026-12-05T05:31:03.276Z",
      "resolvedAt": "2026-12-05T05:31:03.386Z",
      "expiresAt": "2026-12-05T05:41:03.276Z"
    }
  },
  "interruptTurn": {
    "response": {
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "turnId": "01a244af-37b8-7545-9a16-058718c03f86",
      "requested": true
    }
  },
  "listTurns": {
    "response": {
      "turns": [
        {
          "turnId": "01a244af-363c-7b4e-b5b5-07931472e3f7",
          "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
          "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
          "status": "completed",
          "input": "Which file is the entry point of this project?",
          "createdAt": "2026-12-05T05:31:03.110Z",
          "updatedAt": "2026-12-05T05:31:03.112Z",
          "startedAt": "2026-12-05T05:31:03.110Z",
          "completedAt": "2026-12-05T05:31:03.112Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a244af-363d-7b6a-9f12-47647efa9eee",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "Which file is the entry point of this project?"
                }
              ],
              "startedAtMs": 1796448663101,
              "completedAtMs": 1796448663101
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a244af-363e-7642-bd80-1df187b2f079",
              "text": "echo: Which file is the entry point of this project?",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796448663103
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
          "turnId": "01a244af-36e0-7a56-baaa-e5cbb8dc17e2",
          "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
          "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
          "status": "completed",
          "input": "[approval:command] Run the test suite.",
          "createdAt": "2026-12-05T05:31:03.268Z",
          "updatedAt": "2026-12-05T05:31:03.394Z",
          "startedAt": "2026-12-05T05:31:03.268Z",
          "completedAt": "2026-12-05T05:31:03.394Z",
          "items": [
            {
              "type": "userMessage",
              "id": "01a244af-36e0-7efa-954a-96bf844d3cc6",
              "clientId": null,
              "content": [
                {
                  "text_elements": [],
                  "type": "text",
                  "text": "[approval:command] Run the test suite."
                }
              ],
              "startedAtMs": 1796448663264,
              "completedAtMs": 1796448663264
            },
            {
              "type": "commandExecution",
              "id": "call_01a244af-36e1-7f74-b725-f0698f61e7bf",
              "pluginId": null,
              "scriptPath": null,
              "command": "echo fake",
              "cwd": "/tmp/codexd-test-fkp9Qv/project",
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
              "completedAtMs": 1796448663373
            },
            {
              "type": "agentMessage",
              "moderation": null,
              "id": "msg_01a244af-374d-79cc-9a49-dbeb434f035e",
              "text": "echo: [approval:command] Run the test suite.",
              "phase": null,
              "memoryCitation": null,
              "delivery": null,
              "questions": null,
              "completedAtMs": 1796448663374
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
      "nextCursor": "WyIyMDI2LTEyLTA1VDA1OjMxOjAzLjI2OFoiLCIwMWEyNDRhZi0zNmUwLTdhNTYtYmFhYS1lNWNiYjhkYzE3ZTIiXQ"
    }
  },
  "getSession": {
    "response": {
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "status": "idle",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T05:31:03.542Z",
      "createdAt": "2026-12-05T05:31:02.986Z",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
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
        "cwd": "/tmp/codexd-test-fkp9Qv/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": null
    }
  },
  "createRun": {
    "request": {
      "prompt": "Summarize the open TODO comments in src/.",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "timeoutMs": 600000,
      "metadata": {
        "ticket": "ENG-1433"
      }
    },
    "response": {
      "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66",
      "status": "queued",
      "createdAt": "2026-12-05T05:31:03.747Z",
      "updatedAt": "2026-12-05T05:31:03.747Z",
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
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "3915328adae7ba450183599ae11b63125a2849396906b92a3c4ef860339b2411",
      "approvals": [],
      "workspace": null,
      "outputSchema": null
    }
  },
  "getRun": {
    "response": {
      "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66",
      "status": "completed",
      "createdAt": "2026-12-05T05:31:03.747Z",
      "updatedAt": "2026-12-05T05:31:03.970Z",
      "prompt": "Summarize the open TODO comments in src/.",
      "sessionId": "9d6b4597-77c0-4a27-ac4e-c33f53b0de19",
      "threadId": "01a244af-3977-7069-8a7c-b1cb69fe66eb",
      "turnId": "01a244af-3985-7cd8-8d87-875876f2ad56",
      "startedAt": "2026-12-05T05:31:03.761Z",
      "finishedAt": "2026-12-05T05:31:03.970Z",
      "durationMs": 209,
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
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
      "model": null,
      "approvalPolicy": null,
      "timeoutMs": 600000,
      "idempotencyKey": "eng-1433-todo-summary",
      "requestHash": "3915328adae7ba450183599ae11b63125a2849396906b92a3c4ef860339b2411",
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
          "createdAt": "2026-12-05T05:31:03.747Z",
          "level": "info",
          "type": "run.queued",
          "message": "run queued",
          "detail": {
            "idempotencyKey": "eng-1433-todo-summary"
          },
          "bootId": "6cfa29e8-2885-4de5-8e08-b5c9a6e6eba6",
          "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66"
        },
        {
          "seq": 79,
          "createdAt": "2026-12-05T05:31:03.761Z",
          "level": "info",
          "type": "run.started",
          "message": "run started",
          "detail": {},
          "bootId": "6cfa29e8-2885-4de5-8e08-b5c9a6e6eba6",
          "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66"
        },
        {
          "seq": 104,
          "createdAt": "2026-12-05T05:31:03.970Z",
          "level": "info",
          "type": "run.completed",
          "message": "run completed",
          "detail": {
            "status": "completed",
            "error": null,
            "durationMs": 209
          },
          "bootId": "6cfa29e8-2885-4de5-8e08-b5c9a6e6eba6",
          "sessionId": "9d6b4597-77c0-4a27-ac4e-c33f53b0de19",
          "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66"
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
        "runId": "44608b58-8a87-404a-8633-4a6e545ad185",
        "status": "cancelled",
        "createdAt": "2026-12-05T05:31:04.230Z",
        "updatedAt": "2026-12-05T05:31:04.264Z",
        "prompt": "Write release notes for the last ten commits.",
        "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
        "threadId": null,
        "turnId": null,
        "startedAt": null,
        "finishedAt": "2026-12-05T05:31:04.264Z",
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
        "requestHash": "d55b6515318b544ab1f05b270868c7a4d8fed5f872d126ca0f01face63b5a964",
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
          "runId": "44608b58-8a87-404a-8633-4a6e545ad185",
          "status": "cancelled",
          "createdAt": "2026-12-05T05:31:04.230Z",
          "updatedAt": "2026-12-05T05:31:04.264Z",
          "prompt": "Write release notes for the last ten commits.",
          "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
          "threadId": null,
          "turnId": null,
          "startedAt": null,
          "finishedAt": "2026-12-05T05:31:04.264Z",
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
          "requestHash": "d55b6515318b544ab1f05b270868c7a4d8fed5f872d126ca0f01face63b5a964",
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
          "runId": "88cf1d0e-bbc7-4d37-8e89-1ca552fc90b0",
          "status": "cancelled",
          "createdAt": "2026-12-05T05:31:04.202Z",
          "updatedAt": "2026-12-05T05:31:04.483Z",
          "prompt": "[delay:60000] Upgrade the dependencies.",
          "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
          "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
          "turnId": "01a244af-3aba-70fa-8285-7ea663a5cdd1",
          "startedAt": "2026-12-05T05:31:04.215Z",
          "finishedAt": "2026-12-05T05:31:04.483Z",
          "durationMs": 268,
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
          "requestHash": "b386ccf078413fbd030730272178eebdf00db984709d7642b71a1b06b4e5d2dd",
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
      "nextCursor": "WyIyMDI2LTEyLTA1VDA1OjMxOjA0LjIwMloiLCI4OGNmMWQwZS1iYmM3LTRkMzctOGU4OS0xY2E1NTJmYzkwYjAiXQ"
    }
  },
  "getRunDiff": {
    "response": {
      "runId": "ec304e97-3d90-4e7c-b31a-295f68ffcadf",
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
        "repo": "/tmp/codexd-repo-FZq5Gt",
        "ref": "HEAD",
        "baseCommit": "4d855c3385d0f1881e948c7ad9726d5c6b36f9e4",
        "baseTree": "1b52de927ab255fc435236586fb029a017819990",
        "branch": "codexd/ec304e97-3d90-4e7c-b31a-295f68ffcadf",
        "path": "/tmp/codexd-test-fkp9Qv/state/worktrees/ec304e97-3d90-4e7c-b31a-295f68ffcadf",
        "status": "removed",
        "commit": true,
        "message": null,
        "keep": true,
        "createdAt": "2026-12-05T05:31:05.419Z",
        "removedAt": "2026-12-05T05:31:06.341Z"
      }
    }
  },
  "listSessions": {
    "response": {
      "sessions": [
        {
          "sessionId": "a4de99d0-ad22-4cdd-b687-d6797087100d",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T05:31:05.445Z",
          "updatedAt": "2026-12-05T05:31:05.468Z",
          "threadId": "01a244af-3f62-72f9-9601-740f26b8feae",
          "cwd": "/tmp/codexd-test-fkp9Qv/state/worktrees/ec304e97-3d90-4e7c-b31a-295f68ffcadf",
          "model": "fake-model",
          "turnCount": 1,
          "metadata": {
            "runId": "ec304e97-3d90-4e7c-b31a-295f68ffcadf"
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
            "cwd": "/tmp/codexd-test-fkp9Qv/state/worktrees/ec304e97-3d90-4e7c-b31a-295f68ffcadf",
            "sandbox": "workspace-write"
          },
          "closedAt": null
        },
        {
          "sessionId": "9d6b4597-77c0-4a27-ac4e-c33f53b0de19",
          "status": "idle",
          "currentTurnId": null,
          "createdAt": "2026-12-05T05:31:03.928Z",
          "updatedAt": "2026-12-05T05:31:03.952Z",
          "threadId": "01a244af-3977-7069-8a7c-b1cb69fe66eb",
          "cwd": "/tmp/codexd-test-fkp9Qv/project",
          "model": "fake-model",
          "turnCount": 1,
          "metadata": {
            "runId": "61efe249-eb6f-4d27-93ad-1232c4305e66"
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
            "cwd": "/tmp/codexd-test-fkp9Qv/project"
          },
          "closedAt": null
        }
      ],
      "nextCursor": "WyIyMDI2LTEyLTA1VDA1OjMxOjAzLjkyOFoiLCI5ZDZiNDU5Ny03N2MwLTRhMjctYWM0ZS1jMzNmNTNiMGRlMTkiXQ"
    }
  },
  "getStatus": {
    "response": {
      "identity": {
        "daemonId": "6bff7435-d859-4ab6-90b7-fda390092471",
        "nodeId": "vm",
        "repoRoot": "/tmp/codexd-test-fkp9Qv",
        "createdAt": "2026-12-05T05:30:56.295Z",
        "version": "0.1.0"
      },
      "daemon": {
        "started": true,
        "startedAt": "2026-12-05T05:30:56.394Z",
        "pid": 31251,
        "bootId": "6cfa29e8-2885-4de5-8e08-b5c9a6e6eba6",
        "uptimeMs": 10050,
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
        "cwd": "/tmp/codexd-test-fkp9Qv",
        "status": "running",
        "pid": 31325,
        "startedAt": "2026-12-05T05:31:02.484Z",
        "exitedAt": null,
        "exitCode": null,
        "signal": null,
        "lastError": null,
        "desired": "running",
        "restartCount": 0,
        "pgid": 31325,
        "startTicks": 2277193,
        "readyAt": "2026-12-05T05:31:02.762Z",
        "nextRestartAt": null,
        "fatalReason": null,
        "protocol": {
          "userAgent": "fake-app-server/0.169.0",
          "codexHome": "/root/.codex",
          "platformFamily": "unix",
          "platformOs": "linux"
        },
        "lastExit": {
          "at": "2026-12-05T05:31:02.400Z",
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
          "checkedAt": "2026-12-05T05:31:02.762Z",
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
        "stateDir": "/tmp/codexd-test-fkp9Qv/state",
        "code": null,
        "cause": null,
        "reason": null,
        "since": null
      },
      "events": {
        "lastSeq": 159,
        "oldestSeq": 1,
        "rotation": {
          "status": "ok",
          "cause": null,
          "reason": null,
          "since": null
        }
      },
      "config": {
        "nodeId": "vm",
        "version": "0.1.0",
        "eventCacheSize": 500,
        "logLevel": "info",
        "logFormat": "auto",
        "paths": {
          "repoRoot": "/tmp/codexd-test-fkp9Qv",
          "stateDir": "/tmp/codexd-test-fkp9Qv/state",
          "logsDir": "/tmp/codexd-test-fkp9Qv/state/logs",
          "identityPath": "/tmp/codexd-test-fkp9Qv/state/identity.json",
          "daemonStatePath": "/tmp/codexd-test-fkp9Qv/state/daemon-state.json",
          "sessionRegistryPath": "/tmp/codexd-test-fkp9Qv/state/session-registry.json",
          "runRegistryPath": "/tmp/codexd-test-fkp9Qv/state/run-registry.json",
          "runArchivePath": "/tmp/codexd-test-fkp9Qv/state/run-archive.jsonl",
          "turnRegistryPath": "/tmp/codexd-test-fkp9Qv/state/turn-registry.json",
          "recentEventsPath": "/tmp/codexd-test-fkp9Qv/state/recent-events.json",
          "structuredEventLogPath": "/tmp/codexd-test-fkp9Qv/state/events.jsonl",
          "stdoutLogPath": "/tmp/codexd-test-fkp9Qv/state/logs/child.stdout.log",
          "stderrLogPath": "/tmp/codexd-test-fkp9Qv/state/logs/child.stderr.log"
        },
        "server": {
          "childStrategy": "spawn",
          "mode": "app-server",
          "endpoint": null,
          "childCommand": "/usr/bin/node",
          "childArgs": [
            "/srv/codexd/test/fixtures/fake-app-server.mjs"
          ],
          "childCwd": "/tmp/codexd-test-fkp9Qv"
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
          "responseAuditFile": "/tmp/codexd-response-audit-qQNDtv/responses-31251-a6bfc1e8-2194-40f2-9792-ff6373cfd909.jsonl"
        },
        "eventLog": {
          "maxBytes": 67108864,
          "keepFiles": 4,
          "readCacheBytes": 4194304
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
          "dir": "/tmp/codexd-test-fkp9Qv/state/worktrees"
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
      "sessionId": "164cf304-1fae-411d-abe5-b2bbc9ea4415",
      "status": "closed",
      "currentTurnId": null,
      "updatedAt": "2026-12-05T05:31:06.500Z",
      "createdAt": "2026-12-05T05:31:02.986Z",
      "threadId": "01a244af-35c7-78a7-9e5b-15acddc9a1ee",
      "cwd": "/tmp/codexd-test-fkp9Qv/project",
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
        "cwd": "/tmp/codexd-test-fkp9Qv/project",
        "approvalPolicy": "on-request",
        "sandbox": "workspace-write"
      },
      "closedAt": "2026-12-05T05:31:06.500Z"
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
      "cwd": "/tmp/codexd-test-fkp9Qv",
      "pid": 31325,
      "startedAt": "2026-12-05T05:31:02.484Z",
      "exitedAt": null,
      "exitCode": null,
      "signal": null,
      "lastError": null,
      "pgid": 31325,
      "startTicks": 2277193,
      "desired": "running",
      "restartCount": 0,
      "nextRestartAt": null,
      "lastExit": {
        "at": "2026-12-05T05:31:02.400Z",
        "exitCode": 0,
        "signal": null,
        "cause": "operator",
        "stopStep": "eof"
      },
      "readyAt": "2026-12-05T05:31:02.762Z",
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
