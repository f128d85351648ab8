// The opening hall, live. Progressive enhancement only: without this file the hall is a plain
// page whose forms post and come back (reload it to see the latest state).
//
// - Reads the hall's server-sent events (EventSource reconnects by itself and resumes after
//   the last event id it saw); starts after the newest event the page was rendered with.
// - On each event: the counts it carries are shown at once, then the hall's fragment is fetched
//   again and each live region swapped in, except a region where the viewer is typing (it is
//   refreshed once the focus leaves it). What each viewer may see is decided by the server.
// - Countdowns: the server renders the remaining seconds by ITS clock; this only subtracts the
//   time elapsed since, measured with the monotonic performance clock.
(function () {
  "use strict";
  const KINDS = [
    "opened", "failed_too_few", "retendered", "configured", "control_price", "signed_in",
    "decryption_started", "decryption_progress", "window_closed", "sheet", "confirming",
    "row_confirmed", "objection", "objection_answered", "paused", "resumed", "finished",
    "backup_progress", "coefficient_committed", "coefficient_contribution", "coefficient_drawn",
  ];

  function pad(n) { return String(n).padStart(2, "0"); }

  const renderedAt = new WeakMap(); // countdown element -> performance.now() when it arrived

  function stamp(root) {
    const now = performance.now();
    root.querySelectorAll("[data-countdown]").forEach((el) => { renderedAt.set(el, now); });
  }

  function renderCountdown(el) {
    const remaining = Number(el.dataset.remaining);
    if (!Number.isFinite(remaining) || el.dataset.stopped === "1") return;
    const out = el.querySelector("[data-countdown-text]");
    if (!out) return;
    if (!renderedAt.has(el)) renderedAt.set(el, performance.now());
    const elapsed = (performance.now() - renderedAt.get(el)) / 1000;
    const left = Math.max(0, Math.floor(remaining - elapsed));
    out.textContent = left === 0
      ? el.dataset.doneText
      : `${pad(Math.floor(left / 3600))}:${pad(Math.floor((left % 3600) / 60))}:${pad(left % 60)}`;
  }

  function tick() { document.querySelectorAll("[data-countdown]").forEach(renderCountdown); }

  // The viewer is using a form in this region: do not pull it from under them.
  function busy(region) {
    if (region.querySelector(":active")) return true; // a button is being pressed
    const active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, textarea, select")) return true;
    return Array.from(region.querySelectorAll("textarea, input[type=text], input[type=number], input[type=file]"))
      .some((field) => (field.type === "file" ? field.files.length > 0 : field.value !== field.defaultValue));
  }

  // Counts some events carry (the hall's name for each), shown before the fragment arrives.
  const COUNT_NAMES = {
    bidders_signed_in: "signed_in_bidders", bids: "bids", decrypted: "decrypted", failed: "failed", pending: "pending",
  };
  const COUNTING = { signed_in: true, decryption_progress: true, window_closed: true };

  function showCounts(kind, data) {
    if (!COUNTING[kind] || !data || typeof data !== "object") return;
    const counts = data.counts && typeof data.counts === "object" ? data.counts : data;
    Object.keys(COUNT_NAMES).forEach((key) => {
      if (typeof counts[key] !== "number") return;
      document.querySelectorAll(`#hall [data-count="${COUNT_NAMES[key]}"]`).forEach((el) => {
        el.textContent = String(counts[key]);
      });
    });
  }

  function setup(hall) {
    let inFlight = false;
    let again = false;
    let waitingForBlur = false;
    let submitting = false; // a form of the hall is being sent: leave the page as it is
    hall.addEventListener("submit", () => { submitting = true; }, true);

    function refresh() {
      if (submitting) return;
      if (inFlight) { again = true; return; }
      inFlight = true;
      fetch(hall.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then((response) => { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
        .then((html) => {
          if (submitting) return;
          const fresh = new DOMParser().parseFromString(html, "text/html");
          let skipped = false;
          fresh.querySelectorAll("[data-live-region]").forEach((region) => {
            const current = document.getElementById(region.id);
            if (!current) return;
            if (busy(current)) { skipped = true; return; }
            const node = document.importNode(region, true);
            current.replaceWith(node);
            stamp(node);
            node.querySelectorAll("[data-countdown]").forEach(renderCountdown);
          });
          hall.dataset.refreshes = String(Number(hall.dataset.refreshes || 0) + 1);
          if (skipped && !waitingForBlur) {
            waitingForBlur = true;
            hall.addEventListener("focusout", () => { waitingForBlur = false; window.setTimeout(refresh, 0); }, { once: true });
          }
        })
        .catch(() => { /* the next event (or the reconnect) tries again */ })
        .finally(() => {
          inFlight = false;
          if (again) { again = false; refresh(); }
        });
    }

    function onEvent(event) {
      let data = null;
      try { data = JSON.parse(event.data); } catch (error) { data = null; }
      showCounts(event.type, data);
      hall.dataset.lastEventId = event.lastEventId || hall.dataset.lastEventId;
      refresh();
    }

    const status = document.getElementById("hall-connection");
    const url = new URL(hall.dataset.streamUrl, window.location.href);
    url.searchParams.set("last_event_id", hall.dataset.lastEventId || "0");
    const source = new EventSource(url.toString());
    source.addEventListener("open", () => {
      hall.dataset.live = "1";
      if (status) status.textContent = status.dataset.liveText || "";
      refresh(); // after a reconnect: catch up even if nothing new is replayed
    });
    source.addEventListener("error", () => {
      hall.dataset.live = "0";
      if (status) status.textContent = status.dataset.reconnectingText || "";
    });
    KINDS.forEach((kind) => source.addEventListener(kind, onEvent));
    source.addEventListener("message", onEvent);
    window.addEventListener("pagehide", () => source.close());
  }

  document.addEventListener("DOMContentLoaded", () => {
    stamp(document);
    tick();
    window.setInterval(tick, 1000);
    const hall = document.getElementById("hall");
    if (hall && window.EventSource && window.fetch) setup(hall);
  });
})();
