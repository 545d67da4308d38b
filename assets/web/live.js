// lantian: live updates of a server-rendered page, without reloads.
// An element with data-live-src is fetched again (as HTML) whenever the server sends an update
// on /api/v1/events (server-sent events), one fetch at a time, and replaced in place.
// No library, no inline script (the pages' CSP allows scripts from 'self' only).
(function () {
  "use strict";
  var target = document.querySelector("[data-live-src]");
  if (!target) { return; }
  var dot = document.getElementById("live-dot");
  var pending = false;
  var running = false;
  function state(name) {
    if (dot) { dot.className = "dot " + name; }
    document.body.setAttribute("data-live", name);
  }
  function refresh() {
    if (running) { pending = true; return; }
    running = true;
    fetch(target.getAttribute("data-live-src"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/login"); return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        if (html !== null) {
          target.innerHTML = html;
          document.body.setAttribute("data-refreshed", String(Date.now()));
        }
      })
      .catch(function () { state("stale"); })
      .finally(function () {
        running = false;
        if (pending) { pending = false; window.setTimeout(refresh, 1000); }
      });
  }
  if (!window.EventSource) { window.setInterval(refresh, 60000); return; }
  var events = new EventSource("/api/v1/events");
  events.onopen = function () { state("live"); };
  events.onerror = function () { state("stale"); };
  // The server sends a `snapshot` when a client connects (again) and an `update` per change.
  // The first snapshot is what the page was rendered from; a later one follows a reconnection,
  // after which anything may have changed.
  var snapshots = 0;
  events.addEventListener("snapshot", function () { snapshots += 1; if (snapshots > 1) { refresh(); } });
  events.addEventListener("update", refresh);
})();
