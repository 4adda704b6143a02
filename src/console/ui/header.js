// The header: daemon, store, child (with its verbs) and the Codex account.

import { get, post } from "./api.js";
import { $, fill, h } from "./dom.js";
import { duration, time } from "./format.js";

export function createHeader(ctx) {
  const daemonEl = $("#daemon-info");
  const storeEl = $("#store-info");
  const childEl = $("#child-info");
  const accountEl = $("#account-info");
  const buttons = {
    start: $("#child-start"),
    stop: $("#child-stop"),
    restart: $("#child-restart"),
  };
  let status = null;
  let fetchedAt = 0;

  for (const [verb, button] of Object.entries(buttons)) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = await post(`/v1/child/${verb}`);
        ctx.say(`Child ${verb}: ${result?.changed === false ? "no change" : "requested"} (now ${result?.state?.status ?? "?"})`);
      } catch (error) {
        ctx.fail(`Child ${verb} failed`, error);
      } finally {
        await refresh();
      }
    });
  }

  async function refresh() {
    try {
      status = await get("/v1/status");
      fetchedAt = Date.now();
      render();
    } catch (error) {
      if (error.status !== 401) ctx.fail("Cannot read the daemon status", error);
    }
  }

  function render() {
    if (!status) return;
    const { identity, daemon, child } = status;
    const uptime = daemon.uptimeMs + (Date.now() - fetchedAt);
    fill(daemonEl, h("strong", {}, "codexd "), identity.version, " · node ", identity.nodeId, " · up ", h("span", { id: "daemon-uptime" }, duration(uptime)));

    const storeOk = !daemon.notReadyReasons.some((r) => r.startsWith("store"));
    const storeExtra = status.store && typeof status.store === "object" ? status.store.status ?? status.store.health ?? null : null;
    fill(storeEl, "Store: ", h("span", { class: `pill ${storeOk ? "ok" : "bad"}` }, storeOk ? "ok" : "not ready"), storeExtra ? ` (${storeExtra})` : "");

    const next = child.nextRestartAt ? ` · next restart ${time(child.nextRestartAt)}` : "";
    fill(
      childEl,
      "Child: ",
      h("span", { class: `pill ${child.status === "running" ? "ok" : ["fatal", "exited", "backoff"].includes(child.status) ? "bad" : "idle"}`, id: "child-status" }, child.status),
      child.pid ? ` · pid ${child.pid}` : "",
      ` · restarts ${child.restartCount ?? 0}`,
      next,
      child.fatalReason ? ` · ${child.fatalReason}` : "",
      child.lastError ? h("span", { class: "muted" }, ` · ${child.lastError}`) : "",
    );
    const external = child.strategy === "external";
    const up = ["running", "starting"].includes(child.status);
    buttons.start.disabled = external || up;
    buttons.stop.disabled = external || ["stopped", "idle", "stopping"].includes(child.status);
    buttons.restart.disabled = external;

    const account = status.codex?.account;
    if (account === undefined) fill(accountEl);
    else fill(accountEl, "Codex: ", accountText(account));
  }

  // Uptime and countdowns move without asking the daemon.
  setInterval(() => {
    const el = document.getElementById("daemon-uptime");
    if (el && status) el.textContent = duration(status.daemon.uptimeMs + (Date.now() - fetchedAt));
  }, 1000);

  return {
    refresh,
    onEvent(event) {
      if (event.type.startsWith("child.") || event.type.startsWith("daemon.") || event.type.startsWith("state.") || event.type.startsWith("codex.account")) ctx.later("header", refresh);
      else if (event.type === "codex.notification" && event.message?.startsWith("account/")) ctx.later("header", refresh);
    },
  };
}

/** The account as GET /v1/status reports it (`codex.account`), in a few words. */
function accountText(account) {
  if (account === null) return "unknown";
  if (typeof account !== "object") return String(account);
  const parts = [];
  for (const key of ["state", "status", "type", "authMode", "email", "planType", "plan"]) {
    if (typeof account[key] === "string" && account[key]) parts.push(account[key]);
  }
  if (account.requiresOpenaiAuth === true || account.loggedIn === false) parts.push("login required");
  return parts.length ? parts.join(" · ") : JSON.stringify(account);
}
