// Live updates: a page follows the workspace's changes without a reload.
//
// One EventSource per page, on /w/{workspace}/live (the workspace's change feed, for its
// members). An event about what the page shows (its [data-live] regions: the board, the issue
// list, an issue's page, projects, my work) has the page fetched again and the regions swapped in
// with htmx: by their [data-live-part] ids, and the board's cards column by column, so that the
// columns (and their drag and drop) stay. A region where someone is typing, has changed a field
// or opened an editor is left alone until they are done; a card being dragged or saved holds the
// board back until it is placed.
//
// After a drop the browser reconnects by itself and resumes after the last event it saw
// (Last-Event-ID); if the server refused the reconnection (it was restarting, say) the page
// reconnects itself, after that same event. Meanwhile a quiet note (role=status) says that live
// updates are paused; the events missed come first when it is back, and the page catches up.
(function () {
  "use strict";

  var script = document.currentScript;
  var first = document.querySelector("[data-live]");
  if (!script || !first || typeof EventSource === "undefined" || !window.fetch) return;
  var streamUrl = script.getAttribute("data-live-url");
  if (!streamUrl) return;
  var since = script.getAttribute("data-live-since") || "";
  var userId = script.getAttribute("data-live-user");
  var kind = first.getAttribute("data-live");
  var issueId = first.getAttribute("data-live-issue");

  var PAUSED = "Live updates paused: reconnecting…";
  var BACK = "Live updates are back.";
  var SIGNED_OUT = "Live updates stopped: you are signed out. Reload the page to sign in again.";
  var NO_ACCESS = "Live updates stopped: this workspace is no longer open to you.";
  var GONE = "This page no longer exists: it was deleted or moved.";
  var FIRST_RETRY = 1000;
  // At most one refresh a second, however fast the events come (an agent reporting progress).
  var REFRESH_GAP = 1000;
  // A tab out of sight this long lets its stream go (browsers allow few connections to a server
  // over HTTP/1.1); back in sight, it resumes after the last event it saw.
  var HIDDEN_GRACE = 30000;
  var LAST_RETRY = 30000;
  var SWAP = { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0, ignoreTitle: true };
  var SWAP_INNER = { swapStyle: "innerHTML", swapDelay: 0, settleDelay: 0, ignoreTitle: true };

  var source = null;
  var lastId = null;
  var state = "connecting";
  var stopped = false;
  var retryDelay = FIRST_RETRY;
  var retryTimer = null;
  var pauseTimer = null;
  var quietTimer = null;

  // The note: in the page from the start (so that screen readers follow it), empty while live.
  var note = document.createElement("div");
  note.className = "live-status";
  note.setAttribute("role", "status");
  note.setAttribute("aria-live", "polite");
  document.body.appendChild(note);

  function say(text) {
    clearTimeout(quietTimer);
    note.textContent = text;
  }

  function setState(value) {
    state = value;
    document.body.setAttribute("data-live-state", value);
  }

  // ---- Which events concern this page ----

  var LIST_ENTITIES = { issue: 1, label: 1, project: 1, agent: 1, member: 1, workspace: 1 };
  var NAMES = { label: 1, agent: 1, project: 1, member: 1 };

  // The stream starts a little before the page was drawn (so that nothing is missed); this
  // person's own changes from before then are in the page already (their request ended first).
  function alreadyShown(event) {
    return Boolean(userId && since && event.actor && event.actor.type === "user" &&
      event.actor.id === userId && Date.parse(event.created_at) < Number(since));
  }

  // An issue the page shows a line of (a sub-issue, the parent), or one that has just become a
  // sub-issue of the page's issue.
  function relatedIssue(event) {
    if (document.querySelector('[data-live-ref="' + CSS.escape(event.entity_id) + '"]')) return true;
    var data = event.data || {};
    if (data.parent_issue_id === issueId) return true;
    var moved = data.changes && data.changes.parent_issue_id;
    return Array.isArray(moved) && moved.indexOf(issueId) >= 0;
  }

  function concerns(event) {
    if (alreadyShown(event)) return false;
    var entity = event.entity_type;
    if (kind === "issue") {
      if (event.issue_id === issueId || event.entity_id === issueId) return true;
      if (entity === "run" && document.getElementById("run-" + event.entity_id)) return true;
      if (entity === "issue" && relatedIssue(event)) return true;
      return NAMES[entity] === 1; // names and choices the page shows
    }
    if (kind === "projects") return entity === "project" || entity === "issue";
    return LIST_ENTITIES[entity] === 1;
  }

  // ---- Refreshing what the page shows ----

  var wanted = false;
  var running = false;
  var timer = null;
  var stale = false;
  var lastRefresh = 0;

  function refreshSoon(delay) {
    wanted = true;
    if (timer || running || stopped) return;
    var gap = lastRefresh + REFRESH_GAP - Date.now();
    timer = setTimeout(refresh, Math.max(delay === undefined ? 50 : delay, gap));
  }

  function refresh() {
    timer = null;
    if (!wanted || stopped) return;
    if (kind === "board" && boardBusy()) {
      timer = setTimeout(refresh, 300);
      return;
    }
    wanted = false;
    running = true;
    lastRefresh = Date.now();
    fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname === "/sign-in") {
        stop(SIGNED_OUT);
        return null;
      }
      if (response.status === 404) {
        stop(GONE);
        return null;
      }
      if (!response.ok) throw new Error("status " + response.status);
      return response.text();
    }).then(function (html) {
      if (html === null || stopped) return;
      apply(new DOMParser().parseFromString(html, "text/html"));
    }).catch(function () {
      wanted = true; // the page is behind: try again with the next event, or in a while
      if (!timer) timer = setTimeout(refresh, 5000);
    }).then(function () {
      running = false;
      if (wanted && !timer) refreshSoon();
    });
  }

  function apply(doc) {
    stale = false;
    if (kind === "board") {
      patchBoard(doc);
    } else {
      var fresh = doc.querySelectorAll('[data-live="' + kind + '"]');
      document.querySelectorAll('[data-live="' + kind + '"]').forEach(function (region, index) {
        if (fresh[index]) update(region, fresh[index]);
      });
    }
    if (doc.title) document.title = doc.title;
    document.body.setAttribute("data-live-refreshed", String(Number(document.body.getAttribute("data-live-refreshed") || 0) + 1));
    document.dispatchEvent(new CustomEvent("live:refreshed"));
  }

  // Swap `current` for `fresh`, or, when someone is busy in it, its parts that are not.
  function update(current, fresh) {
    if (!busy(current)) {
      htmx.swap(current, fresh.outerHTML, SWAP);
      return;
    }
    Array.prototype.forEach.call(fresh.attributes, function (attribute) {
      if (attribute.name.indexOf("data-") === 0) current.setAttribute(attribute.name, attribute.value);
    });
    var parts = topParts(current);
    if (!parts.length) {
      stale = true;
      return;
    }
    parts.forEach(function (part) {
      var counterpart = fresh.querySelector("#" + CSS.escape(part.id));
      if (counterpart) update(part, counterpart);
    });
  }

  // The [data-live-part] elements in `element` that are in no other part there.
  function topParts(element) {
    return Array.prototype.filter.call(element.querySelectorAll("[data-live-part][id]"), function (part) {
      var holder = part.parentElement.closest("[data-live-part]");
      return !holder || holder === element || !element.contains(holder);
    });
  }

  function busy(element) {
    var active = document.activeElement;
    if (active && element.contains(active) && active.matches("input, textarea, select, [contenteditable]")) return true;
    if (element.querySelector("details[open], dialog[open]")) return true;
    var controls = element.querySelectorAll("input, textarea, select");
    for (var i = 0; i < controls.length; i++) {
      if (changed(controls[i])) return true;
    }
    return false;
  }

  function changed(control) {
    if (control.type === "hidden" || control.disabled) return false;
    if (control.type === "checkbox" || control.type === "radio") return control.checked !== control.defaultChecked;
    if (control.tagName === "SELECT") {
      var options = control.options;
      var hasDefault = false;
      var differs = false;
      for (var i = 0; i < options.length; i++) {
        if (options[i].defaultSelected) hasDefault = true;
        if (options[i].selected !== options[i].defaultSelected) differs = true;
      }
      if (!hasDefault) return control.multiple ? control.selectedOptions.length > 0 : control.selectedIndex > 0;
      return differs;
    }
    return control.value !== control.defaultValue;
  }

  // A region left alone is caught up once the person is done with it.
  function maybeCatchUp() {
    if (stale) refreshSoon(300);
  }
  document.addEventListener("focusout", maybeCatchUp);
  document.addEventListener("toggle", maybeCatchUp, true);
  document.addEventListener("reset", maybeCatchUp, true);

  // ---- The board: cards column by column ----

  function boardBusy() {
    return Boolean(document.querySelector(
      ".sortable-chosen, .sortable-drag, .sortable-fallback, .issue-card.saving, #move-card[open]"
    ));
  }

  function patchBoard(doc) {
    var board = document.querySelector("[data-board]");
    var fresh = doc.querySelector("[data-board]");
    if (!board || !fresh) return;
    var focused = focusedCard(board);
    board.querySelectorAll(".board-column").forEach(function (column) {
      var list = column.querySelector(".board-cards");
      if (!list) return;
      var freshList = fresh.querySelector('.board-cards[data-status="' + list.getAttribute("data-status") + '"]');
      if (!freshList) return;
      var freshColumn = freshList.closest(".board-column");
      // The list itself stays: its drag and drop is bound to it.
      htmx.swap(list, freshList.innerHTML, SWAP_INNER);
      var count = column.querySelector(".count");
      var freshCount = freshColumn.querySelector(".count");
      if (count && freshCount) count.textContent = freshCount.textContent;
      var more = column.querySelector(".more");
      var freshMore = freshColumn.querySelector(".more");
      if (more) more.remove();
      if (freshMore) column.appendChild(document.importNode(freshMore, true));
    });
    if (focused) {
      var again = board.querySelector('[data-issue-id="' + CSS.escape(focused.id) + '"] ' + focused.selector);
      if (again) again.focus({ preventScroll: true });
    }
  }

  function focusedCard(board) {
    var active = document.activeElement;
    var card = active && board.contains(active) ? active.closest("[data-issue-id]") : null;
    if (!card) return null;
    var selector = ["a.issue-key", "a.card-title", "[data-move-card]"].filter(function (candidate) {
      return active.matches(candidate);
    })[0];
    return selector ? { id: card.getAttribute("data-issue-id"), selector: selector } : null;
  }

  // ---- The stream ----

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    var query = lastId !== null ? "after=" + encodeURIComponent(lastId) : (since ? "since=" + encodeURIComponent(since) : "");
    source = new EventSource(streamUrl + (query ? "?" + query : ""));
    source.onopen = opened;
    source.onerror = failed;
    source.onmessage = function (message) {
      if (message.lastEventId) lastId = message.lastEventId;
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (concerns(event)) refreshSoon();
    };
    // The first frame says where the stream starts: a reconnection resumes after it.
    source.addEventListener("ready", function (message) {
      if (message.lastEventId) lastId = message.lastEventId;
    });
    // Events were deleted (older than the retention) before they could be sent: read it all again.
    source.addEventListener("reset", function (message) {
      if (message.lastEventId) lastId = message.lastEventId;
      refreshSoon();
    });
    // The server ended the stream: this person may no longer read the workspace.
    source.addEventListener("refused", function (message) {
      var status = 0;
      try {
        status = JSON.parse(message.data).status;
      } catch (error) { /* keep 0 */ }
      stop(status === 401 ? SIGNED_OUT : NO_ACCESS);
    });
  }

  function opened() {
    retryDelay = FIRST_RETRY;
    clearTimeout(pauseTimer);
    pauseTimer = null;
    var wasPaused = state === "paused";
    setState("open");
    if (wasPaused) {
      say(BACK);
      quietTimer = setTimeout(function () { if (state === "open") note.textContent = ""; }, 4000);
    }
  }

  function failed() {
    if (stopped) return;
    if (state === "open") setState("connecting");
    // A moment's break (the server ending one stream and the browser opening the next) says nothing.
    if (!pauseTimer && state !== "paused") {
      pauseTimer = setTimeout(function () {
        pauseTimer = null;
        if (stopped || (source && source.readyState === EventSource.OPEN)) return;
        setState("paused");
        say(PAUSED);
      }, 1000);
    }
    if (source && source.readyState === EventSource.CLOSED) {
      // The browser gave up (the server answered, but not with the stream): ask why, then retry.
      source = null;
      retryTimer = setTimeout(probe, retryDelay);
      retryDelay = Math.min(LAST_RETRY, retryDelay * 2);
    }
    // Otherwise the browser reconnects by itself, with Last-Event-ID.
  }

  function probe() {
    retryTimer = null;
    if (stopped) return;
    var controller = window.AbortController ? new AbortController() : null;
    fetch(streamUrl + (lastId !== null ? "?after=" + encodeURIComponent(lastId) : ""), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "text/event-stream" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (controller) controller.abort();
      if (response.status === 401) return stop(SIGNED_OUT);
      if (response.status === 403 || response.status === 404) return stop(NO_ACCESS);
      if (response.ok) return connect();
      retryTimer = setTimeout(probe, retryDelay);
      retryDelay = Math.min(LAST_RETRY, retryDelay * 2);
    }, function () {
      retryTimer = setTimeout(probe, retryDelay);
      retryDelay = Math.min(LAST_RETRY, retryDelay * 2);
    });
  }

  function stop(message) {
    stopped = true;
    clearTimeout(pauseTimer);
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
    setState("stopped");
    say(message);
  }

  function pause() {
    clearTimeout(pauseTimer);
    pauseTimer = null;
    clearTimeout(retryTimer);
    retryTimer = null;
    if (source) source.close();
    source = null;
    if (!stopped) setState("asleep");
  }

  function resume() {
    if (!stopped && !source && !retryTimer) connect();
  }

  // Leaving the page closes the stream (so the browser may keep the page to come back to);
  // coming back resumes it after the last event seen. So does a tab long out of sight.
  var hiddenTimer = null;
  window.addEventListener("pagehide", pause);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) resume();
  });
  document.addEventListener("visibilitychange", function () {
    clearTimeout(hiddenTimer);
    hiddenTimer = null;
    if (document.visibilityState === "hidden") hiddenTimer = setTimeout(pause, HIDDEN_GRACE);
    else resume();
  });

  setState("connecting");
  connect();
  window.platformLive = {
    state: function () { return state; },
    lastId: function () { return lastId; }
  };
})();
