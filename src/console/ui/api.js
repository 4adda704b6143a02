// Calls to the daemon's /v1 API, with the bearer token the operator entered (kept in
// sessionStorage only: gone with the tab, never in a URL or a cookie).

const TOKEN_KEY = "codexd.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.problem = problem;
  }
}

let unauthorizedHandler = () => {};
/** Called with the failed response's error whenever the daemon answers 401. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export function authHeaders() {
  const value = token.get();
  return value ? { authorization: `Bearer ${value}` } : {};
}

/** One API call; resolves to the parsed body (null when none), rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { accept: "application/json, application/problem+json", ...authHeaders() };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const type = res.headers.get("content-type") ?? "";
  const text = await res.text();
  const parsed = type.includes("json") && text ? JSON.parse(text) : text || null;
  if (res.status === 401) {
    const error = new ApiError(401, parsed);
    unauthorizedHandler(error);
    throw error;
  }
  if (!res.ok) throw new ApiError(res.status, typeof parsed === "object" ? parsed : { detail: parsed ?? `HTTP ${res.status}` });
  return parsed;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);
export const del = (path) => api("DELETE", path);

/** "?a=1&b=x" from an object, leaving out empty values. */
export function query(params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : "";
}
