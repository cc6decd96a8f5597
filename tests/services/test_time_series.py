"""Several years through the observatory: every year of the series read (mirror, cache or
download), each year filled and carried to NUTS 2021 from its own NUTS version, rated among
its own year's regions, and growth over its period, checked against figures worked out by
hand (tests/sbs_series.py)."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from clusterhub.config import Settings
from clusterhub.services.observatory.analytics import (
    ClusterMap,
    MapRequest,
    build_cluster_map,
    read_industry_source,
)
from clusterhub.services.observatory.recoding import provenance
from clusterhub.services.observatory.series import read_sbs_series
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.cells import fill_missing
from clusterhub.stats.mapping import RatingOptions
from clusterhub.stats.metrics import MetricOptions
from tests.sbs_series import (
    AUSTRIA,
    CONFIDENTIAL,
    NEW_FILE,
    NEW_YEARS,
    OLD_FILE,
    OLD_YEARS,
    employment,
    tobacco_cagr,
)
from tests.stand_in_sources import build_series_stand_in, stand_in_server

TOBACCO = "43"
YEARS = [*OLD_YEARS, *NEW_YEARS]


def _tobacco(table: pl.DataFrame, region: str) -> dict[int, dict[str, object]]:
    rows = table.filter(
        (pl.col("cluster_code") == TOBACCO) & (pl.col("region_code") == region)
    ).sort("year")
    return {row["year"]: row for row in rows.iter_rows(named=True)}


def test_every_year_of_both_data_sets_is_mapped_with_the_break_said(
    sbs_series_map: ClusterMap,
) -> None:
    assert sorted(sbs_series_map.table.get_column("year").unique()) == YEARS
    assert [(b.year, b.before, b.after) for b in sbs_series_map.series_breaks] == [
        (2021, "sbs_r_nuts06_r2", "sbs_r_nuts2021")
    ]
    notes = "\n".join(sbs_series_map.notes)
    assert "series break in 2021: sbs_r_nuts06_r2 up to 2020, sbs_r_nuts2021 from 2021" in notes
    # Health (Q86) is published from 2021 only: kept, it would read as growth at the break.
    assert "sbs_r_nuts2021: 1 activity not published by every data set" in notes
    assert len(sbs_series_map.more_sources) == 1 and sbs_series_map.more_sources[0].endswith(
        NEW_FILE
    )
    assert "growth: compound annual growth of employment over 5 year(s)" in notes
    assert "2018–2022 (years in the data: 2013–2022)" in notes


def test_each_year_is_carried_to_nuts_2021_from_its_own_version(sbs_series_map: ClusterMap) -> None:
    # FR62 (NUTS 2013, published to 2017) and FRJ2 (NUTS 2016, from 2018) are one region: one
    # code every year, the published figure kept (a pure recode).
    tobacco = _tobacco(sbs_series_map.table, "FRJ2")
    assert sorted(tobacco) == YEARS
    assert [tobacco[y]["employment"] for y in (2013, 2017, 2018, 2022)] == [900, 1100, 1200, 1650]
    assert "FR62" not in sbs_series_map.table.get_column("region_code").to_list()
    notes = sbs_series_map.notes
    assert "regions read as NUTS 2013 in 2013–2017 and carried to NUTS 2021: 1 recoded" in (
        next(n for n in notes if n.startswith("regions read as NUTS 2013"))
    )
    assert "FR62 (2018–2020), FRJ2 (2013–2017)" in next(n for n in notes if "left out in" in n)


def test_provenance_is_that_of_the_year_shown(
    sbs_series_reference: ReferenceData, sbs_series_map: ClusterMap
) -> None:
    history = sbs_series_reference.nuts_history
    recoded = provenance(history, sbs_series_map.notes, "FRJ2", 2015)
    assert recoded is not None and recoded.startswith("Formerly FR62 Midi-Pyrénées (NUTS 2013)")
    assert provenance(history, sbs_series_map.notes, "FRJ2", 2020) is None  # published as FRJ2


def test_growth_is_the_compound_annual_rate_over_the_period(sbs_series_map: ClusterMap) -> None:
    tobacco = _tobacco(sbs_series_map.table, "FRJ2")
    # (1500 / 1000) ** (1 / 5) - 1, from the published figures of 2015 and 2020.
    assert tobacco[2020]["growth"] == pytest.approx(tobacco_cagr(2015, 2020), rel=1e-12)
    assert tobacco[2020]["growth"] == pytest.approx(0.0844717712, rel=1e-9)
    assert tobacco[2020]["growth_from"] == 2015
    # Across the break: 2016 (sbs_r_nuts06_r2) to 2021 (sbs_r_nuts2021).
    assert tobacco[2021]["growth"] == pytest.approx(tobacco_cagr(2016, 2021), rel=1e-12)
    # No 2012 in the data: no growth for 2017, and no start year claimed.
    assert tobacco[2017]["growth"] is None and tobacco[2017]["growth_from"] is None
    other = _tobacco(sbs_series_map.table, "AT12")[2020]
    assert other["growth"] == pytest.approx(
        math.pow(employment("AT12", "C12", 2020) / employment("AT12", "C12", 2015), 0.2) - 1
    )


def test_the_dynamism_star_goes_to_the_fastest_growth_only_where_growth_exists(
    sbs_series_map: ClusterMap,
) -> None:
    regions = sbs_series_map.table.filter(
        (pl.col("cluster_code") == TOBACCO) & (pl.col("region_type") == "nuts2")
    )
    by_year = {
        year: dict(group.select("region_code", "star_dynamism").iter_rows())
        for (year,), group in regions.group_by("year")
    }
    # Peers are the same year's NUTS 2 regions: FRJ2 grows fastest (top 10 % of six), the
    # Austrian regions do not, every year growth exists.
    for year in (2018, 2020, 2022):
        assert by_year[year]["FRJ2"] is True
        assert [by_year[year][code] for code in AUSTRIA] == [False] * 5
    # Without the start year the criterion is not assessed (null), never failed.
    assert set(by_year[2017].values()) == {None}
    possible = dict(
        regions.filter(pl.col("region_code") == "FRJ2").select("year", "stars_possible").iter_rows()
    )
    assert possible[2020] == possible[2017] + 1


def test_a_longer_period_moves_the_start_year(sbs_series_reference: ReferenceData) -> None:
    request = MapRequest(
        source="eurostat-sbs", rating=RatingOptions(metrics=MetricOptions(growth_years=8))
    )
    result = build_cluster_map(request, sbs_series_reference)
    tobacco = _tobacco(result.table, "FRJ2")
    assert result.growth_years == 8
    assert tobacco[2022]["growth_from"] == 2014
    assert tobacco[2022]["growth"] == pytest.approx(tobacco_cagr(2014, 2022), rel=1e-12)
    assert tobacco[2020]["growth"] is None


def test_missing_cells_are_filled_within_their_own_year(
    sbs_series_reference: ReferenceData,
) -> None:
    read = read_sbs_series(
        sbs_series_reference.fetch, lambda p: read_industry_source("eurostat-sbs", p), str
    )
    filled, _ = fill_missing(
        read.series.cells, "parent-residual", industry_parent=sbs_series_reference.nace.parent
    )
    region, nace, year = CONFIDENTIAL
    cell = filled.filter(
        (pl.col("region_code") == region) & (pl.col("industry_code") == nace.removeprefix("C"))
    ).sort("year")
    imputed = dict(cell.select("year", "imputed").iter_rows())
    # The country's published total less its other regions, in that year alone.
    residual = employment("AT", nace, year) - sum(
        employment(code, nace, year) for code in AUSTRIA if code != region
    )
    assert cell.filter(pl.col("year") == year).get_column("employment").item() == residual
    assert imputed[year] == "parent-residual"
    assert {y for y, mark in imputed.items() if mark} == {year}


def test_without_the_newer_data_set_the_map_says_how_to_fetch_it(eu_map: ClusterMap) -> None:
    # The shared mirror holds the 2015 extract only.
    missing = next(n for n in eu_map.notes if n.startswith("sbs_r_nuts2021"))
    assert "not available" in missing
    assert "`clusterhub data fetch eurostat:sbs_r_nuts2021` fetches it" in missing
    assert eu_map.series_breaks == ()
    assert any(
        n.startswith("growth:") and "none can be computed, the data has 2015 only" in n
        for n in eu_map.notes
    )


def test_online_every_year_is_downloaded_once_then_read_from_the_cache(
    tmp_path: Path, sbs_series_mirror: Path
) -> None:
    root = build_series_stand_in(sbs_series_mirror, tmp_path / "official")
    cache = tmp_path / "cache"
    with stand_in_server(root) as (base_url, requests):
        settings = Settings(data_mirror=None, source_base_url=base_url, cache_dir=cache)
        first = build_cluster_map(MapRequest(source="eurostat-sbs"), ReferenceData(settings))
        sbs_requests = [r for r in requests if "sbs_r_nuts" in r]
        again = build_cluster_map(MapRequest(source="eurostat-sbs"), ReferenceData(settings))
        assert [r for r in requests if "sbs_r_nuts" in r] == sbs_requests
    assert sorted(first.table.get_column("year").unique()) == YEARS
    assert len(sbs_requests) == 2
    assert (cache / OLD_FILE).is_file() and (cache / NEW_FILE).is_file()
    assert again.table.equals(first.table)
