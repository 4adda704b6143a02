// The console: asks for the token when the daemon needs one, then keeps every view live from
// the one event stream.

import { get, onUnauthorized, token } from "./api.js";
import { $, fill, h } from "./dom.js";
import { createApprovalsView } from "./approvals.js";
import { createEventsView } from "./events.js";
import { createHeader } from "./header.js";
import { createRunsView } from "./runs.js";
import { createSessionsView } from "./sessions.js";
import { EventStream } from "./stream.js";

const banner = $("#banner");
const statusLine = $("#status-line");
const timers = new Map();

const ctx = {
  /** A short message for the operator (read out by screen readers). */
  say(text) {
    statusLine.textContent = text;
  },
  fail(what, error) {
    fill(statusLine, h("span", { class: "error" }, `${what}: ${error?.message ?? error}${error?.code ? ` (${error.code})` : ""}`));
  },
  /** Run `fn` once after a burst of events (keyed, so each refresh runs at most every `ms`). */
  later(key, fn, ms = 150) {
    if (timers.has(key)) return;
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        fn();
      }, ms),
    );
  },
};

const header = createHeader(ctx);
const views = {
  sessions: createSessionsView(ctx),
  runs: createRunsView(ctx),
  approvals: createApprovalsView(ctx),
  events: createEventsView(ctx),
};

// ---- routing: #/sessions[/id], #/runs[/id], #/approvals, #/events ----

function route() {
  const [, name = "sessions", id] = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  const view = views[name] ? name : "sessions";
  for (const key of Object.keys(views)) {
    $(`#view-${key}`).hidden = key !== view;
    const link = $(`#nav-${key}`);
    if (key === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    if (key !== view) views[key].hide?.();
  }
  document.title = `codexd console · ${view}`;
  return views[view].show(id);
}

// ---- the stream ----

let started = false;
const stream = new EventStream({
  onEvent(event) {
    header.onEvent(event);
    for (const view of Object.values(views)) view.onEvent(event);
  },
  onState({ state, attempt }) {
    document.body.dataset.stream = state;
    if (state === "open") {
      const recovered = !banner.hidden;
      banner.hidden = true;
      if (recovered) {
        ctx.say("Connection to the daemon is back.");
        refreshAll();
      }
    } else if (state === "lost") {
      banner.hidden = false;
      banner.textContent = `Connection to the daemon lost: reconnecting${attempt > 1 ? ` (attempt ${attempt})` : ""}…`;
    }
  },
  onResync() {
    ctx.say("Some events were no longer available: reloaded everything.");
    refreshAll();
  },
  onUnauthorized: () => askForToken("The token was refused."),
});

function refreshAll() {
  header.refresh();
  for (const view of Object.values(views)) view.refresh?.();
  route();
}

// ---- the token ----

const dialog = $("#token-dialog");
const tokenForm = $("#token-form");
const tokenInput = $("#token-input");
const tokenError = $("#token-error");

function askForToken(reason) {
  stream.stop();
  started = false;
  tokenError.textContent = reason ?? "";
  if (!dialog.open) dialog.showModal();
  tokenInput.focus();
}

onUnauthorized(() => askForToken(token.get() ? "The token was refused: enter it again." : ""));

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (!value) {
    tokenError.textContent = "Enter the token.";
    return;
  }
  token.set(value);
  tokenInput.value = "";
  dialog.close();
  boot();
});
// The dialog cannot be dismissed without a token: nothing works without one.
dialog.addEventListener("cancel", (event) => event.preventDefault());
$("#forget-token").addEventListener("click", () => {
  token.clear();
  location.reload();
});

async function boot() {
  let status;
  try {
    status = await get("/v1/status");
  } catch (error) {
    if (error.status === 401) return; // the dialog is open
    banner.hidden = false;
    banner.textContent = `Cannot reach the daemon: ${error.message}. Retrying…`;
    setTimeout(boot, 2000);
    return;
  }
  banner.hidden = true;
  $("#forget-token").hidden = !token.get();
  if (started) return;
  started = true;
  await Promise.all([header.refresh(), views.events.load(status.events.lastSeq), views.approvals.refresh()]);
  stream.start(status.events.lastSeq);
  await route();
}

window.addEventListener("hashchange", () => route());
boot();
