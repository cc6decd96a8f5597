"""Choropleth maps of one cluster's strength, built to work with no network at all.

Plotly's ``choropleth_map`` with the ``white-bg`` style draws only our GISCO polygons: no tile
server, no CDN. The HTML embeds plotly.js, so a file opened on an air-gapped intranet renders.
(``px.choropleth`` with geo projections fetches a world topojson from a CDN and draws nothing
offline; see ``../shared/research/stack-notes.md``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
import polars as pl

from clusterhub.errors import InvalidInput

Measure = Literal["stars", "lq", "employment", "size_share", "growth", "wage_per_employee"]
MEASURE_LABELS: dict[str, str] = {
    "stars": "Stars",
    "lq": "Location quotient",
    "employment": "Employment",
    "size_share": "Share of cluster employment",
    "growth": "Annual growth",
    "wage_per_employee": "Wage per employee",
}


@dataclass(frozen=True)
class MapLayer:
    """What a map shows: one cluster, one year, one measure, one NUTS level."""

    cluster_code: str
    cluster_name: str
    year: int
    measure: Measure
    region_type: str


def cluster_figure(table: pl.DataFrame, geojson: dict[str, Any], layer: MapLayer) -> go.Figure:
    """A choropleth of ``layer.measure`` for the regions of ``table`` that have a polygon.

    ``table`` is the rated cluster map (one row per region x cluster x year, with
    ``region_name``). Regions without a polygon in ``geojson`` are simply not drawn; callers
    report them (NUTS version mismatches) rather than hide them.
    """
    if layer.measure not in MEASURE_LABELS:
        raise InvalidInput.single(
            f"expected one of {', '.join(MEASURE_LABELS)}", field="measure", value=layer.measure
        )
    rows = table.filter(
        (pl.col("cluster_code") == layer.cluster_code)
        & (pl.col("year") == layer.year)
        & (pl.col("region_type") == layer.region_type)
    )
    if rows.is_empty():
        raise InvalidInput.single(
            f"no {layer.region_type} regions for cluster {layer.cluster_code} in {layer.year}",
            field="cluster",
            value=layer.cluster_code,
        )
    label = MEASURE_LABELS[layer.measure]
    hover = (
        "<b>%{customdata[0]}</b> (%{location})<br>"
        "Employment: %{customdata[1]:,.0f}<br>LQ: %{customdata[2]:.2f}<br>"
        "Stars: %{customdata[3]}<extra></extra>"
    )
    trace = go.Choroplethmap(
        geojson=geojson,
        featureidkey="properties.NUTS_ID",
        locations=rows.get_column("region_code").to_list(),
        z=rows.get_column(layer.measure).to_list(),
        customdata=rows.select("region_name", "employment", "lq", "stars").rows(),
        hovertemplate=hover,
        colorscale="Blues",
        marker_line_width=0.3,
        marker_line_color="#555",
        colorbar_title_text=label,
    )
    figure = go.Figure(trace)
    figure.update_layout(
        title=f"{layer.cluster_name}: {label.lower()} by region, {layer.year}",
        map_style="white-bg",
        map_center={"lat": 52.0, "lon": 12.0},
        map_zoom=2.6,
        margin={"l": 0, "r": 0, "t": 48, "b": 0},
    )
    return figure


def write_html(figure: go.Figure, path: Path) -> Path:
    """Write a self-contained HTML file (plotly.js embedded: no request at page load)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path
