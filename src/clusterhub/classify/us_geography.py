"""U.S. state and county polygons for the maps of U.S. Cluster Mapping Project data.

The Census Bureau's cartographic boundary files (2016, 1:500,000) ship inside the PyPI package
``plotly-geo`` as shapefiles, so no CDN or download is needed. They are far too detailed for a
web map (1 million points for the counties), so each ring is simplified (Douglas-Peucker) and
its coordinates rounded; the result is GeoJSON with ``properties.code`` (the FIPS code the CMP
files use: 2 digits for a state, 5 for a county) and ``properties.name``.

Only the 50 states and the District of Columbia are kept: the territories (FIPS 60 and above)
are not in the CMP region files, and the map's Albers USA projection has no place for them.
Metropolitan/micropolitan areas and economic areas have no shapes in the package: they have
no map, and the pages say so.
"""

from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapefile

#: Territories start here (60 American Samoa, 66 Guam, 69, 72 Puerto Rico, 78).
_FIRST_TERRITORY = 60
#: Decimal places kept: 0.001 degree is ~100 m, far below what a national map shows.
_DIGITS = 3


@dataclass(frozen=True)
class UsShapes:
    """One region type's boundary file in ``plotly-geo`` and how far to simplify it."""

    file: str
    #: Douglas-Peucker tolerance, degrees.
    tolerance: float


#: Region types that have polygons, as the CMP files name them (``region_type_t``).
US_SHAPES = {
    "state": UsShapes("cb_2016_us_state_500k", 0.02),  # 191 kB of GeoJSON (from 4.7 MB)
    "county": UsShapes("cb_2016_us_county_500k", 0.01),  # 1.7 MB, 0.44 MB gzipped (16.8 MB)
}


def shapes_folder() -> Path:
    """Where ``plotly-geo`` keeps the Census shapefiles."""
    found = importlib.util.find_spec("_plotly_geo")  # its import name; it ships data only
    if found is None or found.origin is None:
        raise ModuleNotFoundError("plotly-geo is not installed (a clusterhub dependency)")
    return Path(found.origin).resolve().parent / "package_data"


def us_geojson(region_type: str, folder: Path | None = None) -> dict[str, Any]:
    """A simplified FeatureCollection of the states or the counties.

    Raises
    ------
    KeyError
        If ``region_type`` has no shapes (see ``US_SHAPES``).
    """
    spec = US_SHAPES[region_type]
    reader = shapefile.Reader(str((folder or shapes_folder()) / spec.file))
    features = []
    with reader:
        for record, shape in zip(reader.iterRecords(), reader.iterShapes(), strict=True):
            code, name = str(record["GEOID"]), str(record["NAME"])
            if int(code[:2]) >= _FIRST_TERRITORY:
                continue
            polygons = _polygons(shape, spec.tolerance)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _polygons(shape: shapefile.Shape, tolerance: float) -> list[list[list[list[float]]]]:
    """The shape's rings, simplified, as GeoJSON MultiPolygon coordinates.

    A shapefile lists a polygon's outer ring (clockwise) then its holes (counter-clockwise);
    the holes go with the outer ring before them. Rings that simplify to fewer than four
    points (small islands) are dropped, but never the shape's largest ring.
    """
    points = np.asarray(shape.points, dtype=np.float64)
    bounds = [*shape.parts, len(points)]
    rings = [points[a:b] for a, b in itertools.pairwise(bounds)]
    largest = max(range(len(rings)), key=lambda i: len(rings[i]))
    polygons: list[list[list[list[float]]]] = []
    for index, ring in enumerate(rings):
        simple = simplify(ring, tolerance)
        if len(simple) < 4:
            if index != largest:
                continue
            simple = ring
        coordinates = np.round(simple, _DIGITS).tolist()
        if _signed_area(simple) < 0 or not polygons:  # clockwise: an outer ring
            polygons.append([coordinates])
        else:
            polygons[-1].append(coordinates)
    return polygons


def _signed_area(ring: np.ndarray) -> float:
    """Shoelace area: negative for a clockwise ring (a shapefile's outer ring)."""
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2


def simplify(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: keep the points further than ``tolerance`` from the simplified line.

    Iterative (a ring has up to tens of thousands of points), with the distances of each
    span computed at once. A closed ring's first and last points coincide; the first split
    is then at the point furthest from them.
    """
    count = len(ring)
    keep = np.zeros(count, dtype=bool)
    keep[0] = keep[-1] = True
    spans = [(0, count - 1)]
    while spans:
        first, last = spans.pop()
        if last - first < 2:
            continue
        inner = ring[first + 1 : last] - ring[first]
        chord = ring[last] - ring[first]
        length = float(np.hypot(*chord))
        if length == 0.0:
            distance = np.hypot(inner[:, 0], inner[:, 1])
        else:
            distance = np.abs(chord[0] * inner[:, 1] - chord[1] * inner[:, 0]) / length
        furthest = int(np.argmax(distance))
        if distance[furthest] > tolerance:
            split = first + 1 + furthest
            keep[split] = True
            spans += [(first, split), (split, last)]
    return ring[keep]
