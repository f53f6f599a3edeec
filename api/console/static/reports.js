// Draws each report's chart from the numbers the page carries (the same numbers are in the
// table beside it, for anyone who does not see the chart).
document.addEventListener("DOMContentLoaded", function () {
  if (window.ChartFunnel && window.Chart) {
    window.Chart.register(window.ChartFunnel.FunnelController, window.ChartFunnel.TrapezoidElement);
  }
  document.querySelectorAll("canvas[data-kind]").forEach(function (canvas) {
    var kind = canvas.dataset.kind;
    if (kind === "funnel" && !(window.ChartFunnel && window.ChartFunnel.FunnelController)) { kind = "bar"; }
    new window.Chart(canvas, {
      type: kind,
      data: {
        labels: JSON.parse(canvas.dataset.labels),
        datasets: [{ label: canvas.dataset.title, data: JSON.parse(canvas.dataset.values), backgroundColor: "#1d4ed8" }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } }
    });
  });
});
