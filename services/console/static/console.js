// The live lists (the desk's alerts, its joint cases): the console pushes the rows over Server-Sent
// Events whenever the desk's store changes; EventSource reconnects by itself. The script's
// data-rows names the table body, data-event the event (default: the alerts). Served by the
// console: no CDN, no framework.
(function () {
  "use strict";
  var script = document.currentScript;
  var rows = document.getElementById((script && script.dataset.rows) || "alerts");
  var live = document.getElementById("live");
  if (!script || !rows || !window.EventSource) { return; }
  function show(state, text) { live.dataset.live = state; live.textContent = text; }
  var source = new EventSource(script.dataset.stream);
  source.onopen = function () { show("connected", script.dataset.live); };
  source.onerror = function () { show("reconnecting", script.dataset.reconnecting); };
  source.addEventListener(script.dataset.event || "alerts", function (event) {
    rows.innerHTML = event.data;  // rendered and escaped by the console's templates
    rows.dataset.updates = String(Number(rows.dataset.updates || "0") + 1);
  });
  source.addEventListener("refused", function () { source.close(); window.location.reload(); });
}());
