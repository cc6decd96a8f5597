"""U.S. state and county polygons from the Census shapefiles that ship with plotly-geo."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from clusterhub.classify import us_geojson
from clusterhub.classify.us_geography import simplify
from tests.shipped import shipped


@pytest.fixture(scope="module")
def states() -> dict[str, object]:
    return us_geojson("state")


def _codes(collection: dict[str, object]) -> dict[str, str]:
    features = collection["features"]
    assert isinstance(features, list)
    return {f["properties"]["code"]: f["properties"]["name"] for f in features}


def test_every_state_of_the_cmp_file_has_a_polygon_and_no_territory_does(
    states: dict[str, object],
) -> None:
    cmp = pl.read_csv(shipped("cmp-states"), infer_schema=False)
    published = dict(cmp.select("region_code_t", "region_name_t").unique().iter_rows())
    codes = _codes(states)
    assert len(codes) == 51  # the 50 states and DC
    for code, name in published.items():
        assert codes[code] == name, code
    assert "72" not in codes and "66" not in codes  # Puerto Rico, Guam


def test_states_are_small_enough_for_a_page_and_inside_the_united_states(
    states: dict[str, object],
) -> None:
    assert len(json.dumps(states, separators=(",", ":"))) < 300_000  # from a 4.7 MB shapefile
    features = states["features"]
    assert isinstance(features, list)
    points = np.array(
        [
            p
            for f in features
            for poly in f["geometry"]["coordinates"]
            for ring in poly
            for p in ring
        ]
    )
    assert points[:, 1].min() > 18 and points[:, 1].max() < 72  # Hawaii to Alaska
    assert ((points[:, 0] < -65) | (points[:, 0] > 170)).all()  # Aleutians cross 180°
    for feature in features:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1], feature["properties"]["code"]


def test_counties_have_five_digit_fips_codes() -> None:
    codes = _codes(us_geojson("county"))
    assert len(codes) == 3142
    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert codes["06037"] == "Los Angeles"


def test_simplify_keeps_the_ends_and_drops_what_lies_within_the_tolerance() -> None:
    line = np.array([[0, 0], [1, 0.004], [2, -0.004], [3, 0], [4, 1], [5, 0]], dtype=float)
    assert simplify(line, 0.01).tolist() == [[0, 0], [3, 0], [4, 1], [5, 0]]
    assert simplify(line, 0.001).tolist() == line.tolist()
    ring = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]])
    assert simplify(ring, 0.1).tolist() == [
        [0.0, 0.0],
        [2.0, 0.0],
        [2.0, 2.0],
        [0.0, 2.0],
        [0.0, 0.0],
    ]


def test_region_types_without_shapes_are_refused() -> None:
    with pytest.raises(KeyError):
        us_geojson("msa")
