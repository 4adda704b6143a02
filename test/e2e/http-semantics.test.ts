/**
 * HTTP as curl and generic clients meet it, on a real socket: every error is problem+json, also
 * the ones Node's parser raises before routing; 405 with Allow and OPTIONS; one trailing-slash
 * rule; decimal-only numbers and one unknown-parameter rule in queries; one message per failing
 * value; the body parser's answers; compression above a threshold (never on the event stream);
 * Location on answers that create a resource.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startListeningDaemon, type ListeningDaemon } from "../helpers/sse-daemon.js";

let d: ListeningDaemon;

beforeAll(async () => {
  d = await startListeningDaemon();
  const { matched } = await d.daemon.child.waitFor("ready", 20_000, ["fatal"]);
  expect(matched).toBe(true);
});
afterAll(async () => {
  await d?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  text: string;
  json: any;
}

/** One request over node:http, nothing added (no compression asked unless said). */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${d.baseUrl}${path}`, { method, headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, raw, text, json });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Raw bytes on a socket, for what no HTTP client would send; resolves with the whole answer. */
function rawExchange(bytes: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(d.port, "127.0.0.1");
    let text = "";
    socket.on("data", (c) => (text += c.toString("utf8")));
    socket.on("error", (error) => (text ? undefined : reject(error)));
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body });
    });
    socket.write(bytes);
  });
}

const expectProblem = (a: { status: number; headers: string | Record<string, unknown>; body?: string; json?: any }, status: number, code: string) => {
  expect(a.status).toBe(status);
  const type = typeof a.headers === "string" ? /content-type: ([^\r\n]+)/.exec(a.headers)?.[1] : a.headers["content-type"];
  expect(type).toMatch(/^application\/problem\+json/);
  const body = a.json ?? JSON.parse(a.body!);
  expect(body).toMatchObject({ status, code });
  return body;
};

describe("errors before routing are problem+json", () => {
  it("431 for a 100 kB URL", async () => {
    const a = await rawExchange(`GET /v1/status?x=${"a".repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expectProblem(a, 431, "CODEXD_HEADERS_TOO_LARGE");
  });

  it("400 for a malformed request line", async () => {
    const a = await rawExchange("THIS IS NOT HTTP\r\n\r\n");
    expectProblem(a, 400, "CODEXD_MALFORMED_REQUEST");
  });

  it("400 for an HTTP/1.1 request without Host", async () => {
    const a = await rawExchange("GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n");
    expectProblem(a, 400, "CODEXD_HOST_REQUIRED");
  });
});

describe("methods", () => {
  it("a known path with another method is 405 with Allow", async () => {
    const cases: Array<[string, string, string]> = [
      ["DELETE", "/v1/status", "GET, HEAD, OPTIONS"],
      ["PUT", "/v1/runs", "GET, HEAD, POST, OPTIONS"],
      ["POST", "/v1/runs/run-x", "GET, HEAD, OPTIONS"],
      ["GET", "/v1/runs/run-x/cancel", "POST, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const a = await send(method, path);
      const body = expectProblem(a, 405, "CODEXD_METHOD_NOT_ALLOWED");
      expect(a.headers.allow, `${method} ${path}`).toBe(allow);
      expect(body.allow).toEqual(allow.split(", "));
    }
  });

  it("OPTIONS answers 204 with Allow on a known path, 404 on an unknown one", async () => {
    const a = await send("OPTIONS", "/v1/sessions/abc");
    expect(a.status).toBe(204);
    expect(a.headers.allow).toBe("GET, HEAD, DELETE, OPTIONS");
    expectProblem(await send("OPTIONS", "/v1/nothing"), 404, "CODEXD_ROUTE_NOT_FOUND");
  });
});

describe("paths and queries", () => {
  it("one trailing-slash rule: a trailing slash is a different URL, 404 everywhere", async () => {
    for (const path of ["/v1/status/", "/v1/runs/", "/v1/sessions/", "/v1/sessions/abc/turns/", "/healthz/"]) {
      expectProblem(await send("GET", path), 404, "CODEXD_ROUTE_NOT_FOUND");
    }
  });

  it("integers in the query are decimal only", async () => {
    for (const value of ["0x10", "1e1", "+5", "5.0", " 5", "0b11"]) {
      const body = expectProblem(await send("GET", `/v1/events?limit=${encodeURIComponent(value)}`), 400, "CODEXD_VALIDATION_FAILED");
      expect(body.detail, value).toContain("limit must be a decimal integer");
    }
    const ok = await send("GET", "/v1/events?after=0&limit=3");
    expect(ok.status).toBe(200);
    expect(ok.json.events).toHaveLength(3);
  });

  it("an unknown query parameter is 400 naming it, on every operation", async () => {
    for (const path of ["/v1/status", "/v1/runs", "/v1/events", "/healthz", "/v1/child", "/metrics"]) {
      const body = expectProblem(await send("GET", `${path}?bogus=1`), 400, "CODEXD_VALIDATION_FAILED");
      expect(body.detail, path).toBe('the query has an unknown parameter "bogus"');
    }
  });

  it("one validation message per failing value, naming the values allowed", async () => {
    const body = expectProblem(await send("GET", "/v1/sessions?status=IDLE"), 400, "CODEXD_VALIDATION_FAILED");
    expect(body.errors).toEqual([{ location: "querystring", path: "/status", message: "must be one of idle, active, closed, failed" }]);
    expect(body.detail).toBe("status must be one of idle, active, closed, failed");
  });
});

describe("bodies", () => {
  it("415 says to send Content-Type: application/json", async () => {
    const body = expectProblem(await send("POST", "/v1/sessions", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "cwd=x" }), 415, "CODEXD_UNSUPPORTED_MEDIA_TYPE");
    expect(body.detail).toContain("Content-Type: application/json");
    expect(body.detail).toContain("application/x-www-form-urlencoded");
  });

  it("a valid JSON body with a __proto__ key is refused naming the key, not called invalid JSON", async () => {
    const before = d.daemon.store.listSessions().length;
    for (const payload of ['{"__proto__":{}}', '{"metadata":{"constructor":{"prototype":{}}}}']) {
      const body = expectProblem(await send("POST", "/v1/sessions", { headers: { "content-type": "application/json" }, body: payload }), 400, "CODEXD_FORBIDDEN_KEY");
      expect(body.detail).toMatch(/"(__proto__|constructor)"/);
    }
    expect(d.daemon.store.listSessions()).toHaveLength(before);
    expectProblem(await send("POST", "/v1/sessions", { headers: { "content-type": "application/json" }, body: "{nope" }), 400, "CODEXD_INVALID_JSON");
  });

  it("an empty body with a JSON content type is no body: accepted where none is needed", async () => {
    const created = await send("POST", "/v1/runs", { headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "say hi" }) });
    expect(created.status).toBe(202);
    const cancel = await send("POST", `/v1/runs/${created.json.runId}/cancel`, { headers: { "content-type": "application/json" }, body: "" });
    expect(cancel.status, cancel.text).toBe(200);
    // Where a body is needed, its absence is a validation error, not a parser failure.
    const missing = expectProblem(await send("POST", "/v1/runs", { headers: { "content-type": "application/json" }, body: "" }), 400, "CODEXD_VALIDATION_FAILED");
    expect(missing.detail).toContain("body");
  });
});

describe("compression", () => {
  it("honours Accept-Encoding (br, gzip) above the threshold; never on the event stream or a small body", async () => {
    const plain = await send("GET", "/v1/events?after=0&limit=1000");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.raw.length).toBeGreaterThan(1024);
    for (const [encoding, decode] of [["gzip", gunzipSync], ["br", brotliDecompressSync]] as const) {
      const a = await send("GET", "/v1/events?after=0&limit=1000", { headers: { "accept-encoding": encoding } });
      expect(a.headers["content-encoding"]).toBe(encoding);
      expect(a.headers.vary).toMatch(/accept-encoding/i);
      expect(a.raw.length).toBeLessThan(plain.raw.length);
      expect(JSON.parse(decode(a.raw).toString("utf8"))).toEqual(plain.json);
    }
    const small = await send("GET", "/healthz", { headers: { "accept-encoding": "gzip, br" } });
    expect(small.headers["content-encoding"]).toBeUndefined();

    const stream = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpRequest(`${d.baseUrl}/v1/events/stream?after=0`, { headers: { "accept-encoding": "gzip, br" }, agent: false }, (res) => {
        resolve(res.headers);
        res.destroy();
      });
      req.on("error", reject);
      req.end();
    });
    expect(stream["content-type"]).toMatch(/^text\/event-stream/);
    expect(stream["content-encoding"]).toBeUndefined();
  });
});

describe("Location", () => {
  it("names the resource a 201 or 202 created", async () => {
    const session = await send("POST", "/v1/sessions", { headers: { "content-type": "application/json" }, body: "{}" });
    expect(session.status, session.text).toBe(201);
    expect(session.headers.location).toBe(`/v1/sessions/${session.json.sessionId}`);
    expect((await send("GET", session.headers.location as string)).status).toBe(200);

    const run = await send("POST", "/v1/runs", { headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "hello" }) });
    expect(run.status).toBe(202);
    expect(run.headers.location).toBe(`/v1/runs/${run.json.runId}`);
    expect((await send("GET", run.headers.location as string)).json.runId).toBe(run.json.runId);

    const turn = await send("POST", `/v1/sessions/${session.json.sessionId}/turns`, { headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "hi" }) });
    expect(turn.status, turn.text).toBe(202);
    expect(turn.headers.location).toBe(`/v1/sessions/${session.json.sessionId}/turns/${turn.json.turnId}`);
  });
});
