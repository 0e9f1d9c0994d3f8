// Behaviour of the jtai HTML report. Clicking a heatmap cell shows its findings
// in the panel under the heatmap; the type and year filters recompute every
// cell from the per-report counts in #heat-data (the same sums and colours as
// jtai_tools.render) and hide the findings and reports they leave out; on an
// index page the area list chooses the heatmap's columns. Without script, the
// page shows everything and the cell links still jump to the same findings.
(function () {
  "use strict";
  var dataNode = document.getElementById("heat-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : null;
  var panel = document.getElementById("cell-panel");
  var form = document.getElementById("filters");

  // -- colours: the diverging balance scale of render.cell_colour
  function mix(a, b, t) {
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  }
  function colour(concern, strength, total) {
    var c = data.colours;
    if (!total) { return c.empty; }
    var judged = concern + strength;
    if (!judged) { return c.neutral; }
    var balance = (concern - strength) / judged;
    return mix(c.even, balance > 0 ? c.concern : c.strength, Math.abs(balance));
  }
  function hex(rgb) {
    return "#" + rgb.map(function (v) {
      var s = Math.round(v * 255).toString(16);
      return s.length < 2 ? "0" + s : s;
    }).join("");
  }
  function ink(rgb) {
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 0.5 ? "#000000" : "#ffffff";
  }

  // -- filters
  function chosen() {
    var types = {};
    var boxes = form.querySelectorAll('input[name="type"]');
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) { types[boxes[i].value] = true; } }
    var from = form.elements.from ? form.elements.from.value : "";
    var to = form.elements.to ? form.elements.to.value : "";
    var undated = form.elements.undated ? form.elements.undated.checked : true;
    return function (type, year) {
      if (!types[type]) { return false; }
      if (!year) { return undated; }
      return (!from || year >= from) && (!to || year <= to);
    };
  }

  function cellCounts(theme, column, keep) {
    var counts = data.counts[theme] || {};
    var sum = [0, 0, 0];
    var shares = [];
    data.columns[column].forEach(function (id) {
      var report = data.reports[id];
      if (!keep(report.type, report.year)) { return; }
      var c = counts[id] || [0, 0, 0];
      sum[0] += c[0]; sum[1] += c[1]; sum[2] += c[2];
      if (report.tagged) { shares.push(c[2] / report.tagged); }
    });
    var share = shares.length ? shares.reduce(function (a, b) { return a + b; }, 0) / shares.length : 0;
    return { concern: sum[0], strength: sum[1], total: sum[2], share: share };
  }

  function refresh() {
    if (!data || !form) { return; }
    var keep = chosen();
    var cells = document.querySelectorAll("table.heatmap td.cell");
    var found = [];
    var maxShare = 0;
    for (var i = 0; i < cells.length; i++) {
      var td = cells[i];
      var n = cellCounts(td.parentNode.getAttribute("data-theme"), td.getAttribute("data-col"), keep);
      found.push(n);
      if (n.total && n.share > maxShare) { maxShare = n.share; }
    }
    for (var j = 0; j < cells.length; j++) {
      var cell = cells[j];
      var got = found[j];
      var rgb = colour(got.concern, got.strength, got.total);
      cell.style.background = hex(rgb);
      cell.style.color = ink(rgb);
      cell.classList.toggle("filtered", !got.total);
      var link = cell.querySelector("a");
      var bar = cell.querySelector(".vol");
      if (link) { link.textContent = got.total ? got.concern + " | " + got.strength : "–"; }
      if (bar) { bar.style.width = (maxShare ? Math.round(1000 * got.share / maxShare) / 10 : 0) + "%"; }
    }
    var max = document.getElementById("max-share");
    if (max) { max.textContent = Math.round(100 * maxShare); }
    // findings name their report by its place in data.order; comparisons and report
    // rows carry their type and year
    var items = document.querySelectorAll("[data-r], [data-type][data-year]");
    var hidden = 0;
    for (var k = 0; k < items.length; k++) {
      var item = items[k];
      var r = item.getAttribute("data-r");
      var report = r !== null ? data.reports[data.order[+r]] : null;
      var out = report ? !keep(report.type, report.year)
        : !keep(item.getAttribute("data-type"), item.getAttribute("data-year"));
      item.classList.toggle("filtered-out", out);
      if (out && item.tagName === "OL") { hidden += item.children.length; }
    }
    // one inspection a column: a column whose report is filtered out goes
    Object.keys(data.columns).forEach(function (key) {
      var ids = data.columns[key];
      var gone = ids.every(function (id) { return !keep(data.reports[id].type, data.reports[id].year); });
      var parts = document.querySelectorAll('table.heatmap [data-col="' + key + '"]');
      for (var m = 0; m < parts.length; m++) { parts[m].classList.toggle("filtered-col", gone); }
    });
    var status = document.getElementById("filter-status");
    var kept = Object.keys(data.reports).filter(function (id) {
      return keep(data.reports[id].type, data.reports[id].year);
    }).length;
    status.textContent = kept + " of " + Object.keys(data.reports).length + " reports shown" +
      (hidden ? "; " + hidden + " findings hidden by the filters" : "");
  }

  if (form) {
    form.addEventListener("change", refresh);
    refresh();
  }

  // -- the area list of an index page
  var picker = document.getElementById("area-picker");
  function showAreas() {
    var boxes = picker.querySelectorAll('input[name="area"]');
    for (var i = 0; i < boxes.length; i++) {
      var parts = document.querySelectorAll('table.heatmap [data-col="' + boxes[i].value + '"]');
      for (var j = 0; j < parts.length; j++) { parts[j].classList.toggle("col-hidden", !boxes[i].checked); }
    }
  }
  if (picker) {
    picker.addEventListener("change", showAreas);
    picker.addEventListener("click", function (event) {
      var which = event.target.getAttribute && event.target.getAttribute("data-areas");
      if (!which) { return; }
      var boxes = picker.querySelectorAll('input[name="area"]');
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = which === "all"; }
      showAreas();
    });
  }

  // -- the findings panel
  if (!panel) { return; }
  var title = document.getElementById("cell-panel-title");
  var body = document.getElementById("cell-panel-body");

  function show(id) {
    var group = document.getElementById(id);
    if (!group) { return false; }
    var selected = document.querySelectorAll("td.selected");
    for (var i = 0; i < selected.length; i++) { selected[i].classList.remove("selected"); }
    var link = document.querySelector('a[data-cell="' + id + '"]');
    if (link) { link.parentNode.classList.add("selected"); }
    title.textContent = group.getAttribute("data-title");
    var parts = group.querySelectorAll("h5, ol.findings");
    body.replaceChildren();
    for (var p = 0; p < parts.length; p++) { body.appendChild(parts[p].cloneNode(true)); }
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
