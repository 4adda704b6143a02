// Events: a live tail of the event log with type and level filters. Pausing stops the display,
// not the stream: events keep arriving and are shown on resume (missing ones are read back from
// the API by seq), so nothing is lost.

import { get, query } from "./api.js";
import { $, fill, h } from "./dom.js";
import { time } from "./format.js";

const LEVELS = ["debug", "info", "warn", "error"];
const SHOWN = 500;
const KEPT = 5000;

export function createEventsView(ctx) {
  const body = $("#events-list tbody");
  const typeInput = $("#events-type");
  const levelSelect = $("#events-level");
  const pauseButton = $("#events-pause");
  const pausedNote = $("#events-paused");
  let kept = [];
  let shownUpTo = 0;
  let paused = false;
  let visible = false;

  typeInput.addEventListener("input", () => render());
  levelSelect.addEventListener("change", () => render());
  pauseButton.addEventListener("click", async () => {
    paused = !paused;
    pauseButton.textContent = paused ? "Resume" : "Pause";
    pauseButton.setAttribute("aria-pressed", String(paused));
    if (!paused) await catchUp();
    render();
  });

  const matches = (event) => {
    const type = typeInput.value.trim();
    if (type && !(type.endsWith(".") ? event.type.startsWith(type) : event.type === type || event.type.startsWith(`${type}.`))) return false;
    return LEVELS.indexOf(event.level) >= LEVELS.indexOf(levelSelect.value);
  };

  /** Anything the memory bound let go of while paused is read back from the API. */
  async function catchUp() {
    const oldestKept = kept[0]?.seq;
    if (oldestKept === undefined || oldestKept <= shownUpTo + 1) return;
    const missing = [];
    let after = shownUpTo;
    while (after < oldestKept - 1) {
      const page = await get(`/v1/events${query({ after, limit: 1000 })}`);
      missing.push(...page.events.filter((e) => e.seq < oldestKept));
      if (page.nextAfter === null || page.events.length === 0) break;
      after = page.nextAfter;
    }
    kept = [...missing, ...kept].slice(-KEPT);
  }

  function render() {
    if (paused) {
      const waiting = kept.filter((e) => e.seq > shownUpTo).length;
      pausedNote.textContent = `Paused: ${waiting} new event${waiting === 1 ? "" : "s"} held back.`;
      return;
    }
    pausedNote.textContent = "";
    shownUpTo = kept.at(-1)?.seq ?? shownUpTo;
    if (!visible) return;
    const shown = kept.filter(matches).slice(-SHOWN).reverse();
    fill(
      body,
      shown.map((e) =>
        h(
          "tr",
          { class: `level-${e.level}`, "data-seq": e.seq },
          h("td", {}, String(e.seq)),
          h("td", { title: e.createdAt }, time(e.createdAt)),
          h("td", {}, e.level),
          h("td", {}, e.type),
          h("td", { class: "clip" }, e.message),
          h("td", {}, e.sessionId ? h("a", { href: `#/sessions/${encodeURIComponent(e.sessionId)}` }, e.sessionId.slice(0, 8)) : e.runId ? h("a", { href: `#/runs/${encodeURIComponent(e.runId)}` }, `run ${e.runId.slice(0, 8)}`) : ""),
        ),
      ),
    );
  }

  const renderSoon = () => ctx.later("events", render, 100);

  return {
    /** The recent past, so the tail is not empty when the page opens. */
    async load(lastSeq) {
      const page = await get(`/v1/events${query({ after: Math.max(0, lastSeq - 200), limit: 200 })}`);
      kept = page.events;
      render();
    },
    show() {
      visible = true;
      render();
    },
    hide() {
      visible = false;
    },
    onEvent(event) {
      kept.push(event);
      if (kept.length > KEPT) kept = kept.slice(-KEPT);
      renderSoon();
    },
  };
}
