/**
 * The account state as reads answer it: overlapping reads, retries after a read that timed out
 * at ready, and the end of the retries when the child goes; the start banner's line about it.
 */
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CodexAccount } from "../../src/codex/account.js";
import { banner } from "../../src/logging.js";
import type { JsonRpcConnection } from "../../src/codex/jsonrpc-connection.js";
import { JsonRpcTimeoutError } from "../../src/codex/jsonrpc-errors.js";
import type { StateStore } from "../../src/state/store.js";

/** A connection whose account/read answers are settled by the test, in any order. */
function connection() {
  const asked: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = [];
  const conn = {
    request: (method: string) => {
      expect(method).toBe("account/read");
      return new Promise((resolve, reject) => asked.push({ resolve, reject }));
    },
  } as unknown as JsonRpcConnection;
  return { conn, asked };
}

function account() {
  const events: Array<{ level: string; detail: Record<string, unknown> }> = [];
  const store = { recordEvent: async (e: { level: string; detail: Record<string, unknown> }) => void events.push(e) } as unknown as StateStore;
  return { account: new CodexAccount({ store, logger: pino({ level: "silent" }) }), events };
}

const signedOut = { account: null, requiresOpenaiAuth: true };
const signedIn = { account: { type: "apikey" }, requiresOpenaiAuth: true };
/** One read asked and answered with `error`, as the read at ready is. */
async function failedRead(a: CodexAccount, conn: JsonRpcConnection, asked: ReturnType<typeof connection>["asked"], error: Error): Promise<void> {
  const read = a.refresh(conn, 2_000);
  asked.at(-1)!.reject(error);
  await read;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the Codex account", () => {
  it("takes the answer of the read asked last when reads overlap, whatever order they answer in", async () => {
    const { conn, asked } = connection();
    const { account: a } = account();
    const slow = a.refresh(conn, 30_000);
    const later = a.refresh(conn, 30_000);
    asked[1]!.resolve(signedIn);
    await later;
    expect(a.state).toMatchObject({ status: "signedIn" });
    asked[0]!.reject(new JsonRpcTimeoutError("account/read", 30_000));
    await slow;
    expect(a.state).toMatchObject({ status: "signedIn", error: null });
  });

  it("after a read that timed out, asks again with growing gaps until one answers", async () => {
    vi.useFakeTimers();
    const { conn, asked } = connection();
    const { account: a, events } = account();
    await failedRead(a, conn, asked, new JsonRpcTimeoutError("account/read", 2_000));
    a.retryWhileUnknown(conn, 30_000, () => true);
    const gaps = [1_000, 2_000, 4_000, 8_000];
    for (const [k, gap] of gaps.entries()) {
      await vi.advanceTimersByTimeAsync(gap - 1);
      expect(asked).toHaveLength(1 + k);
      await vi.advanceTimersByTimeAsync(1);
      expect(asked).toHaveLength(2 + k);
      if (k < gaps.length - 1) {
        asked[1 + k]!.reject(new JsonRpcTimeoutError("account/read", 30_000));
        await vi.advanceTimersByTimeAsync(0);
      }
    }
    asked.at(-1)!.resolve(signedOut);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.state).toMatchObject({ status: "signedOut", requiresOpenaiAuth: true });
    expect(a.signInMissing).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toHaveLength(5);
    expect(events.map((e) => e.detail.status)).toEqual(["unknown", "signedOut"]);
  });

  it("asks no more once the retries are stopped, even when a read was under way", async () => {
    vi.useFakeTimers();
    const { conn, asked } = connection();
    const { account: a } = account();
    await failedRead(a, conn, asked, new JsonRpcTimeoutError("account/read", 2_000));
    a.retryWhileUnknown(conn, 30_000, () => true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asked).toHaveLength(2);
    a.stopRetrying();
    asked[1]!.reject(new JsonRpcTimeoutError("account/read", 30_000));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toHaveLength(2);
  });

  it("does not ask again after a read refused outright, nor while the child is not current", async () => {
    vi.useFakeTimers();
    const { conn, asked } = connection();
    const { account: a } = account();
    await failedRead(a, conn, asked, new Error("method not found"));
    a.retryWhileUnknown(conn, 30_000, () => true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toHaveLength(1);
    await failedRead(a, conn, asked, new JsonRpcTimeoutError("account/read", 2_000));
    a.retryWhileUnknown(conn, 30_000, () => false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toHaveLength(2);
  });
});

describe("the start banner's account line", () => {
  const facts = { version: "1.2.3", url: "http://127.0.0.1:4319", stateDir: "/s", child: "codex app-server" };
  const accountLine = (text: string) => text.split("\n").find((l) => l.includes("Codex account:"));

  it("says what the app-server answered once it has, and that nothing is known before", async () => {
    const { conn, asked } = connection();
    const { account: a } = account();
    expect(accountLine(banner({ ...facts, account: a.state }))).toContain("not known yet");
    const read = a.refresh(conn, 2_000);
    asked[0]!.resolve({ account: { type: "chatgpt", planType: "plus" }, requiresOpenaiAuth: true });
    await read;
    expect(accountLine(banner({ ...facts, account: a.state }))).toMatch(/Codex account: +codex is signed in \(chatgpt, plan plus\)/);
  });

  it("says a read that failed failed, not that nothing is known", async () => {
    const { conn, asked } = connection();
    const { account: a } = account();
    await failedRead(a, conn, asked, new Error("boom"));
    expect(accountLine(banner({ ...facts, account: a.state }))).toMatch(/Codex account: +codex account unknown \(account\/read failed: boom\)/);
  });
});
