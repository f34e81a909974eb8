// OrderHub console: keyboard shortcuts and small helpers; every page works without it.
(function () {
  "use strict";
  // "/" focuses the page's search box (unless typing in a field already).
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && tag !== "input" && tag !== "textarea" && tag !== "select") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    }
  });
  // A checkbox with data-select-all ticks every checkbox of its form with that name.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) return;
    document.querySelectorAll("input[type=checkbox][name='" + box.dataset.selectAll + "']").forEach(function (other) {
      other.checked = box.checked;
    });
  });
  // Forms with data-confirm ask before they are sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset && form.dataset.confirm;
    var submitter = event.submitter;
    if (submitter && submitter.dataset.confirm) message = submitter.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
  // Forms with data-once are sent once (a second click while the page loads would ask the
  // server twice): after the first submit their buttons are disabled.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("[data-once]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
})();
