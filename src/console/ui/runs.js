// Runs: the list with a status filter, one run in full with its diff (when the daemon has one).

import { ApiError, authHeaders, get, post, query } from "./api.js";
import { $, fill, h } from "./dom.js";
import { ago, duration, json, time, usageText } from "./format.js";
import { diffBlock, pillOf } from "./transcript.js";

const ACTIVE = new Set(["queued", "running"]);

export function createRunsView(ctx) {
  const listBody = $("#runs-list tbody");
  const filter = $("#runs-filter");
  const detail = $("#run-detail");
  let selected = null;

  filter.addEventListener("change", () => refreshList());

  async function refreshList() {
    try {
      const page = await get(`/v1/runs${query({ status: filter.value, limit: 200 })}`);
      const runs = [...page.runs].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      fill(
        listBody,
        runs.length === 0 ? h("tr", {}, h("td", { colspan: 5, class: "muted" }, filter.value ? `No ${filter.value} runs.` : "No runs yet.")) : null,
        runs.map((run) =>
          h(
            "tr",
            { class: run.runId === selected ? "selected" : null },
            h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(run.runId)}`, "aria-current": run.runId === selected ? "true" : null }, run.runId.slice(0, 8))),
            h("td", {}, h("span", { class: `pill ${pillOf(run.status)}` }, run.status)),
            h("td", { title: run.createdAt }, ago(run.createdAt)),
            h("td", {}, duration(run.durationMs)),
            h("td", { class: "clip" }, run.finalMessage ?? run.error?.message ?? ""),
          ),
        ),
      );
    } catch (error) {
      if (error.status !== 401) ctx.fail("Cannot list runs", error);
    }
  }

  async function loadDiff(runId) {
    // GET /v1/runs/{id}/diff: a run in a workspace has one; others (or older daemons) answer 404.
    const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/diff`, { headers: { accept: "application/json, text/plain", ...authHeaders() }, cache: "no-store" });
    if (res.status === 404) return null;
    const type = res.headers.get("content-type") ?? "";
    if (!res.ok) throw new ApiError(res.status, type.includes("json") ? await res.json() : { detail: await res.text() });
    if (!type.includes("json")) return await res.text();
    const body = await res.json();
    if (typeof body === "string") return body;
    if (typeof body?.diff === "string") return body.diff;
    if (typeof body?.patch === "string") return body.patch;
    if (Array.isArray(body?.files)) return body.files.map((f) => f.diff ?? f.patch ?? `${f.status ?? ""} ${f.path ?? ""}`).join("\n");
    return json(body);
  }

  async function refreshRun() {
    if (!selected) return;
    const id = selected;
    let run;
    try {
      run = await get(`/v1/runs/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error.status === 404) fill(detail, h("h2", {}, "Run"), h("p", { class: "error" }, `Run ${id} does not exist.`));
      else if (error.status !== 401) ctx.fail("Cannot read the run", error);
      return;
    }
    // The daemon makes a run's diff when the run ends (409 CODEXD_RUN_ACTIVE before): not asked for until then.
    let diff = null;
    if (!ACTIVE.has(run.status)) {
      try {
        diff = await loadDiff(id);
      } catch (error) {
        diff = error;
      }
    }
    if (id !== selected) return;
    const cancel = h("button", { type: "button", id: "run-cancel", disabled: !ACTIVE.has(run.status) }, "Cancel run");
    cancel.addEventListener("click", async () => {
      try {
        const result = await post(`/v1/runs/${encodeURIComponent(id)}/cancel`);
        ctx.say(result.changed ? `Run ${id} cancelled` : `Run ${id} was already ${result.run.status}`);
      } catch (error) {
        ctx.fail("Cannot cancel the run", error);
      }
      await Promise.all([refreshRun(), refreshList()]);
    });
    fill(
      detail,
      h("h2", { id: "run-title" }, `Run ${run.runId}`),
      h("p", {}, h("span", { class: `pill ${pillOf(run.status)}`, id: "run-status" }, run.status), ` · created ${time(run.createdAt)} · duration ${duration(run.durationMs)}`, " ", cancel),
      h(
        "dl",
        { class: "facts" },
        fact("Session", run.sessionId ? h("a", { href: `#/sessions/${encodeURIComponent(run.sessionId)}` }, run.sessionId) : "–"),
        fact("Turn", run.turnId ?? "–"),
        fact("Working directory", run.cwd ?? "–"),
        fact("Model", run.model ?? "–"),
        fact("Started", time(run.startedAt)),
        fact("Finished", time(run.finishedAt)),
        fact("Usage", usageText(run.usage) ?? "–"),
        run.error ? fact("Error", `${run.error.code}: ${run.error.message}`) : null,
      ),
      h("h3", {}, "Prompt"),
      h("pre", { class: "output" }, run.prompt ?? ""),
      h("h3", {}, "Final message"),
      h("pre", { class: "output" }, run.finalMessage ?? "–"),
      run.approvals?.length ? [h("h3", {}, "Approvals"), h("ul", {}, run.approvals.map((a) => h("li", {}, `${a.kind} · ${a.status} · ${typeof a.decision === "string" ? a.decision : json(a.decision)} by ${a.decidedBy ?? "–"}`)))] : null,
      h("h3", {}, "Diff"),
      ACTIVE.has(run.status) ? h("p", { class: "muted" }, "The diff is there once the run ends.") : diff === null ? h("p", { class: "muted" }, "No diff for this run.") : diff instanceof Error ? h("p", { class: "error" }, `Cannot read the diff: ${diff.message}`) : diff.trim() === "" ? h("p", { class: "muted" }, "The run changed no file.") : diffBlock(diff),
    );
  }

  return {
    async show(id) {
      selected = id ?? null;
      detail.hidden = !selected;
      await Promise.all([refreshList(), refreshRun()]);
    },
    refresh() {
      return Promise.all([refreshList(), refreshRun()]);
    },
    onEvent(event) {
      if (!event.type.startsWith("run.") && !(event.runId && event.type.startsWith("turn."))) return;
      ctx.later("runs-list", refreshList);
      if (selected && event.runId === selected) ctx.later("run", refreshRun);
    },
  };
}

const fact = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
