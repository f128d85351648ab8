// Progressive enhancement only: every form works without this file.
// After an htmx swap, move focus to the first heading or alert in the new content so
// screen-reader and keyboard users land where the page changed.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  const focusable = target.querySelector("[role=alert], h1, h2, [data-focus-after-swap]") || target;
  if (!focusable.hasAttribute("tabindex")) focusable.setAttribute("tabindex", "-1");
  focusable.focus();
});
// The language switch submits itself when changed; its button stays for users without scripts.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("language-select");
  if (select) select.addEventListener("change", () => select.form.submit());
});
