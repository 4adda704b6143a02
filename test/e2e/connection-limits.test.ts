/**
 * Connections against a real daemon process: a cap below the open-file limit (read at start),
 * idle connections timed out, a body that trickles in closed, and auth answered before a body is
 * read. The daemon runs under `prlimit --nofile=...` like an attacker would find it.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createWorkspace, type DaemonProcess, type Workspace } from "../helpers/daemon-process.js";
import { waitUntil } from "../helpers/deadline.js";

let ws: Workspace | undefined;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  timers.splice(0).forEach(clearInterval);
  sockets.splice(0).forEach((s) => s.destroy());
  await ws?.cleanup();
  ws = undefined;
});

interface RawConnection {
  socket: Socket;
  /** Everything the daemon sent. */
  received(): string;
  /** The daemon closed its side (end or close). */
  closed(): boolean;
}

function rawConnection(daemon: DaemonProcess): RawConnection {
  const socket = connect(daemon.port, "127.0.0.1");
  sockets.push(socket);
  let text = "";
  let closed = false;
  socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
  socket.on("end", () => (closed = true));
  socket.on("close", () => (closed = true));
  socket.on("error", () => (closed = true));
  return { socket, received: () => text, closed: () => closed };
}

/** Send `head` now, then one more body byte every 200 ms, never completing the body. */
function trickle(conn: RawConnection, head: string): void {
  conn.socket.write(head);
  const timer = setInterval(() => {
    if (!conn.closed()) conn.socket.write(" ");
  }, 200);
  timers.push(timer);
}

describe("connection limits (real daemon process)", () => {
  it("under prlimit --nofile=256, 400 idle connections: the excess is turned away, the daemon lives and serves again once the idle ones time out", async () => {
    ws = await createWorkspace();
    const daemon = await ws.start({ CODEXD_HEADERS_TIMEOUT_MS: "3000", CODEXD_REQUEST_TIMEOUT_MS: "3000" }, { prefix: ["prlimit", "--nofile=256"], readyTimeoutMs: 60_000 });
    const status = await daemon.get("/v1/status");
    // 256 minus the headroom kept for state files, the child's pipes and the lock (64 at this size).
    expect(status.body.config.http.maxConnections).toBe(192);

    const idle = Array.from({ length: 400 }, () => rawConnection(daemon));
    // Beyond the cap connections are closed at once, not held open until descriptors run out.
    await waitUntil(() => idle.filter((c) => c.closed()).length >= 400 - 192, { what: "the connections beyond the cap to be closed", timeoutMs: 20_000 });
    expect(daemon.proc.exitCode).toBeNull();
    // Those within the cap send nothing: the headers timeout closes them, after which it serves.
    await waitUntil(() => idle.every((c) => c.closed()), { what: "idle connections to be closed by the headers timeout", timeoutMs: 30_000 });
    expect((await daemon.get("/healthz")).status).toBe(200);
    expect((await daemon.get("/v1/status")).status).toBe(200);
    expect(daemon.proc.exitCode).toBeNull();
    expect(daemon.output()).not.toMatch(/EMFILE|lost the lock/);
  }, 150_000);

  it("answers 401 before reading a body and closes the connection on a body that trickles in", { timeout: 120_000 }, async () => {
    ws = await createWorkspace();
    const daemon = await ws.start({ CODEXD_TOKEN: "connection-limits-token-0123456789" }, { readyTimeoutMs: 60_000 });
    const conn = rawConnection(daemon);
    trickle(conn, "POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"prompt\":");
    await waitUntil(() => conn.closed(), { what: "the daemon to close the connection after its 401", timeoutMs: 15_000 });
    expect(conn.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(conn.received().toLowerCase()).toContain("connection: close");
  });

  it("ends a request whose body is not complete within the request timeout with 408", { timeout: 120_000 }, async () => {
    ws = await createWorkspace();
    const token = "connection-limits-token-0123456789";
    const daemon = await ws.start({ CODEXD_TOKEN: token, CODEXD_REQUEST_TIMEOUT_MS: "1500", CODEXD_HEADERS_TIMEOUT_MS: "1000" }, { readyTimeoutMs: 60_000 });
    const conn = rawConnection(daemon);
    trickle(conn, `POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"prompt":`);
    await waitUntil(() => conn.closed(), { what: "the daemon to end the trickling request", timeoutMs: 20_000 });
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(conn.received()).toContain("CODEXD_REQUEST_TIMEOUT");
    // Headers that never end are cut off the same way.
    const slowHeaders = rawConnection(daemon);
    trickle(slowHeaders, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    await waitUntil(() => slowHeaders.closed(), { what: "the daemon to end headers that never finish", timeoutMs: 20_000 });
    expect(slowHeaders.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect((await daemon.get("/healthz")).status).toBe(200);
  });
});
