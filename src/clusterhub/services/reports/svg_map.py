"""Static maps as SVG, drawn on the server from the GISCO GeoJSON polygons.

A printed profile cannot run JavaScript (WeasyPrint does not, and a PDF never will), so the
interactive Plotly maps of the pages are redrawn here as plain SVG paths. The projection is
the Lambert azimuthal equal-area projection centred on 10° E, 52° N — the one of Eurostat's
own maps (EPSG:3035) — on the unit sphere: equal areas keep the Nordic regions from
looking larger than they are, as they would on a Mercator map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

#: Centre of the projection (degrees): EPSG:3035's.
CENTRE_LON, CENTRE_LAT = 10.0, 52.0
#: The frame of a map of Europe, the box around these places: Iceland's west coast, Cape St
#: Vincent, Gibraltar, Crete, Cyprus, the North Cape, Finnmark's east. Outermost regions
#: (Azores, Canaries, Madeira, French overseas) stay out of the frame.
EUROPE = (
    (-24.5, 63.3), (-24.5, 66.5), (-9.5, 36.9), (-5.6, 35.9), (24.0, 34.8), (34.6, 34.6),
    (26.0, 71.2), (31.5, 70.5),
)  # fmt: skip
WIDTH = 1000.0
Point = tuple[float, float]
Ring = list[Point]

#: Fill of a region with no value, and of the countries drawn as background.
NO_DATA = "#e6e6e6"
BACKGROUND = "#f4f4f4"
#: Diagonal hatching laid over regions whose value is mostly an estimate.
HATCH_ID = "estimated"
_HATCH = (
    f'<pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="2.2" height="7" fill="#000" '
    'fill-opacity="0.55"/></pattern>'
)


def project(lon: float, lat: float) -> Point:
    """(x, y) of a point on the unit sphere, y growing northwards."""
    lam = math.radians(lon - CENTRE_LON)
    phi, phi0 = math.radians(lat), math.radians(CENTRE_LAT)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
    k = math.sqrt(2.0 / (1.0 + cos_c))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return x, y


@dataclass(frozen=True)
class Box:
    """A rectangle in projected coordinates."""

    left: float
    bottom: float
    right: float
    top: float

    @classmethod
    def around(cls, points: Iterable[Point]) -> Box:
        xs, ys = zip(*points, strict=True)
        return cls(min(xs), min(ys), max(xs), max(ys))

    def contains(self, point: Point) -> bool:
        return self.left <= point[0] <= self.right and self.bottom <= point[1] <= self.top

    def padded(self, share: float) -> Box:
        """The box grown by ``share`` of its larger side on every side (a zoom with context)."""
        pad = share * max(self.right - self.left, self.top - self.bottom)
        return Box(self.left - pad, self.bottom - pad, self.right + pad, self.top + pad)


EUROPE_BOX = Box.around(project(lon, lat) for lon, lat in EUROPE).padded(0.02)


@dataclass(frozen=True)
class Shade:
    """How one region is drawn: its fill, whether it is hatched as estimated, its tooltip."""

    fill: str
    hatched: bool = False
    title: str = ""


@dataclass(frozen=True)
class MapSpec:
    """What to draw: shaded regions over a background, in a frame."""

    regions: Mapping[str, Any]  # GeoJSON FeatureCollection of the shaded level
    shades: Mapping[str, Shade]
    frame: Box = EUROPE_BOX
    background: Mapping[str, Any] | None = None  # e.g. the countries, drawn first in grey
    label: str = ""
    outline: str = "#ffffff"
    unshaded: str = NO_DATA


def rings(geometry: Mapping[str, Any]) -> Iterator[Ring]:
    """Every ring of a Polygon or MultiPolygon, projected."""
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else []
    )
    for polygon in polygons:
        for ring in polygon:
            yield [project(lon, lat) for lon, lat, *_ in ring]


def frame_of(features: Iterable[Mapping[str, Any]], within: Box = EUROPE_BOX) -> Box:
    """The box around the features' rings that lie in ``within`` (a country without its
    overseas regions), padded for context; ``within`` when none does."""
    points = [
        point
        for feature in features
        for ring in rings(feature["geometry"])
        if any(within.contains(p) for p in ring)
        for point in ring
    ]
    return Box.around(points).padded(0.12) if points else within


def render(spec: MapSpec) -> str:
    """The map as an inline ``<svg>`` element (scales to its container's width)."""
    frame = spec.frame
    scale = WIDTH / (frame.right - frame.left)
    height = (frame.top - frame.bottom) * scale

    def path(feature: Mapping[str, Any]) -> str:
        parts = []
        for ring in rings(feature["geometry"]):
            points = " ".join(
                f"{(x - frame.left) * scale:.1f},{(frame.top - y) * scale:.1f}" for x, y in ring
            )
            parts.append(f"M{points}Z")
        return "".join(parts)

    body = [f"<defs>{_HATCH}</defs>"]
    if spec.background is not None:
        body.append(f'<g fill="{BACKGROUND}" stroke="#bbbbbb" stroke-width="0.6">')
        body += [f'<path d="{path(f)}"/>' for f in spec.background["features"]]
        body.append("</g>")
    body.append(f'<g stroke="{spec.outline}" stroke-width="0.5" fill-rule="evenodd">')
    hatched = []
    for feature in spec.regions["features"]:
        code = str(feature["properties"].get("NUTS_ID", ""))
        shade = spec.shades.get(code)
        d = path(feature)
        title = f"<title>{escape(shade.title)}</title>" if shade and shade.title else ""
        body.append(f'<path d="{d}" fill="{shade.fill if shade else spec.unshaded}">{title}</path>')
        if shade and shade.hatched:
            hatched.append(d)
    body.append("</g>")
    body += [f'<path d="{d}" fill="url(#{HATCH_ID})" stroke="none"/>' for d in hatched]
    label = escape(spec.label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map-svg" role="img" '
        f'aria-label="{label}" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'preserveAspectRatio="xMidYMid meet"><title>{label}</title>{"".join(body)}</svg>'
    )
