// Interview page behaviour: word count, Ctrl/Cmd+Enter, drafts, countdown, focus after swaps.
// Loaded with `defer`; everything is progressive enhancement over plain forms.
(function () {
  "use strict";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function countWords(text) {
    var words = text.trim().split(/\s+/).filter(Boolean);
    return words.length;
  }

  function updateCount(textarea) {
    var output = document.querySelector('[data-word-count-for="' + textarea.id + '"]');
    if (!output) return;
    var n = countWords(textarea.value);
    output.textContent = n + (n === 1 ? " word" : " words");
  }

  function setUpTextarea(textarea) {
    if (textarea.dataset.ready) return;
    textarea.dataset.ready = "1";
    var store = storage();
    var key = textarea.dataset.draftKey;
    if (store && key && !textarea.value) {
      var draft = store.getItem(key);
      if (draft) textarea.value = draft;
    }
    updateCount(textarea);
    textarea.addEventListener("input", function () {
      updateCount(textarea);
      if (store && key) {
        if (textarea.value) store.setItem(key, textarea.value);
        else store.removeItem(key);
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        var form = textarea.form;
        if (form && form.reportValidity()) form.requestSubmit();
      }
    });
  }

  function formatSeconds(s) {
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function setUpCountdown(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    var total = parseInt(el.dataset.countdown, 10);
    if (!(total > 0)) return;
    var form = el.closest("form");
    var already = form && form.dataset.elapsedMs ? parseInt(form.dataset.elapsedMs, 10) : 0;
    var started = Date.now() - already;
    var value = el.querySelector(".countdown-value");
    var timer = null;
    function tick() {
      if (!document.body.contains(el)) { window.clearInterval(timer); return; }
      var left = Math.max(0, total - Math.floor((Date.now() - started) / 1000));
      if (value) value.textContent = formatSeconds(left);
      if (left <= Math.min(30, total / 4)) el.classList.add("low");
      if (left === 0) {
        el.classList.add("over");
        if (value) value.textContent = "time is up — finish your thought and submit";
        window.clearInterval(timer);
      }
    }
    timer = window.setInterval(tick, 1000);
    tick();
  }

  function clearFinishedDrafts(root) {
    var store = storage();
    if (!store) return;
    root.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      store.removeItem(el.dataset.clearDraft);
      store.removeItem(el.dataset.clearDraft.replace(/^draft:/, "shown:"));
    });
  }

  // A reload must not restart the clock: keep the first time this question was shown.
  function keepShownAt(input) {
    var store = storage();
    var key = input.dataset.shownKey;
    if (!store || !key) return;
    var first = store.getItem(key);
    if (first && /^\d+$/.test(first)) {
      // Both values are server times, so the difference is free of clock skew.
      var elapsed = parseInt(input.value, 10) - parseInt(first, 10);
      if (input.form && elapsed > 0) input.form.dataset.elapsedMs = String(elapsed);
      input.value = first;
    } else {
      store.setItem(key, input.value);
    }
  }

  function enhance(root) {
    // Hints and counters that only work with this script stay hidden without it.
    root.querySelectorAll("[data-needs-js][hidden]").forEach(function (el) { el.hidden = false; });
    clearFinishedDrafts(root);
    root.querySelectorAll("textarea[data-draft-key]").forEach(setUpTextarea);
    root.querySelectorAll("input[data-shown-key]").forEach(keepShownAt);
    root.querySelectorAll("[data-countdown]").forEach(setUpCountdown);
  }

  function flash(message) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    window.setTimeout(function () { box.hidden = true; }, 8000);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target || document;
    enhance(target);
    // Move focus to the new card so keyboard and screen reader users land on the result;
    // a grading card that polls is focused once, not on every poll.
    var heading = target.querySelector("[data-autofocus]");
    var pending = target.querySelector("[data-testid=grade-pending]");
    if (heading) {
      var mark = pending ? pending.getAttribute("hx-get") : "";
      if (!pending || target.dataset.focusedPending !== mark) heading.focus();
      target.dataset.focusedPending = mark;
      return;
    }
    var input = target.querySelector("textarea[data-draft-key]");
    if (input) input.focus();
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    if (status === 403) {
      flash("The server refused this page's request (its security token is missing or old). Reload the page; your draft is kept.");
      return;
    }
    flash("Something went wrong (" + status + "). Your answer is kept; please try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    flash("Could not reach the server. Your draft is kept; try again in a moment.");
  });
})();
