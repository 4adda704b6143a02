// Sessions: the list, and one session's transcript with its composer.

import { del, get, post, query } from "./api.js";
import { $, fill, h } from "./dom.js";
import { ago } from "./format.js";
import { Transcript, pillOf } from "./transcript.js";

export function createSessionsView(ctx) {
  const listBody = $("#sessions-list tbody");
  const detail = $("#session-detail");
  const title = $("#session-title");
  const meta = $("#session-meta");
  const transcript = new Transcript($("#transcript"));
  const form = $("#composer");
  const input = $("#composer-input");
  const steerButton = $("#composer-steer");
  const interruptButton = $("#composer-interrupt");
  const closeButton = $("#session-close");
  let selected = null;
  let session = null;

  $("#new-session").addEventListener("submit", async (event) => {
    event.preventDefault();
    const cwd = $("#new-session-cwd").value.trim();
    const approvals = $("#new-session-approvals").value;
    try {
      const created = await post("/v1/sessions", { ...(cwd ? { cwd } : {}), approvals, approvalPolicy: "on-request" });
      ctx.say(`Session ${created.sessionId} created`);
      location.hash = `#/sessions/${encodeURIComponent(created.sessionId)}`;
      await refreshList();
    } catch (error) {
      ctx.fail("Cannot create the session", error);
    }
  });

  async function sendTurn(steer) {
    const text = input.value;
    if (!selected || !text.trim()) {
      ctx.say("Type a message first");
      input.focus();
      return;
    }
    try {
      const accepted = await post(`/v1/sessions/${encodeURIComponent(selected)}/turns`, { input: text, ...(steer ? { steer: true } : {}) });
      input.value = "";
      ctx.say(steer ? `Steered turn ${accepted.turnId}` : `Turn ${accepted.turnId} sent`);
      await refreshTranscript();
    } catch (error) {
      ctx.fail(steer ? "Cannot steer" : "Cannot send the turn", error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendTurn(false);
  });
  steerButton.addEventListener("click", () => sendTurn(true));
  interruptButton.addEventListener("click", async () => {
    try {
      await post(`/v1/sessions/${encodeURIComponent(selected)}/interrupt`);
      ctx.say("Interrupt requested");
    } catch (error) {
      ctx.fail("Cannot interrupt", error);
    }
  });
  closeButton.addEventListener("click", async () => {
    if (!confirm(`Close session ${selected}? Its thread ends; the transcript stays.`)) return;
    try {
      await del(`/v1/sessions/${encodeURIComponent(selected)}`);
      ctx.say(`Session ${selected} closed`);
      await Promise.all([refreshList(), refreshSession()]);
    } catch (error) {
      ctx.fail("Cannot close the session", error);
    }
  });

  async function refreshList() {
    try {
      const page = await get(`/v1/sessions${query({ limit: 200 })}`);
      const sessions = [...page.sessions].sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
      fill(
        listBody,
        sessions.length === 0 ? h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No sessions yet.")) : null,
        sessions.map((s) =>
          h(
            "tr",
            { class: s.sessionId === selected ? "selected" : null },
            h("td", {}, h("a", { href: `#/sessions/${encodeURIComponent(s.sessionId)}`, "aria-current": s.sessionId === selected ? "true" : null }, s.sessionId.slice(0, 8))),
            h("td", {}, h("span", { class: `pill ${pillOf(s.status)}` }, s.status)),
            h("td", { class: "path" }, s.cwd ?? "–"),
            h("td", {}, s.model ?? "–"),
            h("td", { title: s.updatedAt }, ago(s.updatedAt)),
          ),
        ),
      );
    } catch (error) {
      if (error.status !== 401) ctx.fail("Cannot list sessions", error);
    }
  }

  async function refreshSession() {
    if (!selected) return;
    try {
      session = await get(`/v1/sessions/${encodeURIComponent(selected)}`);
      title.textContent = `Session ${session.sessionId}`;
      fill(
        meta,
        h("span", { class: `pill ${pillOf(session.status)}`, id: "session-status" }, session.status),
        ` · ${session.cwd ?? "?"} · ${session.model ?? "default model"} · approvals ${session.approvals ?? "default"} · ${session.turnCount ?? 0} turn${session.turnCount === 1 ? "" : "s"}`,
      );
      updateControls();
    } catch (error) {
      if (error.status === 404) fill(meta, h("span", { class: "error" }, "This session does not exist."));
      else if (error.status !== 401) ctx.fail("Cannot read the session", error);
    }
  }

  async function refreshTranscript() {
    if (!selected) return;
    const id = selected;
    try {
      const turns = [];
      let cursor = null;
      do {
        const page = await get(`/v1/sessions/${encodeURIComponent(id)}/turns${query({ limit: 500, cursor })}`);
        turns.push(...page.turns);
        cursor = page.nextCursor;
      } while (cursor && turns.length < 5000);
      if (id !== selected) return;
      transcript.setTurns(turns);
      updateControls();
    } catch (error) {
      if (error.status !== 401 && error.status !== 404) ctx.fail("Cannot read the turns", error);
    }
  }

  function updateControls() {
    const active = transcript.activeTurnId() !== null || session?.currentTurnId;
    const closed = session?.status === "closed";
    steerButton.disabled = !active || closed;
    interruptButton.disabled = !active || closed;
    $("#composer-send").disabled = closed;
    closeButton.disabled = closed;
  }

  return {
    async show(id) {
      if (id !== selected) {
        selected = id ?? null;
        session = null;
        transcript.clear();
      }
      detail.hidden = !selected;
      await Promise.all([refreshList(), selected ? refreshSession() : null, selected ? refreshTranscript() : null]);
    },
    refresh() {
      return Promise.all([refreshList(), refreshSession(), refreshTranscript()]);
    },
    onEvent(event) {
      if (event.type.startsWith("session.") || event.type.startsWith("turn.")) ctx.later("sessions-list", refreshList);
      if (!selected || event.sessionId !== selected) return;
      if (event.type === "codex.notification") {
        transcript.notification(event.turnId, event.detail?.method, event.detail?.params);
        if (event.detail?.method === "turn/started" || event.detail?.method === "turn/completed") ctx.later("transcript", refreshTranscript);
        return;
      }
      if (event.type.startsWith("turn.") || event.type.startsWith("session.") || event.type === "item.completed") {
        ctx.later("transcript", refreshTranscript);
        ctx.later("session", refreshSession);
      }
    },
  };
}
