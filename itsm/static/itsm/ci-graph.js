/* Hospital ITSM — the impact graph of a configuration item (cmdb/_impact_graph.html).
   Fetches the graph from the element's data-graph-url and draws it with Apache ECharts
   (served locally): the item in the middle, what fails with it above, what it relies on
   below, the business services and departments on top. Works on a normal page load and
   on content htmx inserts (htmx:load). */
(function () {
  "use strict";

  var FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", ' +
    '"Microsoft YaHei", system-ui, sans-serif';
  /* Colours by legend category: Bootstrap's warning, danger, primary, success, secondary. */
  var CATEGORY_COLOURS = ["#ffc107", "#dc3545", "#0d6efd", "#198754", "#6c757d"];
  var CATEGORY = { ITEM: 0, AFFECTED: 1, DEPENDS_ON: 2, SERVICE: 3, DEPARTMENT: 4 };
  /* Symbols by item class code; a class not listed here is drawn as a circle. */
  var CLASS_SYMBOLS = {
    business_service: "diamond",
    application: "circle",
    database: "roundRect",
    server: "rect",
    storage: "roundRect",
    network_device: "triangle",
    workstation: "rect",
    printer: "rect",
    kiosk: "rect",
    medical_device_interface: "triangle",
    software_licence: "circle",
    location: "pin"
  };
  var HOUSE = "path://M10,0 L20,9 L17,9 L17,20 L3,20 L3,9 L0,9 Z";
  var KIND_SYMBOLS = { service: "diamond", department: HOUSE, hospital: HOUSE, group: "roundRect" };
  var PER_ROW = 10;
  var COLUMN = 140;
  var MAX_COLUMN = 420;
  var ROW = 90;
  var ROW_HEIGHT_PX = 80;
  var MAX_EDGE_LABELS = 30;
  var WAIT_FOR_ECHARTS_MS = 10000;

  function whenEcharts(callback) {
    var waited = 0;
    (function check() {
      if (window.echarts) return callback(window.echarts);
      waited += 50;
      if (waited > WAIT_FOR_ECHARTS_MS) return callback(null);
      window.setTimeout(check, 50);
    })();
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* The rows from the top layer down; a wide layer wraps onto several rows. */
  function rows(nodes) {
    var layers = {};
    nodes.forEach(function (node) {
      (layers[node.layer] = layers[node.layer] || []).push(node);
    });
    var order = Object.keys(layers).map(Number).sort(function (a, b) { return a - b; });
    var lines = [];
    order.forEach(function (layer) {
      var members = layers[layer];
      for (var start = 0; start < members.length; start += PER_ROW) {
        lines.push(members.slice(start, start + PER_ROW));
      }
    });
    return lines;
  }

  /* Each row centred. The columns are spread so that the drawing is about as wide as the
     element for its height: ECharts fits the drawing into the element keeping its
     proportions, so a narrow drawing would leave the sides empty. */
  function place(lines, aspect) {
    var widest = Math.max.apply(null, lines.map(function (line) { return line.length; }));
    var wanted = widest > 1 ? (aspect * (lines.length - 1) * ROW) / (widest - 1) : COLUMN;
    var column = Math.min(Math.max(wanted, COLUMN), MAX_COLUMN);
    lines.forEach(function (line, row) {
      line.forEach(function (node, index) {
        node.x = (index - (line.length - 1) / 2) * column;
        node.y = row * ROW;
      });
    });
  }

  function symbolOf(node) {
    if (node.kind === "ci") return CLASS_SYMBOLS[node.ci_class] || "circle";
    return KIND_SYMBOLS[node.kind] || "circle";
  }

  function chartNode(node, centre) {
    var isCentre = node.id === centre;
    var colour = CATEGORY_COLOURS[node.category] || "#6c757d";
    return {
      id: node.id,
      name: node.name,
      title: node.title,
      details: node.details || [],
      url: node.url || "",
      category: node.category,
      x: node.x,
      y: node.y,
      symbol: symbolOf(node),
      symbolSize: isCentre ? 38 : node.kind === "group" ? [34, 22] : node.kind === "ci" ? 20 : 24,
      itemStyle: isCentre
        ? { color: colour, borderColor: "#212529", borderWidth: 3, shadowBlur: 12, shadowColor: colour }
        : { color: colour, borderColor: "#fff", borderWidth: 1 },
      label: isCentre ? { fontWeight: "bold", fontSize: 13, color: "#212529" } : undefined,
      cursor: node.url ? "pointer" : "default"
    };
  }

  function tooltip(params) {
    var data = params.data || {};
    if (params.dataType === "edge") {
      return escapeHtml(data.sourceName + " —" + data.relation + "→ " + data.targetName);
    }
    var lines = ["<strong>" + escapeHtml(data.name) + "</strong>" +
      (data.title ? " " + escapeHtml(data.title) : "")];
    (data.details || []).forEach(function (line) { lines.push(escapeHtml(line)); });
    return lines.join("<br>");
  }

  function option(data) {
    var names = {};
    data.nodes.forEach(function (node) { names[node.id] = node.name; });
    var nodes = data.nodes.map(function (node) { return chartNode(node, data.centre); });
    var links = data.links.map(function (link) {
      return {
        source: link.source,
        target: link.target,
        relation: link.relation,
        sourceName: names[link.source],
        targetName: names[link.target]
      };
    });
    var categories = data.categories.map(function (category, index) {
      return { name: category.name, itemStyle: { color: CATEGORY_COLOURS[index] } };
    });
    return {
      textStyle: { fontFamily: FONTS },
      tooltip: { confine: true, formatter: tooltip, textStyle: { fontFamily: FONTS } },
      legend: {
        top: 0,
        data: categories.map(function (category) { return category.name; }),
        textStyle: { fontFamily: FONTS }
      },
      animationDuration: 300,
      series: [{
        type: "graph",
        layout: "none",
        roam: true,
        scaleLimit: { min: 0.3, max: 5 },
        data: nodes,
        links: links,
        categories: categories,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 7,
        lineStyle: { color: "#adb5bd", width: 1.2, curveness: 0.08, opacity: 0.9 },
        label: {
          show: true,
          position: "right",
          fontFamily: FONTS,
          fontSize: 11,
          width: 120,
          overflow: "truncate",
          formatter: function (params) {
            var title = params.data.title;
            return title ? params.data.name + "\n" + title : params.data.name;
          }
        },
        /* The relationship's name on each edge of a small graph; on a large one they
           would cover the node names, and an edge's tooltip says it. */
        edgeLabel: {
          show: links.length <= MAX_EDGE_LABELS,
          fontFamily: FONTS,
          fontSize: 10,
          color: "#495057",
          backgroundColor: "rgba(255, 255, 255, 0.85)",
          padding: [1, 2],
          formatter: function (params) { return params.data.relation; }
        },
        /* No labelLayout: in ECharts 5.6 it misplaces edge labels of a "none" layout. */
        emphasis: { focus: "adjacency", lineStyle: { width: 2.5 } }
      }]
    };
  }

  function say(element, text) {
    element.textContent = "";
    var note = document.createElement("p");
    note.className = "text-body-secondary small";
    note.textContent = text;
    element.appendChild(note);
  }

  function showNotes(element, data) {
    var card = element.closest(".card") || element.parentNode;
    var omitted = card.querySelector("[data-graph-omitted]");
    if (omitted && data.omitted > 0) {
      omitted.textContent = (omitted.dataset.text || "%(count)s").replace("%(count)s", data.omitted);
      omitted.classList.remove("d-none");
    }
    var truncated = card.querySelector("[data-graph-truncated]");
    if (truncated && data.truncated) truncated.classList.remove("d-none");
  }

  function draw(element, echarts, data) {
    showNotes(element, data);
    if (data.nodes.length <= 1) {
      say(element, element.dataset.emptyText || "");
      element.dataset.graphState = "empty";
      return;
    }
    element.textContent = "";
    var lines = rows(data.nodes);
    element.style.height = Math.min(Math.max(lines.length * ROW_HEIGHT_PX + 120, 420), 900) + "px";
    place(lines, element.clientWidth / element.clientHeight);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.on("finished", function () { element.dataset.graphState = "drawn"; });
    chart.setOption(option(data));
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.url) window.location.assign(params.data.url);
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (!chart.isDisposed()) chart.resize();
      }).observe(element);
    }
  }

  function load(element) {
    if (element.dataset.graphState) return;
    element.dataset.graphState = "loading";
    whenEcharts(function (echarts) {
      var failed = function () {
        element.dataset.graphState = "failed";
        say(element, element.dataset.errorText || "");
      };
      if (!echarts) return failed();
      fetch(element.dataset.graphUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) throw new Error(response.status);
        return response.json();
      }).then(function (data) {
        element.dataset.graphState = "drawing";
        draw(element, echarts, data);
      }).catch(failed);
    });
  }

  function init(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("[data-impact-graph]")) load(root);
    root.querySelectorAll("[data-impact-graph]").forEach(load);
  }

  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  /* Loaded with the page (defer), or later by htmx after its htmx:load has passed. */
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
