// Behaviour of the jtai HTML report: clicking a heatmap cell shows its findings
// in the panel under the heatmap. Without script, the cell links still jump
// to the same findings further down the page.
(function () {
  "use strict";
  var panel = document.getElementById("cell-panel");
  var title = document.getElementById("cell-panel-title");
  var body = document.getElementById("cell-panel-body");
  if (!panel) { return; }

  function show(id) {
    var group = document.getElementById(id);
    if (!group) { return false; }
    var selected = document.querySelectorAll("td.selected");
    for (var i = 0; i < selected.length; i++) { selected[i].classList.remove("selected"); }
    var link = document.querySelector('a[data-cell="' + id + '"]');
    if (link) { link.parentNode.classList.add("selected"); }
    title.textContent = group.getAttribute("data-title");
    var list = group.querySelector("ol.findings").cloneNode(true);
    body.replaceChildren(list);
    panel.hidden = false;
    panel.setAttribute("data-cell", id);
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-cell]") : null;
    if (!link) { return; }
    if (show(link.getAttribute("data-cell"))) {
      event.preventDefault();
      history.replaceState(null, "", "#" + link.getAttribute("data-cell"));
      panel.scrollIntoView({ block: "nearest" });
    }
  });

  document.getElementById("cell-panel-close").addEventListener("click", function () {
    panel.hidden = true;
  });

  // a hand-edited link may carry a malformed escape: open nothing rather than stop
  if (location.hash.length > 1) {
    try { show(decodeURIComponent(location.hash.slice(1))); } catch (e) { /* no panel */ }
  }
})();
