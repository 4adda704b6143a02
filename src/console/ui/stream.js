// The page's one event stream: GET /v1/events/stream read with fetch (so it can carry the
// Authorization header, which EventSource cannot), resumed after the last seq it saw.

import { createParser } from "./eventsource-parser.js";
import { authHeaders } from "./api.js";

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
// Heartbeats arrive well within this; silence longer than it means the connection is dead.
const SILENCE_MS = 60_000;

export class EventStream {
  /**
   * onEvent(event): every codexd event, in seq order, once.
   * onState({state: "connecting"|"open"|"lost", attempt, error}): for the banner.
   * onResync(): events were missed (cursor expired): reload everything from the API.
   * onUnauthorized(): the token was refused.
   */
  constructor({ onEvent, onState, onResync, onUnauthorized }) {
    Object.assign(this, { onEvent, onState, onResync, onUnauthorized });
    this.lastSeq = null;
    this.abort = null;
    this.stopped = true;
  }

  start(after = null) {
    if (!this.stopped) return;
    this.stopped = false;
    if (after !== null) this.lastSeq = after;
    this.loop();
  }

  stop() {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Drop the current connection and open a new one from the last seq (e.g. after an overflow). */
  reconnect() {
    this.abort?.abort();
  }

  async loop() {
    let attempt = 0;
    let wasOpen = false;
    while (!this.stopped) {
      this.onState({ state: attempt === 0 && !wasOpen ? "connecting" : "lost", attempt });
      try {
        const opened = await this.connect(() => {
          attempt = 0;
          wasOpen = true;
          this.onState({ state: "open", attempt: 0 });
        });
        if (opened === "unauthorized") {
          this.stopped = true;
          this.onUnauthorized();
          return;
        }
      } catch (error) {
        if (this.stopped) return;
        this.lastError = error;
      }
      if (this.stopped) return;
      attempt++;
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 4));
      this.onState({ state: "lost", attempt, error: this.lastError });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async connect(onOpen) {
    const controller = new AbortController();
    this.abort = controller;
    const url = this.lastSeq === null ? "/v1/events/stream" : `/v1/events/stream?after=${this.lastSeq}`;
    const res = await fetch(url, { headers: { accept: "text/event-stream", ...authHeaders() }, cache: "no-store", signal: controller.signal });
    if (res.status === 401) return "unauthorized";
    if (res.status === 410) {
      // The events after our cursor are gone: start at the live tail and reload the views.
      this.lastSeq = null;
      this.onResync();
      throw new Error("cursor expired");
    }
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
    const cursor = Number(res.headers.get("x-codexd-after"));
    if (this.lastSeq === null && Number.isInteger(cursor)) this.lastSeq = cursor;
    onOpen();

    let end = null;
    const parser = createParser({
      onEvent: (message) => {
        if (message.event === "overflow" || message.event === "shutdown") {
          end = message.event;
          return;
        }
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        if (message.event === "ready") {
          // The stream's starting cursor, sent by newer daemons; the header gives the same.
          const seq = data?.after ?? data?.cursor ?? data?.lastSeq;
          if (this.lastSeq === null && Number.isInteger(seq)) this.lastSeq = seq;
          return;
        }
        if (!Number.isInteger(data?.seq)) return;
        if (this.lastSeq !== null && data.seq <= this.lastSeq) return;
        this.lastSeq = data.seq;
        this.onEvent(data);
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let silence = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("event stream ended");
        clearTimeout(silence);
        silence = setTimeout(() => controller.abort(), SILENCE_MS);
        parser.feed(value);
        if (end) throw new Error(`event stream ${end}`);
      }
    } finally {
      clearTimeout(silence);
      reader.cancel().catch(() => {});
    }
  }
}
