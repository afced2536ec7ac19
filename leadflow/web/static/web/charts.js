// Charts for the analytics pages: each <div data-chart="kind" data-source="id"> draws the
// JSON in <script id="id">, the same rows its table shows.
(function () {
  "use strict";
  const palette = ["#2563eb", "#16a34a", "#f59e0b", "#94a3b8", "#dc2626", "#7c3aed"];
  const kinds = {
    grades(rows, labels) {
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0, data: [labels.a, labels.b, labels.c, labels.other] },
        grid: { left: 40, right: 16, bottom: 30, top: 40 },
        xAxis: { type: "category", data: rows.map((r) => r.channel_name) },
        yAxis: { type: "value" },
        series: [
          { name: labels.a, type: "bar", stack: "g", data: rows.map((r) => r.a) },
          { name: labels.b, type: "bar", stack: "g", data: rows.map((r) => r.b) },
          { name: labels.c, type: "bar", stack: "g", data: rows.map((r) => r.c) },
          { name: labels.other, type: "bar", stack: "g", data: rows.map((r) => r.total - r.a - r.b - r.c) },
        ],
      };
    },
    funnel(rows) {
      return {
        color: palette,
        tooltip: { trigger: "item" },
        series: [{
          type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "8%",
          label: { position: "inside", formatter: "{b}: {c}", color: "#fff" },
          data: rows.map((r) => ({ name: r.label, value: r.count })),
        }],
      };
    },
    months(rows, labels) {
      const line = (name, key) => ({ name, type: "line", smooth: true, data: rows.map((r) => r[key]) });
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, bottom: 30, top: 40 },
        xAxis: { type: "category", data: rows.map((r) => r.month) },
        yAxis: { type: "value" },
        series: [line(labels.total, "total"), line(labels.a, "a"), line(labels.b, "b"), line(labels.c, "c")],
      };
    },
    cycles(rows, labels) {
      return {
        color: palette.slice(1),
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, bottom: 30, top: 24 },
        xAxis: { type: "category", name: labels.days, data: rows.map((r) => r.days) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: labels.won, type: "bar", data: rows.map((r) => r.won) }],
      };
    },
    scores(rows, labels) {
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, bottom: 30, top: 24 },
        xAxis: { type: "category", data: rows.map((r) => r.score) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: labels.count, type: "bar", data: rows.map((r) => r.count) }],
      };
    },
    trend(data) {
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 40, right: 16, bottom: 30, top: 40 },
        xAxis: { type: "category", data: data.months },
        yAxis: { type: "value", minInterval: 1 },
        series: data.channels.map((c) => ({ name: c.key, type: "line", data: c.leads })),
      };
    },
    calibration(rows, labels) {
      const deciles = rows.map((r, n) => n + 1);
      const percent = (v) => Math.round(v * 1000) / 10;
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 48, right: 16, bottom: 30, top: 40 },
        xAxis: { type: "category", data: deciles },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [
          { name: labels.predicted, type: "line", data: rows.map((r) => percent(r.predicted)) },
          { name: labels.actual, type: "bar", data: rows.map((r) => percent(r.actual)) },
        ],
      };
    },
    rates(rows, labels) {
      return {
        color: palette,
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 16, bottom: 30, top: 24 },
        xAxis: { type: "category", data: rows.map((r) => r.key) },
        yAxis: { type: "value", axisLabel: { formatter: (v) => Math.round(v * 100) + "%" } },
        series: [{ name: labels.rate, type: "bar", data: rows.map((r) => r.rate) }],
      };
    },
  };
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const rows = JSON.parse(document.getElementById(el.dataset.source).textContent);
      const labels = el.dataset.labels ? JSON.parse(el.dataset.labels) : {};
      const chart = window.echarts.init(el);
      const option = kinds[el.dataset.chart](rows, labels);
      // Every chart can be saved as a PNG (ANA-6), named after its card.
      const title = el.closest(".card")?.querySelector("h2")?.textContent.trim() || "chart";
      option.toolbox = { right: 8, feature: { saveAsImage: { title: document.body.dataset.chartSave || "PNG", name: title, pixelRatio: 2 } } };
      chart.setOption(option);
      window.addEventListener("resize", () => chart.resize());
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
