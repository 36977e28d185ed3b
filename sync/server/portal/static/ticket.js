// The mobile ticket refreshes itself. It listens to the ticket's server-sent events
// (/t/<token>/events: the state at once, then at each change) and, whenever that stream is not
// open (no EventSource, refused, closed, reconnecting), asks /t/<token>/state every few seconds
// (the page says how often). It puts the new lines in place; when the ticket's state changes
// (called, ended) it reloads the page, whose layout differs. No inline script (the portal's CSP);
// the page works without this file (a <meta refresh> in <noscript>).
(function () {
  "use strict";
  var root = document.getElementById("ticket");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-state-url") + window.location.search;
  var eventsUrl = root.getAttribute("data-events-url");
  var poll = Math.max(1, parseInt(root.getAttribute("data-poll"), 10) || 15) * 1000;
  var shown = root.getAttribute("data-state");
  var source = null;
  var reloading = false;

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

  function show(state) {
    if (reloading) { return; }
    if (state.state !== shown) {
      reloading = true;
      if (source) { source.close(); }
      window.location.reload();
      return;
    }
    Object.keys(state.texts).forEach(function (key) { put(key, state.texts[key]); });
    calling(state.calling);
  }

  function streaming() {
    return source !== null && source.readyState === window.EventSource.OPEN;
  }

  if (eventsUrl && window.EventSource) {
    source = new window.EventSource(eventsUrl + window.location.search);
    source.onmessage = function (event) {
      try { show(JSON.parse(event.data)); } catch (e) { /* a broken line: the next one or the poll */ }
    };
    source.onerror = function () {
      // refused (busy, unknown) or the server gone: the browser gives up; polling carries on
      if (source.readyState === window.EventSource.CLOSED) { source = null; }
    };
  }

  var timer = null;
  function next(delay) { timer = window.setTimeout(refresh, delay); }

  function refresh() {
    timer = null;
    if (streaming()) { next(poll); return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (answer) {
        if (answer.status === 429) {
          var wait = parseInt(answer.headers.get("Retry-After"), 10) || 30;
          next(wait * 1000);
          return null;
        }
        return answer.json().then(function (state) {
          show(state);
          next(poll);
        });
      })
      .catch(function () { next(poll); });
  }

  next(poll);
  // a phone that wakes the page (timers sleep in the background) asks at once
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null && !streaming()) {
      window.clearTimeout(timer);
      timer = null;
      refresh();
    }
  });
})();
