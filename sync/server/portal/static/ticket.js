// The mobile ticket refreshes itself: it asks /t/<token>/state every few seconds (the page says
// how often) and puts the new lines in place; when the ticket's state changes (called, ended) it
// reloads the page, whose layout differs. No inline script (the portal's CSP); the page works
// without this file (a <meta refresh> in <noscript>).
(function () {
  "use strict";
  var root = document.getElementById("ticket");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-state-url") + window.location.search;
  var poll = Math.max(1, parseInt(root.getAttribute("data-poll"), 10) || 15) * 1000;
  var shown = root.getAttribute("data-state");

  function put(key, value) {
    var el = root.querySelector('[data-live="' + key + '"]');
    if (!el) { return; }
    if (el.textContent !== value) { el.textContent = value; }
    if (key === "offline") { el.hidden = !value; }
  }

  function calling(rows) {
    var table = document.getElementById("ticket-calling");
    var nobody = document.getElementById("ticket-nobody");
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var number = document.createElement("td");
      number.className = "code";
      number.textContent = row.number;
      var counter = document.createElement("td");
      counter.className = "num";
      counter.textContent = row.counter === null ? "" : String(row.counter);
      tr.appendChild(number);
      tr.appendChild(counter);
      body.appendChild(tr);
    });
    table.hidden = rows.length === 0;
    nobody.hidden = rows.length !== 0;
  }

  var timer = null;
  function next(delay) { timer = window.setTimeout(refresh, delay); }

  function refresh() {
    timer = null;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (answer) {
        if (answer.status === 429) {
          var wait = parseInt(answer.headers.get("Retry-After"), 10) || 30;
          next(wait * 1000);
          return null;
        }
        return answer.json().then(function (state) {
          if (state.state !== shown) { window.location.reload(); return; }
          Object.keys(state.texts).forEach(function (key) { put(key, state.texts[key]); });
          calling(state.calling);
          next(poll);
        });
      })
      .catch(function () { next(poll); });
  }

  next(poll);
  // a phone that wakes the page (timers sleep in the background) asks at once
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
      refresh();
    }
  });
})();
