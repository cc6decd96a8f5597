// Draws every element with a data-figure attribute (Plotly figure JSON), on load and after
// each HTMX swap. plotly.js and its base-map stub are served by clusterhub itself.
(function () {
  function draw(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.getAttribute("data-figure"));
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        responsive: true, displaylogo: false, scrollZoom: false
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
