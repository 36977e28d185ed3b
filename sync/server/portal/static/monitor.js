// The monitoring pages refresh themselves (sync/server/monitor_page.py): every N seconds (the
// <main data-refresh> attribute) they fetch the same address and put the new <main> and the
// "last updated" line in place, keeping the scroll position; a button pauses and resumes it
// (WCAG 2.2.1); a hidden tab does not ask. An answer that is no page (a logout elsewhere: 401)
// reloads, which shows the login form. No inline script (the CSP); without this file the page
// refreshes with the <meta refresh> in its <noscript>.
(function () {
  "use strict";
  var main = document.querySelector("main[data-refresh]");
  var button = document.getElementById("monitor-pause");
  if (!main || !button || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(1, parseInt(main.getAttribute("data-refresh"), 10) || 30) * 1000;
  var paused = false;
  var busy = false;

  function label() {
    button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
    button.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  function refresh() {
    if (paused || busy || document.hidden) { return; }
    busy = true;
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var newMain = fresh.querySelector("main[data-refresh]");
        var newStamp = fresh.getElementById("monitor-updated");
        var stamp = document.getElementById("monitor-updated");
        if (newMain) { main.innerHTML = newMain.innerHTML; }
        if (newStamp && stamp) { stamp.innerHTML = newStamp.innerHTML; }
      })
      .catch(function () { /* the server is away: the next turn tries again */ })
      .then(function () { busy = false; });
  }

  button.hidden = false;
  label();
  button.addEventListener("click", function () { paused = !paused; label(); if (!paused) { refresh(); } });
  window.setInterval(refresh, every);
}());
