// The live alert list: the console pushes the rows over Server-Sent Events whenever the desk's
// alerts change; EventSource reconnects by itself. Served by the console: no CDN, no framework.
(function () {
  "use strict";
  var script = document.currentScript;
  var rows = document.getElementById("alerts");
  var live = document.getElementById("live");
  if (!script || !rows || !window.EventSource) { return; }
  function show(state, text) { live.dataset.live = state; live.textContent = text; }
  var source = new EventSource(script.dataset.stream);
  source.onopen = function () { show("connected", script.dataset.live); };
  source.onerror = function () { show("reconnecting", script.dataset.reconnecting); };
  source.addEventListener("alerts", function (event) {
    rows.innerHTML = event.data;  // rendered and escaped by the console's templates
    rows.dataset.updates = String(Number(rows.dataset.updates || "0") + 1);
  });
  source.addEventListener("refused", function () { source.close(); window.location.reload(); });
}());
