/**
 * The bearer token against every spelling of every route: each operation in openapi.yaml, each
 * method, each way of writing its path that a router, a proxy and a person could read
 * differently. Requests go over raw TCP so the request line is exactly what is written here (an
 * HTTP client library would normalise it first).
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenApiContract } from "../contract/openapi-contract.js";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";

const TOKEN = "s3cret-token-for-auth-tests-0123456789";
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/** The operations anyone may call; every other one needs the token. */
const OPEN_OPERATIONS = ["GET /healthz", "GET /readyz", "GET /openapi.json", "GET /openapi.yaml"];
/** A body that would do harm if it got through. */
const HARMFUL_BODY = JSON.stringify({ cwd: "/", prompt: "rm -rf /", sandbox: "danger-full-access", approvals: "accept" });

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * One request with its request line as given. The answer is complete when the connection closes,
 * or at once after the head when it is an event stream (which would stay open).
 */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string> = {}, body = ""): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close"];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body) lines.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
    const answer = (): RawAnswer => {
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      return { status, head, body: split === -1 ? "" : text.slice(split + 4) };
    };
    socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`));
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      const { head } = answer();
      if (/\r\ncontent-type: text\/event-stream/i.test(head)) {
        resolve(answer());
        socket.destroy();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(answer()));
  });
}

/** Thousands of requests: on a loaded machine they take their time, which is not what is tested. */
const LONG = 600_000;

/** Runs `task` over `items`, a few at a time; resolves to how many ran. */
async function eachConcurrently<T>(items: T[], task: (item: T) => Promise<void>, width = 8): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
  return items.length;
}

/** "/v1/runs/{id}" with a value for each parameter. */
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, "x1");

/** Spellings of `path` (which starts with "/") that must never reach a route without the token. */
function spellings(path: string, port: number): Record<string, string> {
  const letter = path.search(/[a-z]/);
  const encode = (lower: boolean) => {
    const hex = path.charCodeAt(letter).toString(16);
    return `${path.slice(0, letter)}%${lower ? hex : hex.toUpperCase()}${path.slice(letter + 1)}`;
  };
  const lastSlash = path.lastIndexOf("/");
  return {
    "as documented": path,
    "percent-encoded letter": encode(false),
    "percent-encoded letter, lowercase hex": encode(true),
    "double-encoded letter": encode(false).replace("%", "%25"),
    "encoded slash": lastSlash > 0 ? `${path.slice(0, lastSlash)}%2F${path.slice(lastSlash + 1)}` : `${path}%2F`,
    "empty segment": `/${path}`,
    "inner empty segment": path.replace(/\/([^/]*)$/, "//$1"),
    "dot segment": `/.${path}`,
    "dot-dot segment": `/x/..${path}`,
    "path parameter": `${path};x=1`,
    "inner path parameter": path.replace(/^(\/[^/]+)/, "$1;x"),
    "trailing slash": `${path}/`,
    "upper case": path.toUpperCase(),
    "absolute-form": `http://127.0.0.1:${port}${path}`,
    "absolute-form, other host": `http://evil.example${path}`,
    "backslash": `/\\${path.slice(1).replace(/\//g, "\\")}`,
    "query only": `${path}?access=open`,
  };
}

let d: InProcessDaemon;
let port: number;
const contract = OpenApiContract.load();
const operations = contract.operations();

beforeAll(async () => {
  d = await startInProcessDaemon({ CODEXD_TOKEN: TOKEN, CODEXD_RATE_LIMIT_PER_MINUTE: "0" }, { listen: true });
  port = Number(new URL(d.baseUrl).port);
});
afterAll(async () => d?.close());

describe("which routes are open", () => {
  it("only health, readiness and the contract are documented without the bearer scheme", () => {
    const open = operations.filter((op) => !Array.isArray(op.op.security) || op.op.security.length === 0).map((op) => `${op.method} ${op.path}`);
    expect(open.sort()).toEqual([...OPEN_OPERATIONS].sort());
  });
});

describe("without the token", () => {
  it("every method on every documented path, however it is spelt, is 401 problem+json", { timeout: LONG }, async () => {
    const paths = [...new Set(operations.map((op) => op.path))];
    const openPaths = new Set(OPEN_OPERATIONS.map((op) => op.split(" ")[1]));
    const cases: Array<{ template: string; how: string; target: string; method: string }> = [];
    for (const template of paths) {
      for (const [how, target] of Object.entries(spellings(concrete(template), port))) {
        for (const method of METHODS) {
          const documented = how === "as documented" || how === "query only";
          if (!(documented && OPEN_OPERATIONS.includes(`${method === "HEAD" ? "GET" : method} ${template}`))) cases.push({ template, how, target, method });
        }
      }
    }
    const leaks: string[] = [];
    const asked = await eachConcurrently(cases, async ({ template, how, target, method }) => {
      const answer = await rawRequest(port, method, target, {}, ["POST", "PUT", "PATCH", "DELETE"].includes(method) ? HARMFUL_BODY : "");
      const problemJson = method === "HEAD" || /content-type: application\/problem\+json/i.test(answer.head);
      const unauthorized = answer.status === 401 && /www-authenticate: Bearer/i.test(answer.head);
      // An open route's own path spelt another way is refused (400) rather than served.
      const refused = openPaths.has(template) && answer.status === 400;
      if (!problemJson || !(unauthorized || refused)) leaks.push(`${method} ${target} (${how}) -> ${answer.status}`);
    });
    expect(leaks).toEqual([]);
    expect(asked).toBeGreaterThan(paths.length * METHODS.length * 10);
    // Nothing was created by any of them.
    const auth = { authorization: `Bearer ${TOKEN}` };
    const sessions = await rawRequest(port, "GET", "/v1/sessions", auth);
    const runs = await rawRequest(port, "GET", "/v1/runs", auth);
    expect(JSON.parse(sessions.body).sessions).toEqual([]);
    expect(JSON.parse(runs.body).runs).toEqual([]);
  });

  it("the open routes answer as documented, and only as documented", async () => {
    for (const op of OPEN_OPERATIONS) {
      const path = op.split(" ")[1]!;
      expect((await rawRequest(port, "GET", path)).status, op).toBe(200);
      expect((await rawRequest(port, "HEAD", path)).status, `HEAD ${path}`).toBe(200);
    }
    expect((await rawRequest(port, "GET", "/docs/")).status).toBe(200);
    expect((await rawRequest(port, "GET", "/%68ealthz")).status).toBe(400);
    expect((await rawRequest(port, "GET", "http://127.0.0.1/healthz")).status).toBe(400);
  });
});

describe("with the token", () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it("a spelling other than the documented one reaches no route", { timeout: LONG }, async () => {
    const targets = [...new Set(operations.map((op) => op.path))].flatMap((template) =>
      Object.entries(spellings(concrete(template), port)).filter(([how]) => how !== "as documented" && how !== "query only"),
    );
    const reached: string[] = [];
    await eachConcurrently(targets, async ([how, target]) => {
      const answer = await rawRequest(port, "GET", target, auth);
      if (answer.status < 400) reached.push(`GET ${target} (${how}) -> ${answer.status}`);
    });
    expect(reached).toEqual([]);
  });

  it("refuses a target that reads differently once decoded with 400 CODEXD_BAD_URL naming why", async () => {
    const cases: Record<string, RegExp> = {
      "/%761/status": /%76/,
      "http://x/v1/status": /full URL/,
      "*": /full URL/,
      "//v1/status": /empty segment/,
      "/./v1/status": /dot segment/,
      "/v1/status;a": /; parameter/,
      "/v1%2Fstatus": /%2F/,
    };
    for (const [target, why] of Object.entries(cases)) {
      const answer = await rawRequest(port, "GET", target, auth);
      expect(answer.status, target).toBe(400);
      expect(answer.head).toMatch(/content-type: application\/problem\+json/i);
      const problem = JSON.parse(answer.body);
      expect(problem.code, target).toBe("CODEXD_BAD_URL");
      expect(problem.detail, target).toMatch(why);
    }
  });

  it("takes the bearer scheme in any case (RFC 9110 11.1), and nothing but the token", async () => {
    for (const header of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `bEaReR  ${TOKEN}`]) {
      expect((await rawRequest(port, "GET", "/v1/status", { authorization: header })).status, header).toBe(200);
    }
    for (const header of [TOKEN, `Basic ${TOKEN}`, `Bearer`, `Bearer ${TOKEN} extra`, `Bearer ${TOKEN.toUpperCase()}`, `Bearer${TOKEN}`]) {
      expect((await rawRequest(port, "GET", "/v1/status", { authorization: header })).status, header).toBe(401);
    }
  });

  it("still serves percent-encoded characters that are not structure or unreserved in a parameter", async () => {
    const answer = await rawRequest(port, "GET", "/v1/runs/a%20b", auth);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).code).toBe("CODEXD_NOT_FOUND");
  });
});
