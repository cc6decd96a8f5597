// Draws every element with a data-figure attribute (Plotly figure JSON), on load and after
// each HTMX swap. plotly.js (served by clusterhub itself; its address is this script's
// data-plotly) is fetched after the page has been shown, so the text and tables never wait
// for it; charts in view are drawn first, the others one at a time when the browser is idle.
// The chart boxes keep their size from the style sheet, so nothing moves when they fill in.
(function () {
  var source = document.currentScript.getAttribute("data-plotly");
  var loading = null;
  var idle = window.requestIdleCallback || function (fn) { return setTimeout(fn, 1); };

  function plotly() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = source;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function draw(Plotly, el) {
    var figure = JSON.parse(el.getAttribute("data-figure"));
    return Plotly.newPlot(el, figure.data, figure.layout, {
      responsive: true, displaylogo: false, scrollZoom: false
    });
  }

  function inView(el) {
    var box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }

  function drawAll(root) {
    var figures = Array.prototype.slice.call(root.querySelectorAll("[data-figure]"));
    if (!figures.length) { return; }
    var first = figures.filter(inView);
    var later = figures.filter(function (el) { return !inView(el); });
    plotly().then(function (Plotly) {
      first.forEach(function (el) { draw(Plotly, el); });
      (function next() {
        if (later.length) { idle(function () { draw(Plotly, later.shift()); next(); }); }
      })();
    });
  }

  // After the first paint: the page is read before plotly.js is even requested.
  document.addEventListener("DOMContentLoaded", function () {
    requestAnimationFrame(function () { setTimeout(function () { drawAll(document); }, 0); });
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
