// Issue pages: the quick create dialog and keyboard shortcuts.
//   c  new issue        /  search        j / k  next / previous issue
//   Enter  open the selected issue        ?  the list of shortcuts        Esc  close a dialog
// No inline scripts (the Content-Security-Policy allows none): everything hangs off data- attributes.
(function () {
  "use strict";

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog || dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    var first = dialog.querySelector("input:not([type=hidden]), textarea, select, button");
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      event.preventDefault();
      openDialog(opener.getAttribute("data-dialog-open"));
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) closeDialog(dialog);
    }
  });

  // Filters that apply as soon as they change (the board's; the list's go through htmx).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) field.form.requestSubmit();
  });

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-issue-row]"));
  }

  // The selected row, by the issue it shows: a live update redraws the rows, and the selection
  // follows the issue wherever it now is.
  var selectedHref = null;
  var selectedAt = -1;

  function select(index, quietly) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-current"); });
    var row = all[index];
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    selectedHref = row.getAttribute("data-href");
    selectedAt = index;
    var link = row.querySelector("a.issue-title, a.issue-key");
    var lost = !document.activeElement || document.activeElement === document.body;
    if (link && (!quietly || lost)) link.focus({ preventScroll: true });
    if (!quietly) row.scrollIntoView({ block: "nearest" });
  }

  function selectedIndex() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("selected") || all[i].contains(document.activeElement)) return i;
    }
    return -1;
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable], dialog[open]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var key = event.key;
    if (key === "c" && document.getElementById("create-issue")) {
      event.preventDefault();
      openDialog("create-issue");
    } else if (key === "/") {
      var search = document.getElementById("issue-q");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (key === "?") {
      event.preventDefault();
      openDialog("shortcuts");
    } else if (key === "j" || key === "k") {
      if (!rows().length) return;
      event.preventDefault();
      var current = selectedIndex();
      select(current < 0 ? 0 : current + (key === "j" ? 1 : -1));
    } else if (key === "Enter") {
      var index = selectedIndex();
      var row = rows()[index];
      if (row && row.getAttribute("data-href") && !event.target.closest("a, button")) {
        event.preventDefault();
        window.location.assign(row.getAttribute("data-href"));
      }
    }
  });

  // Tabbing to a row selects it as well.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-issue-row]");
    if (!row) return;
    selectedHref = row.getAttribute("data-href");
    selectedAt = rows().indexOf(row);
  });

  // A live update redrew the page: the selected issue stays selected (the row now at its place
  // when it has left the list), and keeps the focus when the redraw took it away.
  document.addEventListener("live:refreshed", function () {
    if (selectedHref === null || document.querySelector("[data-issue-row].selected")) return;
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-href") === selectedHref) return select(i, true);
    }
    if (all.length) select(selectedAt, true);
    else selectedHref = null;
  });

  // After a search or a filter replaces the results, the selection starts again from the top.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "issue-results") {
      if (event.detail.requestConfig) selectedHref = null;
      var search = document.getElementById("issue-q");
      if (document.activeElement === document.body && search) search.focus();
    }
  });
})();
