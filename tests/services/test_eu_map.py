"""The EU cluster map from the real Eurostat SBS 2015 file: shape, coverage and sanity."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.observatory.profiles import cluster_profile, region_profile
from clusterhub.services.reference import ReferenceData

STABLE_COLUMNS = ["region_code", "cluster_code", "year", "employment", "lq", "strong", "strong10"]


def test_one_row_per_region_cluster_year_with_the_stable_columns(eu_map: ClusterMap) -> None:
    table = eu_map.table
    assert set(STABLE_COLUMNS) | {"stars"} <= set(table.columns)
    assert table.select(pl.struct("region_code", "cluster_code", "year").is_unique().all()).item()
    # Insurance (section K) is invisible in SBS: reported in the notes, absent from the rows.
    assert table.get_column("cluster_code").n_unique() == 50
    assert "not visible at this industry level (no rows): 24 Insurance Services" in eu_map.notes
    # The file's 470 geo codes less its 16 extra-regio ones (FRZ, FRZZ, ...), which are not
    # regions, and 41 blank codes of NUTS 2006/2010 (DE41, EL11, ...): 413 regions of NUTS
    # 2013, carried to 425 regions of NUTS 2021 (HR04 became three, PL12 two, ...).
    regions = table.get_column("region_code").unique()
    assert regions.len() == 425
    assert "41 code(s) of earlier NUTS versions without any value left out" in "\n".join(
        eu_map.notes
    )
    assert not regions.str.contains(r"^[A-Z]{2}Z+$").any()
    extra = next(n for n in eu_map.notes if n.startswith("extra-regio codes left out"))
    assert "FRZZ" in extra and "ELZZ" in extra
    assert table.get_column("year").unique().to_list() == [2015]


def test_no_nan_or_infinite_measure_reaches_the_table(eu_map: ClusterMap) -> None:
    for column in ("employment", "lq", "focus", "size_share"):
        values = eu_map.table.get_column(column).drop_nulls().to_list()
        assert all(math.isfinite(v) for v in values), column


def test_lq_averages_to_one_over_the_reference_area(eu_map: ClusterMap) -> None:
    # sum_r T_r * LQ_rc = sum_r E_rc * T_R / E_Rc = T_R: the total-weighted mean LQ of every
    # cluster over all regions of one level is exactly 1 (regions without the cluster count 0).
    countries = eu_map.table.filter(pl.col("region_type") == "nuts0")
    reference_total = countries.unique("region_code").get_column("region_total").sum()
    mean_lq = countries.group_by("cluster_code").agg(
        ((pl.col("lq").fill_null(0) * pl.col("region_total")).sum() / reference_total).alias("m")
    )
    assert mean_lq.height == 50
    assert ((mean_lq.get_column("m") - 1.0).abs() < 1e-9).all()


def test_coverage_reports_what_the_division_level_cannot_see(eu_map: ClusterMap) -> None:
    coverage = eu_map.coverage
    assert coverage.height == 51
    insurance = coverage.filter(pl.col("cluster_code") == "24").row(0, named=True)
    assert insurance["visible_share"] == 0.0  # section K is not in SBS
    tobacco = coverage.filter(pl.col("cluster_code") == "43").row(0, named=True)
    assert tobacco["visible_share"] == 1.0
    assert tobacco["exact_share"] == 1.0


def test_every_region_has_a_nuts_2021_polygon_after_recoding(eu_map: ClusterMap) -> None:
    # Before recoding 93 of the 454 regions had none (France, Poland, Ireland, ...).
    text = "\n".join(eu_map.notes)
    assert "all 425 regions have a NUTS 2021 polygon" in text
    assert "FR62→FRJ2" in text  # a NUTS 2013 code recoded since, named in the notes


def test_a_known_industrial_region_shows_its_known_strength(eu_map: ClusterMap) -> None:
    # Stuttgart (DE11) is Europe's textbook automotive region.
    profile = region_profile(eu_map.table, "DE11", top=3)
    assert profile.region_name == "Stuttgart"
    top = profile.clusters.get_column("cluster_code").to_list()
    assert "4" in top
    automotive = profile.clusters.filter(pl.col("cluster_code") == "4").row(0, named=True)
    assert automotive["lq"] > 3 and automotive["strong10"]


def test_cluster_profile_ranks_regions_of_one_level(eu_map: ClusterMap) -> None:
    profile = cluster_profile(eu_map.table, "4", top=5)
    assert profile.region_type == "nuts2"
    assert profile.regions.height == 5
    assert sum(profile.star_counts.values()) > 250
    stars = profile.regions.get_column("stars").to_list()
    assert stars == sorted(stars, reverse=True)


def test_unknown_codes_are_not_found_with_suggestions(eu_map: ClusterMap) -> None:
    with pytest.raises(NotFound, match="did you mean DE1, "):
        region_profile(eu_map.table, "DE1l")
    with pytest.raises(NotFound, match="no cluster with code '99'"):
        cluster_profile(eu_map.table, "99")


def test_fill_none_leaves_more_cells_unknown(reference: ReferenceData, eu_map: ClusterMap) -> None:
    raw = build_cluster_map(MapRequest(source="eurostat-sbs", fill="none"), reference)
    filled_share = eu_map.table.get_column("imputed_share").mean()
    # Without filling, only regions made from pieces of split NUTS 2013 regions are estimated.
    estimated = raw.table.filter(pl.col("imputed_share") > 0).get_column("region_code").unique()
    # (and cells of regions summed across levels whose NUTS 2 parts are not all known).
    targets = {
        part.split("→")[1]
        for note in raw.notes
        if note.startswith(("  split: ", "  merge: "))
        for part in note.split(": ", 1)[1].split(", ")
    }
    assert set(estimated.to_list()) <= targets
    assert "PL91" in estimated.to_list()
    assert filled_share is not None and filled_share > 0.0  # type: ignore[operator]


def test_a_naics_taxonomy_cannot_map_nace_statistics(
    reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("tax") / "naics.csv"
    path.write_text("cluster_code,cluster_name,classification,code\n1,Aero,naics,336411\n")
    with pytest.raises(InvalidInput, match="must use NACE codes"):
        build_cluster_map(MapRequest(source="eurostat-sbs", taxonomy_path=path), reference)


def test_recoded_regions_keep_exact_values_and_split_ones_are_estimated(
    eu_map: ClusterMap,
) -> None:
    totals = dict(eu_map.table.select("region_code", "region_total").unique().iter_rows())
    # Occitanie (FRJ) is a NUTS 1 region of 2016 made from pieces of FR6 and FR8, but exactly
    # the sum of Languedoc-Roussillon (FR81 → FRJ1) and Midi-Pyrénées (FR62 → FRJ2).
    assert totals["FRJ"] == pytest.approx(totals["FRJ1"] + totals["FRJ2"])
    shares = eu_map.table.group_by("region_code").agg(pl.col("imputed_share").min())
    least = dict(shares.iter_rows())
    assert least["PL91"] == pytest.approx(1.0)  # Warsaw: all a population-share estimate
    assert least["HR05"] == pytest.approx(1.0)
    assert least["FRJ2"] == 0.0  # a pure recode is not an estimate
    assert {"FR62", "PL12", "HR04"}.isdisjoint(totals)
