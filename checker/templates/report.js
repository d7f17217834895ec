(function () {
  "use strict";
  var toolbar = document.getElementById("toolbar");
  var list = document.getElementById("cards");
  if (!toolbar || !list) { return; }
  var cards = Array.prototype.slice.call(list.querySelectorAll(".card"));
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var num = function (card, key) { return parseFloat(card.getAttribute("data-" + key)) || 0; };
  var text = function (card, key) { return card.getAttribute("data-" + key) || ""; };
  var bySeverity = function (a, b) { return num(b, "score") - num(a, "score") || num(a, "order") - num(b, "order"); };
  var sorts = {
    "severity": bySeverity,
    "severity-asc": function (a, b) { return num(a, "score") - num(b, "score") || num(a, "order") - num(b, "order"); },
    "kind": function (a, b) { return text(a, "kind").localeCompare(text(b, "kind")) || bySeverity(a, b); },
    "document": function (a, b) { return text(a, "pair").localeCompare(text(b, "pair")) || bySeverity(a, b); }
  };
  function value(name) {
    var field = toolbar.elements[name];
    return field ? field.value : "";
  }
  function matchesPair(card, wanted) {
    if (!wanted) { return true; }
    var docs = text(card, "pair").split("|");
    if (wanted.indexOf("doc:") === 0) { return docs.indexOf(wanted.slice(4)) !== -1; }
    return text(card, "pair") === wanted.slice(5);
  }
  function matchesStatus(card, wanted) {
    var status = text(card, "status");
    if (wanted === "decided") { return status !== "" && status !== "open"; }
    return !wanted || status === wanted;
  }
  function apply() {
    var kind = value("kind"), pair = value("pair"), status = value("status"), lang = value("lang");
    var count = 0;
    cards.forEach(function (card) {
      var ok = (!kind || text(card, "kind") === kind) && matchesPair(card, pair) && matchesStatus(card, status) &&
        (!lang || text(card, "langs").split(" ").indexOf(lang) !== -1);
      card.hidden = !ok;
      if (ok) { count += 1; }
    });
    cards.slice().sort(sorts[value("sort")] || bySeverity).forEach(function (card) { list.appendChild(card); });
    if (shown) { shown.textContent = count + " of " + cards.length + " shown"; }
    if (none) { none.hidden = count > 0 || cards.length === 0; }
  }
  // filters can be preset from the address, e.g. report.html?kind=date&sort=kind
  if (window.URLSearchParams) {
    new URLSearchParams(window.location.search).forEach(function (wanted, name) {
      var field = toolbar.elements[name];
      if (field && Array.prototype.some.call(field.options, function (o) { return o.value === wanted; })) {
        field.value = wanted;
      }
    });
  }
  toolbar.hidden = false;
  toolbar.addEventListener("change", apply);
  toolbar.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
  document.documentElement.setAttribute("data-report-js", "ready");
}());
