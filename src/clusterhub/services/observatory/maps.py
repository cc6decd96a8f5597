"""Choropleth maps of one cluster's strength, built to work with no network at all.

We draw our GISCO polygons (and the U.S. Census state and county boundaries that ship with
``plotly-geo``, see ``classify.us_geography``) as SVG with Plotly's ``geo`` subplot, base map
hidden. Two offline
traps are avoided: the tile-based ``choroplethmap`` needs a web worker that Chromium refuses
on ``file://`` pages (the map stays blank when a user double-clicks the file), and the ``geo``
subplot fetches a world (or, for the U.S. maps' scope, a USA) topojson from a CDN unless
``window.PlotlyGeoAssets`` already holds one — so the page defines empty ones before plotly.js
runs. The HTML embeds plotly.js: no
request leaves the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import plotly.io as pio
import polars as pl

from clusterhub.classify import US_SHAPES
from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.charts import Figure
from clusterhub.services.observatory.schemas import ClusterPublic
from clusterhub.services.observatory.vocabulary import (
    MEASURE_LABELS,
    NO_DATA_COLOUR,
    WITHHELD_COLOUR,
    Measure,
    star_colours,
)
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE

#: The view: Europe from the Azores' longitude to the Urals' foothills; outermost regions
#: (Canaries, Madeira, French overseas) stay in the data but out of the default frame.
EUROPE_LON = (-25.0, 45.0)
EUROPE_LAT = (34.0, 71.5)
#: plotly.js looks up its base map here (scope "world", resolution 110) before fetching it.
BASE_TOPOJSON = "world_110m"
_EMPTY_TOPOJSON = {
    "type": "Topology",
    "arcs": [],
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits")
    },
}
#: The U.S. maps' scope looks up its own base map: empty too.
US_TOPOJSON = "usa_110m"
OFFLINE_GEO_JS = (
    "window.PlotlyGeoAssets = {topojson: {"
    + ", ".join(f"{name}: {json.dumps(_EMPTY_TOPOJSON)}" for name in (BASE_TOPOJSON, US_TOPOJSON))
    + "}};"
)
OFFLINE_GEO_SCRIPT = f"<script>{OFFLINE_GEO_JS}</script>"

#: Light (low) to dark (high). Spelled out: plotly.js's named "Blues" runs the other way round
#: from plotly.py's, and figures here are plain data that plotly.py does not translate.
BLUES = [
    [0.0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"],
    [0.5, "#6baed6"], [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"],
    [1.0, "#08306b"],
]  # fmt: skip


_EUROPE_GEO = {
    "visible": False,
    "projection": {"type": "mercator"},
    "lonaxis": {"range": list(EUROPE_LON)},
    "lataxis": {"range": list(EUROPE_LAT)},
}
#: The 50 states and DC in the Albers USA projection (Alaska and Hawaii as insets).
_US_GEO = {"visible": False, "scope": "usa", "projection": {"type": "albers usa"}}


def geojson_url(region_type: str) -> str | None:
    """The same-site URL of a region type's polygons, or None where there are none (U.S.
    metropolitan/micropolitan and economic areas: the CMP shapes are not shipped)."""
    if region_type in {"nuts0", "nuts1", "nuts2", "nuts3"}:
        return f"/geo/{region_type}.json"
    if region_type in US_SHAPES:
        return f"/geo/us-{region_type}.json"
    return None


def region_polygons(reference: ReferenceData, region_type: str) -> dict[str, Any]:
    """The polygons of a region type: a NUTS level (GISCO), or U.S. states or counties (the
    Census shapes of ``plotly-geo``).

    Raises
    ------
    InvalidInput
        If the region type has no polygons.
    """
    if region_type in US_SHAPES:
        return reference.us_geojson(region_type)
    if region_type in {"nuts0", "nuts1", "nuts2", "nuts3"}:
        return reference.regions.geojson(int(region_type[-1]))
    raise InvalidInput.single(
        "expected a region type with polygons: nuts0 .. nuts3, " + ", ".join(US_SHAPES),
        field="region_type",
        value=region_type,
    )


def drawn_codes(reference: ReferenceData, region_type: str) -> list[str]:
    """The codes of every polygon of a U.S. region type (states, counties): the maps outline
    those without data in a neutral grey, "no data", rather than leave holes. NUTS maps need
    none: their data sets cover every region, and their polygons are copied on each read."""
    if region_type not in US_SHAPES:
        return []
    return [str(f["properties"]["code"]) for f in reference.us_geojson(region_type)["features"]]


def _no_data_trace(
    geojson: dict[str, Any] | str, featureidkey: str, codes: list[str]
) -> dict[str, Any]:
    """The regions with a polygon but no data: outlined, neutral fill, "no data" on hover."""
    return {
        **_flat_layer(geojson, featureidkey, codes, NO_DATA_COLOUR, "no data"),
        "hovertemplate": "%{location}: no data<extra></extra>",
        "marker": {"line": {"width": 0.4, "color": "#888"}},
    }


def _flat_layer(
    geojson: dict[str, Any] | str, featureidkey: str, codes: list[str], fill: str, name: str
) -> dict[str, Any]:
    """A choropleth of ``codes`` in one colour, named in the legend (a layer over the data)."""
    return {
        "type": "choropleth",
        "geojson": geojson,
        "featureidkey": featureidkey,
        "locations": codes,
        "z": [1] * len(codes),
        "colorscale": [[0.0, fill], [1.0, fill]],
        "showscale": False,
        "showlegend": True,
        "name": name,
    }


def _frame(region_type: str) -> tuple[str, dict[str, Any]]:
    """The GeoJSON property that holds the region code, and the map's view."""
    if region_type in US_SHAPES:
        return "properties.code", _US_GEO
    return "properties.NUTS_ID", _EUROPE_GEO


@dataclass(frozen=True)
class MapLayer:
    """What a map shows: one cluster, one year, one measure, one region type (a NUTS level, or
    U.S. states or counties)."""

    cluster_code: str
    cluster_name: str
    year: int
    measure: Measure
    region_type: str
    #: The growth period ("2015–2020 CAGR"), named in a growth map's legend and title.
    period: str | None = None


# Maps are plain figure data (``charts.Figure``): plotly's per-property validation costs
# ~100 ms for a few hundred regions — too slow for a page.


def cluster_figure(table: pl.DataFrame, geojson: dict[str, Any] | str, layer: MapLayer) -> Figure:
    """A choropleth of ``layer.measure`` for the regions of ``table`` that have a polygon.

    ``table`` is the rated cluster map (one row per region x cluster x year, with
    ``region_name``). ``geojson`` is the FeatureCollection or a same-site URL to it (pages
    let the browser cache the polygons). Regions without a polygon are simply not drawn;
    callers report them (NUTS version mismatches) rather than hide them.
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
    share = pl.col("estimated_share") if "estimated_share" in rows.columns else pl.lit(None)
    columns = [
        pl.col("region_code"),
        pl.col(layer.measure).alias("_value"),  # may repeat a hover column: alias it
        *(pl.col(c) for c in ("region_name", "employment", "lq", "stars")),
        share.cast(pl.Float64).alias("_estimated"),
        pl.col("stars_possible"),
    ]
    marked = rows.filter(share.fill_null(0.0) > MAX_ESTIMATED_SHARE)
    withheld = rows.filter(pl.col("stars_withheld")) if "stars_withheld" in rows.columns else None
    starts = growth_starts(rows)
    if layer.measure == "growth" and starts:
        layer = replace(layer, period=f"{starts[0]}–{layer.year} CAGR")
    return _choropleth(
        rows.select(columns).rows(),
        geojson,
        layer,
        marked.get_column("region_code").to_list(),
        [] if withheld is None else withheld.get_column("region_code").to_list(),
    )


def growth_starts(rows: pl.DataFrame) -> list[int]:
    """The start years of the growth rates of ``rows`` (one year's rows: one start year, or
    none when no row has growth or the table predates ``growth_from``)."""
    if "growth_from" not in rows.columns:
        return []
    return sorted(int(y) for y in rows.get_column("growth_from").drop_nulls().unique())


def _estimated_trace(
    geojson: dict[str, Any] | str, featureidkey: str, codes: list[str], *, withheld: bool = False
) -> dict[str, Any]:
    """Mostly estimated regions, in the legend, with a dark outline: a grey veil over their
    colour, or (``withheld``: a star map whose stars for them are withheld) an opaque sand
    fill, so that "stars withheld" never reads as "no star"."""
    fill = WITHHELD_COLOUR if withheld else "rgba(60,60,60,0.35)"
    name = "≈ stars withheld" if withheld else "≈ more than half estimated"
    return {
        **_flat_layer(geojson, featureidkey, codes, fill, name),
        "hoverinfo": "skip",
        "marker": {"line": {"width": 1.6, "color": "#222"}},
    }


def _choropleth(
    rows: list[tuple[Any, ...]],
    geojson: dict[str, Any] | str,
    layer: MapLayer,
    estimated: list[str],
    withheld: list[str],
    *,
    everywhere: list[str] | None = None,
) -> Figure:
    """rows: (region code, value, name, employment, LQ, stars, estimated share, stars
    possible) per region; ``estimated``: the regions to mark as mostly estimated;
    ``withheld``: those of them whose stars are withheld (marked apart on a star map);
    ``everywhere``: every region with a polygon, those without a row drawn as "no data"."""
    period = f", {layer.period}" if layer.measure == "growth" and layer.period else ""
    label = MEASURE_LABELS[layer.measure] + period
    scale: dict[str, Any] = {"colorscale": BLUES, "colorbar": {"title": {"text": label}}}
    if layer.measure == "stars":
        scale = star_scale(max((r[7] for r in rows), default=0))
    featureidkey, view = _frame(layer.region_type)
    trace = {
        "type": "choropleth",
        "geojson": geojson,
        "featureidkey": featureidkey,
        "locations": [r[0] for r in rows],
        "z": [r[1] for r in rows],
        "customdata": [list(r[2:]) for r in rows],
        "hovertemplate": (
            "<b>%{customdata[0]}</b> (%{location})<br>"
            "Employment: %{customdata[1]:,.0f}<br>LQ: %{customdata[2]:.2f}<br>"
            "Stars: %{customdata[3]}<br>Estimated: %{customdata[4]:.0%}<extra></extra>"
        ),
        "marker": {"line": {"width": 0.4, "color": "#555"}},
        **scale,
    }
    layout = {
        "title": {
            "text": f"{layer.cluster_name}: {MEASURE_LABELS[layer.measure].lower()}{period} "
            f"by region, {layer.year}"
        },
        "height": 720,
        "margin": {"l": 0, "r": 0, "t": 48, "b": 0},
        "geo": view,
    }
    if layer.measure != "stars":
        withheld = []
    veiled = [code for code in estimated if code not in set(withheld)]
    present = {r[0] for r in rows}
    missing = [code for code in everywhere or [] if code not in present]
    data = [_no_data_trace(geojson, featureidkey, missing), trace] if missing else [trace]
    if veiled:
        data.append(_estimated_trace(geojson, featureidkey, veiled))
    if withheld:
        data.append(_estimated_trace(geojson, featureidkey, withheld, withheld=True))
    if len(data) > 1:  # a legend for the layers beside the colour scale
        layout["legend"] = {"x": 0.01, "y": 0.01, "bgcolor": "rgba(255,255,255,0.8)"}
    return {"data": data, "layout": layout}


def star_scale(possible: int) -> dict[str, Any]:
    """A discrete colour per star count 0..``possible``, its legend in star glyphs.

    Stars are counts: a continuous bar reading "0.5" or "1.5 stars" would invent ratings
    that no region can have. Each count gets one band of the colour scale and one tick.
    """
    colours = star_colours(possible)  # "no star" grey, as in the pages' star legend
    levels = len(colours)
    bands = [
        [edge, colour]
        for i, colour in enumerate(colours)
        for edge in (i / levels, (i + 1) / levels)
    ]
    return {
        "colorscale": bands,
        "zmin": -0.5,
        "zmax": levels - 0.5,
        "colorbar": {
            "title": {"text": f"Stars (of {possible} assessable)"},
            "tickvals": list(range(levels)),
            "ticktext": ["no star", *("★" * n for n in range(1, levels))],
        },
    }


def write_html(figure: Figure, path: Path) -> Path:
    """Write a self-contained HTML file (plotly.js embedded: no request at page load)."""
    html = pio.to_html(figure, include_plotlyjs=True, full_html=True, validate=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html.replace("<body>", f"<body>{OFFLINE_GEO_SCRIPT}", 1), encoding="utf-8")
    return path


def cluster_map_figure(
    cluster: ClusterPublic,
    geojson: dict[str, Any] | str,
    measure: Measure,
    everywhere: list[str] | None = None,
) -> Figure:
    """The map of a cluster as the database holds it (``services.observatory.datasets``);
    ``everywhere``: the codes of all polygons (``drawn_codes``), to outline those without
    data."""
    if measure not in MEASURE_LABELS:
        raise InvalidInput.single(
            f"expected one of {', '.join(MEASURE_LABELS)}", field="measure", value=measure
        )
    rows = [
        (
            m.region_code,
            getattr(m, measure),
            m.region_name,
            m.employment,
            m.lq,
            m.stars,
            m.estimated_share,
            m.stars_possible,
        )
        for m in cluster.regions
    ]
    estimated = [m.region_code for m in cluster.regions if m.mostly_estimated]
    withheld = [m.region_code for m in cluster.regions if m.stars_withheld]
    period = cluster.growth_period
    layer = MapLayer(
        cluster_code=cluster.code,
        cluster_name=cluster.name,
        year=cluster.year,
        measure=measure,
        region_type=cluster.region_type,
        period=period.label if period and period.available else None,
    )
    return _choropleth(rows, geojson, layer, estimated, withheld, everywhere=everywhere)
