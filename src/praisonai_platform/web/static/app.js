// praisonai-platform web app: the little behaviour pages share. No inline scripts (the pages'
// Content-Security-Policy allows none); everything hangs off data- attributes.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // A short message in the corner; always set as text, never as HTML.
  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  // htmx answers errors (4xx, 5xx) with the message as plain text.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr && xhr.responseText) || "Something went wrong; try again.";
    toast(text.length > 300 ? text.slice(0, 300) + "…" : text);
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached; check your connection and try again.");
  });

  // Copy buttons: <button data-copy="#id-of-element-holding-the-text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined && source.value !== "" ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { toast("Select the text and copy it."); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { toast("Select the text and copy it."); }
    }
  });

  // Forms that ask first: <form data-confirm="Delete this label?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // A form goes once: its submit buttons are disabled once it is on its way, so a double click
  // sends it once. Only after the event (a button disabled during it would drop its own name and
  // value from the form) and only when it is really sent: not after a declined data-confirm, nor
  // when a script (htmx, the board) handles the form itself. A page the browser shows again from
  // its history gets its buttons back; a form shown again after an error is a new page.
  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "submit" || element.type === "image";
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.target && form.target !== "_self")) return;
    setTimeout(function () {
      if (event.defaultPrevented) return;
      submitButtons(form).forEach(function (button) {
        if (button.disabled) return;
        button.disabled = true;
        button.setAttribute("data-sent", "");
      });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-sent]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-sent");
    });
  });

  // Menus (<details data-menu>) close on Escape and on a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Colour swatches: <span class="swatch" data-color="#aabbcc"> (no inline styles under the CSP).
  function paintSwatches(root) {
    (root || document).querySelectorAll("[data-color]").forEach(function (element) {
      var colour = element.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{6}$/.test(colour)) element.style.backgroundColor = colour;
    });
  }
  paintSwatches(document);
  document.addEventListener("htmx:afterSwap", function (event) { paintSwatches(event.target); });

  window.platform = { csrfToken: csrfToken, toast: toast };
})();
