#pragma once
// The fixed parts of `show --html`'s page: its head and style, and the script that draws the
// data (the JSON element "ktape-data", see show_html.cpp) as inline SVG. No network: nothing is
// fetched, no library is loaded.
#include <string_view>

namespace ktape::store {

inline constexpr std::string_view k_html_head = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ktape recording</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1d2330; background: #fafbfc; }
h1 { font-size: 18px; margin: 0 0 6px; }
h2 { font-size: 15px; margin: 18px 0 6px; }
table.meta td { padding: 1px 12px 1px 0; vertical-align: top; overflow-wrap: anywhere; }
.error { color: #b00020; font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #1d2330; }
.group { font-weight: 600; }
#detail { position: sticky; bottom: 0; background: #fff; border: 1px solid #ccd; padding: 8px; max-height: 40vh;
  overflow: auto; white-space: pre; font: 12px ui-monospace, monospace; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 5px; }
circle.step { cursor: pointer; }
circle.step:hover { stroke: #000; stroke-width: 2; }
</style>
</head>
<body>
<h1 id="title">ktape recording</h1>
<table class="meta" id="meta"></table>
<p class="error" id="error"></p>
<h2>Events per resource over time</h2>
<div id="chart"></div>
<h2>Objects: lifelines by namespace and owner</h2>
<p class="legend"><span><i style="background:#2e9d4f"></i>create</span><span><i style="background:#2f6fd6"></i>patch</span><span><i style="background:#d33c3c"></i>delete</span><span><i style="background:#8a8f99"></i>in the snapshot</span> Click an event to see its patch.</p>
<p id="lifeinfo"></p>
<div id="lifelines"></div>
<div id="detail">Click an event on a lifeline to see its patch here.</div>
)HTML";

inline constexpr std::string_view k_html_script = R"JS(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ktape-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var colors = { create: "#2e9d4f", patch: "#2f6fd6", "delete": "#d33c3c" };
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(ns) {
    var ms = Math.round(ns / 1e6);
    if (ms < 1000) return ms + "ms";
    var s = ms / 1000, m = Math.floor(s / 60), h = Math.floor(m / 60);
    var out = (h ? h + "h" : "") + (h || m ? (m % 60) + "m" : "");
    return out + (Math.round((s % 60) * 1000) / 1000) + "s";
  }
  function row(label, value) {
    var tr = document.createElement("tr");
    var a = document.createElement("td"); a.textContent = label;
    var b = document.createElement("td"); b.textContent = value;
    tr.appendChild(a); tr.appendChild(b);
    document.getElementById("meta").appendChild(tr);
  }
  document.getElementById("title").textContent = "ktape recording: " + data.path;
  var h = data.header;
  if (h) {
    row("Source", h.source); row("Server version", h.serverVersion || "unknown"); row("Mode", h.mode);
    row("Start", h.startTime); row("Selection", JSON.stringify(h.selection));
  } else {
    row("Header", "none (a kwok-format recording)");
  }
  row("Duration", data.duration);
  row("Snapshot objects", String(data.objects));
  row("Events", String(data.events));
  if (data.error) document.getElementById("error").textContent = "The read stopped: " + data.error;

  var width = 1120, label = 230, plot = width - label - 20;
  var resources = data.resources.filter(function (r) { return r.creates + r.patches + r.deletes > 0; });
  var n = Math.max(1, data.buckets.length), rowH = 24;
  var chart = el("svg", { width: width, height: resources.length * rowH + 34, role: "img" }, document.getElementById("chart"));
  resources.forEach(function (r, i) {
    var y = i * rowH;
    el("text", { x: 0, y: y + 16 }, chart, r.resource);
    var top = Math.max.apply(null, r.buckets.concat([1]));
    var hue = (i * 47) % 360;
    r.buckets.forEach(function (c, b) {
      if (!c) return;
      var hgt = Math.max(2, (rowH - 4) * c / top);
      var rect = el("rect", { x: label + b * plot / n, y: y + rowH - 2 - hgt, width: Math.max(1, plot / n - 1), height: hgt,
        fill: "hsl(" + hue + ",60%,48%)" }, chart);
      el("title", {}, rect, r.resource + ": " + c + " events at " + fmt(b * data.bucketNanoseconds));
    });
    el("text", { x: width - 4, y: y + 16, "text-anchor": "end" }, chart, String(r.creates + r.patches + r.deletes));
  });
  var axisY = resources.length * rowH + 14;
  el("line", { x1: label, x2: label + plot, y1: axisY - 10, y2: axisY - 10, stroke: "#999" }, chart);
  for (var t = 0; t <= 4; t++) {
    el("text", { x: label + plot * t / 4, y: axisY + 8, "text-anchor": t === 0 ? "start" : t === 4 ? "end" : "middle" },
       chart, fmt(n * data.bucketNanoseconds * t / 4));
  }

  var end = n * data.bucketNanoseconds;  // the chart's span: lifelines line up with its columns
  function x(ns) { return label + plot * Math.min(Math.max(ns, 0), end) / end; }
  var lines = document.getElementById("lifelines");
  var count = 0;
  data.groups.forEach(function (g) {
    var svg = el("svg", { width: width, height: (g.objects.length + 1) * 16 + 6 }, lines);
    el("text", { x: 0, y: 13, "class": "group" }, svg,
       (g.namespace ? "namespace " + g.namespace : "cluster-scoped") + (g.owner ? ", owned by " + g.owner : ""));
    g.objects.forEach(function (o, i) {
      var y = (i + 1) * 16 + 9;
      count++;
      el("text", { x: 8, y: y + 4 }, svg, (o.resource + "/" + o.name).slice(0, 36));
      var from = o.created === null ? 0 : o.created, to = o.deleted === null ? end : o.deleted;
      el("line", { x1: x(from), x2: Math.max(x(to), x(from) + 1), y1: y, y2: y, stroke: o.created === 0 && o.steps.length === 0 ? "#8a8f99" : "#9aa3b2", "stroke-width": 3 }, svg);
      o.steps.forEach(function (s) {
        var c = el("circle", { cx: x(s[0]), cy: y, r: 4.5, fill: colors[s[1]] || "#555", "class": "step",
          "data-patch": s[2], "data-what": s[1] + " " + o.resource + "/" + (g.namespace ? g.namespace + "/" : "") + o.name + " at " + fmt(s[0]) }, svg);
        el("title", {}, c, s[1] + " at " + fmt(s[0]));
      });
      if (o.more) el("text", { x: width - 4, y: y + 4, "text-anchor": "end" }, svg, "+" + o.more + " events");
    });
  });
  document.getElementById("lifeinfo").textContent = count + " objects drawn" +
    (data.entriesLeftOut ? "; " + data.entriesLeftOut + " entries of further objects left out (the page keeps the first objects)" : "");
  lines.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t || !t.getAttribute || t.getAttribute("data-what") === null) return;
    var i = Number(t.getAttribute("data-patch"));
    var body = i >= 0 && i < data.patches.length ? data.patches[i] : "(no patch: a delete, or past the page's size limit)";
    document.getElementById("detail").textContent = t.getAttribute("data-what") + "\n\n" + body;
  });
  // "#event=N" (N from 0, the events in the order drawn) clicks that event once the page is drawn:
  // a link to one event, and how a headless test exercises the click handler above.
  function clickFragment() {
    var m = /^#event=(\d+)$/.exec(window.location.hash);
    var step = m ? lines.querySelectorAll("circle.step")[Number(m[1])] : null;
    if (step) step.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  }
  window.addEventListener("hashchange", clickFragment);
  clickFragment();
})();
)JS";

}  // namespace ktape::store
