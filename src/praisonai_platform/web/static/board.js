// The board: drag a card to another column to change the issue's status (SortableJS).
// The move is posted with the version the card was drawn with; the server answers with the card as
// it is now: on 409 someone changed the issue meanwhile, and the card goes back to the column of
// its current status with the message, rather than overwriting their change.
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board || typeof Sortable === "undefined") return;
  var moveUrl = board.getAttribute("data-move-url");

  function toast(message) {
    if (window.platform && window.platform.toast) window.platform.toast(message);
  }

  function column(status) {
    return board.querySelector('.board-cards[data-status="' + status + '"]');
  }

  function updateCounts() {
    board.querySelectorAll(".board-column").forEach(function (section) {
      var count = section.querySelector(".count");
      var list = section.querySelector(".board-cards");
      if (count && list) {
        var more = count.textContent.indexOf("+") >= 0 ? "+" : "";
        count.textContent = list.children.length + more;
      }
    });
  }

  function place(fresh) {
    var target = column(fresh.getAttribute("data-status"));
    if (target && fresh.parentElement !== target) target.insertBefore(fresh, target.firstChild);
    updateCounts();
  }

  function move(card, status, from) {
    var body = new URLSearchParams();
    body.set("issue", card.getAttribute("data-issue-id"));
    body.set("version", card.getAttribute("data-version"));
    body.set("status", status);
    card.classList.add("saving");
    card.setAttribute("aria-busy", "true");
    fetch(moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html",
        "HX-Request": "true",
        "X-CSRF-Token": window.platform ? window.platform.csrfToken() : ""
      },
      body: body.toString()
    }).then(function (response) {
      return response.text().then(function (text) { return { response: response, text: text }; });
    }).then(function (answer) {
      var response = answer.response;
      if (response.ok || response.status === 409) {
        var holder = document.createElement("template");
        holder.innerHTML = answer.text.trim();
        var fresh = holder.content.firstElementChild;
        if (!fresh || !fresh.classList.contains("issue-card")) throw new Error("unexpected answer");
        card.replaceWith(fresh);
        place(fresh);
        if (response.status === 409) {
          var problem = fresh.querySelector(".card-problem");
          toast(problem ? problem.textContent : "This issue was changed by someone else.");
        }
        var link = fresh.querySelector("a.card-title");
        if (link && document.activeElement === document.body) link.focus();
        return;
      }
      from.appendChild(card);
      card.classList.remove("saving");
      card.removeAttribute("aria-busy");
      updateCounts();
      toast(answer.text.length > 300 ? answer.text.slice(0, 300) + "…" : answer.text);
    }).catch(function () {
      from.appendChild(card);
      card.classList.remove("saving");
      card.removeAttribute("aria-busy");
      updateCounts();
      toast("The move could not be saved; check your connection and try again.");
    });
  }

  // The keyboard's way (and the pointer's, without dragging): a card's Move button opens a dialog.
  var dialog = document.getElementById("move-card");
  var movingCard = null;
  board.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move-card]");
    if (!button || !dialog) return;
    movingCard = button.closest(".issue-card");
    var form = dialog.querySelector("form");
    form.elements.issue.value = movingCard.getAttribute("data-issue-id");
    form.elements.version.value = movingCard.getAttribute("data-version");
    form.elements.status.value = movingCard.getAttribute("data-status");
    dialog.querySelector("[data-move-key]").textContent = movingCard.getAttribute("data-key");
    dialog.showModal();
    form.elements.status.focus();
  });
  if (dialog) {
    dialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var status = event.target.elements.status.value;
      dialog.close();
      if (!movingCard || status === movingCard.getAttribute("data-status")) return;
      var from = movingCard.parentElement;
      var target = column(status);
      if (target) target.insertBefore(movingCard, target.firstChild);
      move(movingCard, status, from);
    });
  }

  board.querySelectorAll(".board-cards").forEach(function (list) {
    Sortable.create(list, {
      group: "board",
      animation: 120,
      // Mouse and touch events rather than native drag and drop: the same on every browser.
      forceFallback: true,
      fallbackTolerance: 3,
      filter: "button",
      preventOnFilter: false,
      onEnd: function (event) {
        if (event.from === event.to) return;
        move(event.item, event.to.getAttribute("data-status"), event.from);
      }
    });
  });
})();
