// Decisions from the page served by `claimcheck serve`: buttons, keyboard shortcuts and the history
// list. Every text from the server is set with textContent, never parsed as markup.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="claimcheck-token"]');
  var list = document.getElementById("cards");
  var toolbar = document.getElementById("toolbar");
  if (!meta || !list) { return; }
  var token = meta.getAttribute("content");
  var current = null;

  function refilter() { if (toolbar) { toolbar.dispatchEvent(new Event("change")); } }
  function say(card, message, isError) {
    var box = card.querySelector(".decide-msg");
    box.textContent = message;
    box.classList.toggle("error", !!isError);
  }
  function show(card, state) {
    var status = state.status;
    card.setAttribute("data-status", status);
    card.classList.toggle("decided", status === "dismissed" || status === "fixed");
    var chip = card.querySelector(".card-head .status");
    if (chip) { chip.className = "status status-" + status; chip.textContent = status; }
    var note = card.querySelector(".review-note");
    if (note) {
      note.hidden = status === "open";
      note.textContent = status === "open" ? "" :
        "Marked " + status + " on " + state.decided_at + (state.note ? ": " + state.note : "");
    }
    var ol = card.querySelector(".history ol");
    ol.textContent = "";
    state.history.forEach(function (h) {
      var li = document.createElement("li");
      var when = document.createElement("time");
      when.textContent = h.decided_at;
      var what = document.createElement("b");
      what.textContent = h.status;
      li.appendChild(when);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(what);
      if (h.note) {
        var why = document.createElement("span");
        why.className = "history-note";
        why.textContent = h.note;
        li.appendChild(document.createTextNode(": "));
        li.appendChild(why);
      }
      ol.appendChild(li);
    });
    card.querySelector(".history-count").textContent = String(state.history.length);
    card.querySelector(".history").open = state.history.length > 0;
    refilter();
  }
  function decide(card, status) {
    var input = card.querySelector(".note-input");
    var note = input.value.trim();
    if (status === "dismissed" && !note) {
      say(card, "a dismissal needs a reason: write a note first", true);
      input.focus();
      return;
    }
    say(card, "saving…", false);
    fetch("api/decisions", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "X-Claimcheck-Token": token},
      body: JSON.stringify({fingerprint: card.getAttribute("data-fp"), status: status, note: note})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok) { say(card, result.body.error || "not saved", true); return; }
      show(card, result.body);
      say(card, "saved: " + result.body.status, false);
      document.documentElement.setAttribute("data-last-saved", card.id + ":" + result.body.status);
    }).catch(function () { say(card, "not saved: the server did not answer", true); });
  }
  function visible() {
    return Array.prototype.filter.call(list.querySelectorAll(".card"), function (c) { return !c.hidden; });
  }
  function select(card) {
    if (current) { current.classList.remove("current"); }
    current = card;
    if (card) {
      card.classList.add("current");
      card.focus({preventScroll: true});
      card.scrollIntoView({block: "nearest"});
    }
  }
  list.addEventListener("click", function (event) {
    var button = event.target.closest(".decide button");
    if (!button) { return; }
    var card = button.closest(".card");
    select(card);
    decide(card, button.getAttribute("data-status"));
  });
  list.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.classList.contains("note-input")) {
      event.preventDefault();
      decide(event.target.closest(".card"), "dismissed");
    } else if (event.key === "Escape" && event.target.classList.contains("note-input")) {
      event.target.blur();
    }
  });
  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
      return;
    }
    var cards = visible();
    var at = cards.indexOf(current);
    var actions = {c: "confirmed", d: "dismissed", f: "fixed", o: "open"};
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(at + 1, cards.length - 1) : Math.max(at - 1, 0);
      select(cards[next] || null);
    } else if (current && event.key === "n") {
      event.preventDefault();
      current.querySelector(".note-input").focus();
    } else if (current && actions[event.key]) {
      decide(current, actions[event.key]);
    } else {
      return;
    }
    event.preventDefault();
  });
  document.documentElement.setAttribute("data-serve-js", "ready");
}());
