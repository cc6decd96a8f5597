"""The Regional Ecosystem Scoreboard: indicator values (computed, uploaded), scorecards with
peers and bottlenecks, their charts and exports."""
