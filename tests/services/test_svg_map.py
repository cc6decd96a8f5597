"""The static SVG maps of printed reports: projection, frames, shading and hatching."""

from __future__ import annotations

import math
import re

from clusterhub.services.reports import svg_map
from clusterhub.services.reports.svg_map import MapSpec, Shade


def _square(code: str, lon: float, lat: float, size: float = 1.0) -> dict[str, object]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"NUTS_ID": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_projection_is_centred_and_keeps_north_up_and_east_right() -> None:
    assert svg_map.project(10.0, 52.0) == (0.0, 0.0)
    east, north = svg_map.project(20.0, 52.0), svg_map.project(10.0, 62.0)
    assert east[0] > 0 and north[1] > 0

    # Equal-area: a 1° square shrinks with cos(latitude), as on the sphere.
    def area(lat: float) -> float:
        (x0, y0), (x1, y1) = svg_map.project(10, lat), svg_map.project(11, lat + 1)
        return abs((x1 - x0) * (y1 - y0))

    ratio = area(60) / area(40)
    assert math.isclose(
        ratio, math.cos(math.radians(60.5)) / math.cos(math.radians(40.5)), rel_tol=0.05
    )


def test_a_country_frame_leaves_out_its_overseas_regions() -> None:
    mainland = _square("FR10", 2.0, 48.0, 3.0)
    overseas = _square("FRY3", -53.0, 4.0)  # French Guiana, far outside Europe's frame
    frame = svg_map.frame_of([mainland, overseas])
    assert frame.contains(svg_map.project(3.5, 49.5))
    assert not frame.contains(svg_map.project(-52.5, 4.5))
    assert svg_map.frame_of([overseas]) == svg_map.EUROPE_BOX


def test_shades_hatching_and_unshaded_regions() -> None:
    regions = {
        "type": "FeatureCollection",
        "features": [_square("AA1", 5, 50), _square("BB1", 8, 50), _square("CC1", 11, 50)],
    }
    svg = svg_map.render(
        MapSpec(
            regions=regions,
            shades={
                "AA1": Shade(fill="#08519c", title="A & co"),
                "BB1": Shade(fill="#9ecae1", hatched=True),
            },
            label="Test map",
        )
    )
    assert svg.startswith("<svg") and 'aria-label="Test map"' in svg
    fills = re.findall(r'fill="([^"]+)"', svg)
    assert "#08519c" in fills and "#9ecae1" in fills and svg_map.NO_DATA in fills
    assert fills.count(f"url(#{svg_map.HATCH_ID})") == 1  # only the estimated region
    assert "<title>A &amp; co</title>" in svg  # names are escaped
