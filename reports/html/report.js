// flowrun's HTML report: the "failed only" filter. Everything else works
// without JavaScript, so the filter stays hidden when scripts do not run.
(function () {
  "use strict";
  var filter = document.getElementById("filter");
  var box = document.getElementById("failed-only");
  var shown = document.getElementById("shown");
  if (!filter || !box || !shown) {
    return;
  }
  var flows = document.querySelectorAll(".flow");
  function apply() {
    document.body.classList.toggle("failed-only", box.checked);
    if (!box.checked) {
      shown.textContent = "";
      return;
    }
    var n = 0;
    flows.forEach(function (f) {
      if (f.getAttribute("data-status") !== "passed") {
        n++;
      }
    });
    shown.textContent = "showing " + n + " of " + flows.length + (flows.length === 1 ? " flow" : " flows");
  }
  box.addEventListener("change", apply);
  filter.hidden = false;
  // A reload may keep the box ticked.
  apply();
})();
