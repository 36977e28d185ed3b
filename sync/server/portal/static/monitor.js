// The monitoring pages refresh themselves (sync/server/monitor_page.py): every N seconds (the
// <main data-refresh> attribute) they fetch the same address and put the new <main> and the
// "last updated" line in place, keeping the scroll position; a button pauses and resumes it
// (WCAG 2.2.1); a hidden tab does not ask. A session that ended meanwhile (401: a logout
// elsewhere, an expiry, a disabled account) stops the refresh for good and says so in the page's
// language (#monitor-status, role=status) with a link to log in again: no reload, no loop. Any
// other failed answer (the server away, 5xx, 429) says the figures may be old and tries again at
// the next turn only. No inline script (the CSP); without this file the page refreshes with the
// <meta refresh> in its <noscript>.
(function () {
  "use strict";
  var main = document.querySelector("main[data-refresh]");
  var button = document.getElementById("monitor-pause");
  var status = document.getElementById("monitor-status");
  if (!main || !button || !status || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(1, parseInt(main.getAttribute("data-refresh"), 10) || 30) * 1000;
  var paused = false;
  var busy = false;
  var timer = null;

  function label() {
    button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
    button.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  function say(text, link) {
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = window.location.href;
      a.textContent = status.getAttribute("data-login");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
    }
    status.hidden = !text;
  }

  function ended() {
    window.clearInterval(timer);
    paused = true;
    button.hidden = true;
    say(status.getAttribute("data-ended"), true);
  }

  function refresh() {
    if (paused || busy || document.hidden) { return; }
    busy = true;
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}, redirect: "manual"})
      .then(function (response) {
        if (response.status === 401) { ended(); return null; }
        if (!response.ok) { say(status.getAttribute("data-failed"), false); return null; }
        return response.text();
      })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var newMain = fresh.querySelector("main[data-refresh]");
        var newStamp = fresh.getElementById("monitor-updated");
        var stamp = document.getElementById("monitor-updated");
        if (!newMain) { say(status.getAttribute("data-failed"), false); return; }
        main.innerHTML = newMain.innerHTML;
        if (newStamp && stamp) { stamp.innerHTML = newStamp.innerHTML; }
        say("", false);
      })
      .catch(function () { say(status.getAttribute("data-failed"), false); })
      .then(function () { busy = false; });
  }

  button.hidden = false;
  label();
  button.addEventListener("click", function () { paused = !paused; label(); if (!paused) { refresh(); } });
  timer = window.setInterval(refresh, every);
}());
