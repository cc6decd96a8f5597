"""NUTS 2021 catalogue from the GISCO files, and matching of NUTS 2013 statistics codes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from clusterhub.classify import (
    EXTRA_REGIO,
    MALFORMED,
    RegionCatalogue,
    is_extra_regio,
    iso_country,
    load_regions,
    nuts_level,
)
from clusterhub.errors import InvalidInput, NotFound

RECODED = "not in NUTS 2021 (recoded or discontinued)"


def test_level_counts_of_the_gisco_files(regions: RegionCatalogue) -> None:
    counts = dict(regions.frame.group_by("level").len().iter_rows())
    assert counts == {0: 37, 1: 125, 2: 334, 3: 1514}
    for level, count in counts.items():
        assert len(regions.geojson(level)["features"]) == count


def test_countries_include_the_eu27_with_eu_codes(regions: RegionCatalogue) -> None:
    countries = set(regions.frame["country"])
    eu27 = {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
    assert eu27 <= countries
    assert {"UK", "NO", "CH", "IS", "TR"} <= countries
    assert "GR" not in countries and "GB" not in countries
    assert iso_country("EL") == "GR" and iso_country("UK") == "GB" and iso_country("DE") == "DE"


def test_names_parents_levels(regions: RegionCatalogue) -> None:
    assert regions.name("EL30") == "Attiki"
    assert regions.level("EL30") == 2
    assert regions.parent("EL30") == "EL3"
    assert regions.parent("EL") is None
    assert (
        regions.frame.filter(pl.col("level") > 0)["parent"]
        .is_in(regions.frame["code"].to_list())
        .all()
    )
    assert set(regions.frame["version"]) == {"2021"}
    with pytest.raises(NotFound, match="NUTS 2021 has no region 'FR30'"):
        regions.name("FR30")


def test_geojson_is_a_copy(regions: RegionCatalogue) -> None:
    first = regions.geojson(0)
    first["features"].clear()
    assert len(regions.geojson(0)["features"]) == 37
    with pytest.raises(NotFound):
        regions.geojson(4)


def test_sbs_nuts2013_codes_are_matched_or_reported(
    regions: RegionCatalogue, sbs_regions: set[str]
) -> None:
    result = regions.match(sorted(sbs_regions))
    assert len(result.matched) + result.unmatched.height == len(sbs_regions) == 470
    assert result.counts() == {EXTRA_REGIO: 16, RECODED: 93}
    reasons = dict(result.unmatched.select("code", "reason").iter_rows())
    assert reasons["FRZZ"] == EXTRA_REGIO
    assert reasons["FR30"] == RECODED  # Nord-Pas-de-Calais, now part of Hauts-de-France (FRE1)
    assert reasons["EL1"] == RECODED  # Voreia Ellada; Greece's NUTS 1 were recoded EL3-EL6
    assert "EL30" in result.matched  # Attiki kept its code
    assert "CZ" in result.matched  # the country, not an Extra-Regio code


def test_malformed_codes_are_reported() -> None:
    assert nuts_level("DE") == 0 and nuts_level("DE111") == 3
    with pytest.raises(InvalidInput):
        nuts_level("de1")
    assert is_extra_regio("DEZZ") and is_extra_regio("DEZ") and not is_extra_regio("CZ")


def test_match_reasons_on_a_small_catalogue(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "geometry": None,
        "properties": {
            "NUTS_ID": "DE",
            "LEVL_CODE": 0,
            "CNTR_CODE": "DE",
            "NAME_LATN": "Deutschland",
        },
    }
    path = tmp_path / "l0.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    catalogue = load_regions([path])
    result = catalogue.match(["DE", "DE1", "DEZZ", "de-1", "DE"])
    assert result.matched == ("DE",)
    assert result.unmatched.rows() == [
        ("DE1", 1, RECODED),
        ("DEZZ", 2, EXTRA_REGIO),
        ("de-1", None, MALFORMED),
    ]


def test_feature_with_a_level_that_does_not_fit_its_code(tmp_path: Path) -> None:
    feature = {
        "properties": {"NUTS_ID": "DE1", "LEVL_CODE": 2, "CNTR_CODE": "DE", "NAME_LATN": "X"}
    }
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(InvalidInput) as caught:
        load_regions([path])
    assert caught.value.problems[0].field == "features[0].properties.NUTS_ID"
