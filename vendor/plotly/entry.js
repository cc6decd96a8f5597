'use strict';
// clusterhub's plotly.js: the core (with scatter) and the trace types its pages draw —
// bar charts (services/observatory/charts.py, services/scoreboard/charts.py) and the
// geo-subplot maps (services/observatory/maps.py: choropleth; scattergeo for markers).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/scattergeo'),
]);

module.exports = Plotly;
