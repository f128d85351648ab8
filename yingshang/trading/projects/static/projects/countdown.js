// Live countdown to a bid deadline. The server renders the remaining seconds computed from ITS
// clock (the platform's domain time); this script only subtracts the time elapsed since the page
// loaded, measured with the monotonic performance clock, so a wrong clock in the browser changes
// nothing. Without JavaScript the page still shows the deadline and the server's remaining time.
(function () {
  "use strict";
  const loaded = performance.now();
  function pad(n) { return String(n).padStart(2, "0"); }
  function render(el) {
    const remaining = Number(el.dataset.remaining);
    if (!Number.isFinite(remaining)) return;
    if (el.dataset.stopped === "1") return;
    const left = Math.max(0, Math.floor(remaining - (performance.now() - loaded) / 1000));
    const days = Math.floor(left / 86400);
    const hours = Math.floor((left % 86400) / 3600);
    const minutes = Math.floor((left % 3600) / 60);
    const seconds = left % 60;
    const out = el.querySelector("[data-countdown-text]");
    if (!out) return;
    out.textContent = left === 0
      ? el.dataset.doneText
      : `${days}${el.dataset.dayUnit} ${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
  }
  function tick() { document.querySelectorAll("[data-countdown]").forEach(render); }
  document.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 1000); });
})();
