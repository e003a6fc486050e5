/* The dashboard's charts, drawn by the vendored Chart.js from the figures the page carries
   (the same figures are in the tables next to each chart). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var colours = ["#0b5cab", "#17703a", "#b3261e", "#f0a800", "#6b4fbb", "#00838f", "#8d6e63"];
  var charts = {};
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { charts[id] = new Chart(canvas, config); }
  }
  var plain = { responsive: true, maintainAspectRatio: false, animation: false };
  draw("chart-flows", { type: "bar", data: { labels: data.flows.labels, datasets: [
      { label: "Issued", data: data.flows.issued, backgroundColor: colours[0] },
      { label: "Redeemed", data: data.flows.redeemed, backgroundColor: colours[1] },
      { label: "Expired", data: data.flows.expired, backgroundColor: colours[2] },
      { label: "Adjusted", data: data.flows.adjusted, backgroundColor: colours[3] }] }, options: plain });
  draw("chart-tiers", { type: "doughnut", data: { labels: data.tiers.labels, datasets: [
      { data: data.tiers.values, backgroundColor: colours }] }, options: plain });
  draw("chart-rules", { type: "bar", data: { labels: data.rules.labels, datasets: [
      { label: "Points", data: data.rules.values, backgroundColor: colours[0] }] },
      options: Object.assign({ indexAxis: "y", plugins: { legend: { display: false } } }, plain) });
  draw("chart-campaigns", { type: "bar", data: { labels: data.campaigns.labels, datasets: [
      { label: "Used", data: data.campaigns.used, backgroundColor: colours[3] },
      { label: "Left", data: data.campaigns.left, backgroundColor: "#d9dee5" }] },
      options: Object.assign({ indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } }, plain) });
  window.loyaltyCharts = charts;
}());
