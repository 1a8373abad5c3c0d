/* The book's slider explorers (rnngrad.notebook.explore), drawn with uPlot (uPlot.iife.min.js,
 * MIT, loaded before this file).
 *
 * Each <figure class="rnngrad-explorer"> carries range inputs, an empty chart element and its
 * data: script.rnngrad-data holds every slider position's chart (rnngrad.figures.chart), as a
 * template, a pool of distinct values (arrays as base64 float32) and, per position, the pool
 * index of each value that changes (notebook/explore.py: encode_frames); script.rnngrad-meta
 * the readout labels. Moving a slider draws the chart of the row-major position of all
 * sliders into the same axes, writes the readouts and updates the text alternative.
 * figure.rnngrad holds the uPlot instances and the chart shown (for tests). */
(function () {
  "use strict";
  var INK = "#222222", GRID = "rgba(0, 0, 0, 0.09)";
  var FONT = "12px 'DejaVu Sans', Verdana, sans-serif";
  var LABEL_FONT = "13px 'DejaVu Sans', Verdana, sans-serif";
  var SUP = { "-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3",
    "4": "\u2074", "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079" };

  function decodeF32(text) {
    var bytes = atob(text), raw = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) raw[i] = bytes.charCodeAt(i);
    var floats = new Float32Array(raw.buffer), out = new Array(floats.length);
    for (var j = 0; j < floats.length; j++) out[j] = isNaN(floats[j]) ? null : floats[j];
    return out;
  }

  /* The chart at grid position `flat`, decoded arrays cached by their source node. */
  function chartAt(data, flat, cache) {
    var row = data.frames[flat];
    function build(node) {
      if (Array.isArray(node)) return node.map(build);
      if (node === null || typeof node !== "object") return node;
      var keys = Object.keys(node);
      if (keys.length === 1 && keys[0] === "$") return build(data.pool[row[node.$]]);
      if (keys.length === 1 && keys[0] === "f32") {
        if (!cache.has(node)) cache.set(node, decodeF32(node.f32));
        return cache.get(node);
      }
      var out = {};
      keys.forEach(function (k) { out[k] = build(node[k]); });
      return out;
    }
    return build(data.template);
  }

  function powerOfTen(v) {
    var e = Math.log10(v), r = Math.round(e);
    if (!(v > 0) || Math.abs(e - r) > 1e-6) return "";
    return "10" + String(r).split("").map(function (c) { return SUP[c]; }).join("");
  }

  function logSplits(u, axis, min, max) {
    var lo = Math.ceil(Math.log10(min) - 1e-9), hi = Math.floor(Math.log10(max) + 1e-9);
    var every = Math.max(1, Math.ceil((hi - lo) / 7)), out = [];
    for (var e = lo; e <= hi; e += every) out.push(Math.pow(10, e));
    return out;
  }

  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function swatch(item, kind) {
    var dash = item.dash ? ' stroke-dasharray="' + item.dash.join(" ") + '"' : "";
    var shape = kind === "mark" || (kind === "line" && !item.stroke)
      ? '<circle cx="12" cy="6" r="4" fill="' + item.color + '"/>'
      : '<line x1="0" y1="6" x2="24" y2="6" stroke="' + item.color + '" stroke-width="' +
        Math.max(1.5, item.width) + '"' + dash + "/>";
    return '<svg width="24" height="12" aria-hidden="true" focusable="false">' + shape + "</svg>";
  }

  function escapeText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function legendHtml(spec) {
    var items = [];
    spec.lines.forEach(function (l) { if (l.label) items.push([l, "line"]); });
    spec.rules.forEach(function (r) { if (r.label && r.value !== null) items.push([r, "rule"]); });
    spec.marks.forEach(function (m) { if (m.label && m.x !== null) items.push([m, "mark"]); });
    var out = spec.legendTitle ? '<li class="rnngrad-legend-title">' + escapeText(spec.legendTitle) + "</li>" : "";
    items.forEach(function (it) {
      out += "<li>" + swatch(it[0], it[1]) + "<span>" + escapeText(it[0].label) + "</span></li>";
    });
    return out;
  }

  function panelPlot(state, p, width, height, target) {
    var spec = state.chart.panels[p];
    function cur() { return state.chart.panels[p]; }
    function inX(u, v) { return v !== null && v >= u.scales.x.min && v <= u.scales.x.max; }
    function inY(u, v) { return v !== null && v >= u.scales.y.min && v <= u.scales.y.max; }
    var axisBase = { stroke: INK, font: FONT, labelFont: LABEL_FONT, grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID, width: 1, size: 4 } };
    var xAxis = Object.assign({}, axisBase, { label: spec.xlabel, labelSize: 22 });
    var yAxis = Object.assign({}, axisBase, { label: spec.ylabel, labelSize: 22, size: 52 });
    function all(u, splits) { return splits; }  // uPlot thins log-axis labels; keep every tick's
    if (spec.xlog) {
      xAxis.splits = logSplits; xAxis.filter = all;
      xAxis.values = function (u, s) { return s.map(powerOfTen); };
    }
    if (spec.ylog) { yAxis.filter = all; yAxis.values = function (u, s) { return s.map(powerOfTen); }; }
    yAxis.splits = function (u, axis, min, max) {
      var ticks = cur().yticks;
      if (!ticks) return spec.ylog ? logSplits(u, axis, min, max) : null;
      return ticks.filter(function (v) { return v >= min * (1 - 1e-9) - 1e-12 && v <= max * (1 + 1e-9) + 1e-12; });
    };
    if (!spec.yticks && !spec.ylog) delete yAxis.splits;
    var series = [{}].concat(spec.lines.map(function (l) {
      return { stroke: l.stroke ? l.color : "rgba(0,0,0,0)", width: l.stroke ? l.width : 0,
        dash: l.dash || undefined, spanGaps: false,
        points: { show: l.marker > 0, size: 2 * l.marker + 1, fill: l.color, stroke: l.color, width: 0 } };
    }));
    function drawBands(u) {
      var ctx = u.ctx, b = u.bbox;
      cur().bands.forEach(function (band) {
        var top = Math.max(b.top, u.valToPos(Math.min(band.hi, u.scales.y.max), "y", true));
        var bottom = Math.min(b.top + b.height, u.valToPos(Math.max(band.lo, u.scales.y.min), "y", true));
        if (bottom > top) { ctx.fillStyle = rgba(band.color, band.alpha); ctx.fillRect(b.left, top, b.width, bottom - top); }
      });
    }
    function drawOver(u) {
      var ctx = u.ctx, b = u.bbox, ratio = uPlot.pxRatio;
      ctx.save();
      cur().rules.forEach(function (r) {
        if (r.axis === "x" ? !inX(u, r.value) : !inY(u, r.value)) return;
        ctx.beginPath();
        ctx.strokeStyle = r.color;
        ctx.lineWidth = r.width * ratio;
        ctx.setLineDash(r.dash ? r.dash.map(function (d) { return d * ratio; }) : []);
        if (r.axis === "x") {
          var x = u.valToPos(r.value, "x", true);
          ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height);
        } else {
          var y = u.valToPos(r.value, "y", true);
          ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y);
        }
        ctx.stroke();
      });
      ctx.setLineDash([]);
      cur().marks.forEach(function (m) {
        if (!inX(u, m.x) || !inY(u, m.y)) return;
        ctx.beginPath();
        ctx.fillStyle = m.color;
        ctx.arc(u.valToPos(m.x, "x", true), u.valToPos(m.y, "y", true), m.size * ratio, 0, 2 * Math.PI);
        ctx.fill();
      });
      ctx.restore();
    }
    var opts = {
      width: width, height: height, legend: { show: false }, select: { show: false },
      cursor: { show: false, drag: { x: false, y: false } },
      scales: {
        x: { time: false, auto: true, distr: spec.xlog ? 3 : 1, log: 10,
          range: function () { return cur().xlim.slice(); } },
        y: { auto: true, distr: spec.ylog ? 3 : 1, log: 10,
          range: function () { return cur().ylim.slice(); } },
      },
      axes: [xAxis, yAxis], series: series,
      hooks: { drawClear: [drawBands], draw: [drawOver] },
    };
    return new uPlot(opts, plotData(spec), target);
  }

  function plotData(spec) {
    return [spec.x].concat(spec.lines.map(function (l) { return l.y; }));
  }

  function layout(state) {
    var width = Math.max(200, state.panelsEl.clientWidth), n = state.plots.length;
    var perRow = n > 1 && width >= 600 ? n : 1, gap = 16;
    var w = Math.floor((width - gap * (perRow - 1)) / perRow);
    var h = Math.max(220, Math.min(360, Math.round(w * (perRow > 1 ? 0.95 : 0.62))));
    return { width: w, height: h, perRow: perRow };
  }

  function init(fig) {
    if (!fig || fig.dataset.ready || typeof uPlot === "undefined") return;
    var dataEl = fig.querySelector("script.rnngrad-data");
    var metaEl = fig.querySelector("script.rnngrad-meta");
    var chartEl = fig.querySelector(".rnngrad-chart");
    if (!dataEl || !metaEl || !chartEl) return;
    fig.dataset.ready = "1";
    var data = JSON.parse(dataEl.textContent), meta = JSON.parse(metaEl.textContent);
    var inputs = fig.querySelectorAll("input[type=range]"), outputs = fig.querySelectorAll("output");
    var cache = new Map();
    var state = { chart: null, plots: [], titles: [], legends: [] };

    function flatIndex() {
      var flat = 0;
      for (var k = 0; k < inputs.length; k++) flat = flat * meta.labels[k].length + (+inputs[k].value);
      return flat;
    }

    chartEl.innerHTML = '<p class="rnngrad-title"></p><div class="rnngrad-panels"></div>';
    state.titleEl = chartEl.querySelector(".rnngrad-title");
    state.panelsEl = chartEl.querySelector(".rnngrad-panels");
    state.chart = chartAt(data, flatIndex(), cache);
    state.chart.panels.forEach(function () {
      var panel = document.createElement("div");
      panel.className = "rnngrad-panel";
      panel.innerHTML = '<p class="rnngrad-ptitle"></p><div class="rnngrad-plot"></div><ul class="rnngrad-legend"></ul>';
      state.panelsEl.appendChild(panel);
      state.titles.push(panel.querySelector(".rnngrad-ptitle"));
      state.legends.push(panel.querySelector(".rnngrad-legend"));
      state.plots.push(null);
    });
    var size = layout(state);
    state.panelsEl.style.gridTemplateColumns = "repeat(" + size.perRow + ", minmax(0, 1fr))";
    state.chart.panels.forEach(function (_, p) {
      state.plots[p] = panelPlot(state, p, size.width, size.height,
        state.panelsEl.children[p].querySelector(".rnngrad-plot"));
    });

    function show() {
      var flat = flatIndex(), said = [];
      for (var k = 0; k < inputs.length; k++) {
        var label = meta.labels[k][+inputs[k].value];
        outputs[k].textContent = label;
        inputs[k].setAttribute("aria-valuetext", label);
        said.push(meta.names[k] + " = " + label);
      }
      state.chart = chartAt(data, flat, cache);
      state.titleEl.textContent = state.chart.title;
      state.titleEl.hidden = !state.chart.title;
      state.chart.panels.forEach(function (spec, p) {
        state.titles[p].textContent = spec.title;
        state.titles[p].hidden = !spec.title;
        state.legends[p].innerHTML = legendHtml(spec);
        state.legends[p].hidden = !state.legends[p].children.length;
        state.plots[p].setData(plotData(spec), true);
      });
      chartEl.setAttribute("aria-label", meta.caption + "; " + said.join(", "));
      fig.dataset.frame = flat;
      fig.rnngrad = { plots: state.plots, chart: state.chart, frame: flat };
    }

    for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener("input", show);
    show();
    if (typeof ResizeObserver !== "undefined") {
      var last = state.panelsEl.clientWidth;
      new ResizeObserver(function () {
        if (state.panelsEl.clientWidth === last) return;
        last = state.panelsEl.clientWidth;
        var s = layout(state);
        state.panelsEl.style.gridTemplateColumns = "repeat(" + s.perRow + ", minmax(0, 1fr))";
        state.plots.forEach(function (u) { u.setSize({ width: s.width, height: s.height }); });
      }).observe(state.panelsEl);
    }
  }

  function initAll() {
    document.querySelectorAll("figure.rnngrad-explorer").forEach(init);
  }

  window.rnngradExplorer = { init: init, initAll: initAll };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
