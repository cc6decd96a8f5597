"""CMP traded clusters, their NACE derivation and the coarse-level re-expression."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clusterhub.classify import (
    NaceHierarchy,
    NaicsToNace,
    Taxonomy,
    aggregate_to_level,
    derive_nace,
    load_cmp_traded,
)
from clusterhub.errors import InvalidInput

BIOPHARMA, MEDICAL_DEVICES, FINANCE, INSURANCE, TOBACCO = "5", "30", "16", "24", "43"


@pytest.fixture(scope="module")
def derived(cmp_traded: Taxonomy, crosswalk: NaicsToNace) -> tuple[Taxonomy, pl.DataFrame]:
    return derive_nace(cmp_traded, crosswalk)


def _weight(taxonomy: Taxonomy, cluster: str, code: str) -> float:
    row = taxonomy.members.filter(cluster_code=cluster, code=code)
    assert row.height == 1, (cluster, code)
    return float(row["weight"][0])


def test_cmp_traded_has_51_clusters_and_787_codes(cmp_traded: Taxonomy) -> None:
    assert cmp_traded.clusters.height == 51
    assert cmp_traded.members.height == 787
    assert set(cmp_traded.clusters["kind"]) == {"traded"}
    assert cmp_traded.members["weight"].eq(1.0).all()
    assert cmp_traded.clusters.row(0) == ("1", "Aerospace Vehicles and Defense", "traded")
    sizes = dict(cmp_traded.members.group_by("cluster_code").len().iter_rows())
    assert sizes[TOBACCO] == 3 and sizes["10"] == 63


def test_cmp_file_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "cmp.csv"
    path.write_text("cluster_code,cluster_name,naics,note\n1,Aero,336411,\n1,Aerospace,33641,\n")
    with pytest.raises(InvalidInput) as caught:
        load_cmp_traded(path)
    assert {(p.line, p.field) for p in caught.value.problems} == {(3, "naics"), (3, "cluster_name")}


def test_derive_report_accounts_for_every_naics_code(
    derived: tuple[Taxonomy, pl.DataFrame],
) -> None:
    _, report = derived
    assert report.height == 51
    totals = report.select(pl.col("naics_codes", "exact", "by_prefix", "unmatched").sum()).row(0)
    assert totals == (787, 597, 190, 0)
    assert (
        report["exact"] + report["by_prefix"] + report["unmatched"] == report["naics_codes"]
    ).all()
    assert report["nace_classes"].min() >= 1  # type: ignore[operator]


def test_class_weights_sum_to_at_most_one(derived: tuple[Taxonomy, pl.DataFrame]) -> None:
    taxonomy, report = derived
    weights = taxonomy.members["weight"]
    assert weights.min() > 0 and weights.max() <= 1  # type: ignore[operator]
    per_class = taxonomy.members.group_by("code").agg(pl.col("weight").sum())
    assert per_class["weight"].max() <= 1 + 1e-12  # type: ignore[operator]
    by_cluster = dict(
        taxonomy.members.group_by("cluster_code").agg(pl.col("weight").sum()).iter_rows()
    )
    assert dict(report.select("cluster_code", "weight_sum").iter_rows()) == pytest.approx(
        by_cluster
    )


def test_split_weight_is_links_of_the_cluster_over_links_of_all_naics(
    derived: tuple[Taxonomy, pl.DataFrame], crosswalk: NaicsToNace
) -> None:
    taxonomy, _ = derived
    links = dict(crosswalk.links_per_class().iter_rows())
    # 21.20 has 5 links: 325411-325414 (Biopharmaceuticals) and 339113 (Medical Devices).
    assert links["21.20"] == 5
    assert _weight(taxonomy, BIOPHARMA, "21.20") == pytest.approx(4 / 5)
    assert _weight(taxonomy, MEDICAL_DEVICES, "21.20") == pytest.approx(1 / 5)
    # 20.59 has 6 links, one of them from 325413 (in-vitro diagnostics, Biopharmaceuticals).
    assert links["20.59"] == 6
    assert _weight(taxonomy, BIOPHARMA, "20.59") == pytest.approx(1 / 6)


def test_prefix_claims_share_a_table_code_in_proportion(
    derived: tuple[Taxonomy, pl.DataFrame],
) -> None:
    taxonomy, _ = derived
    # 28.95 has one link, from 2017 code 333243. No CMP code is 333243; the 2012 codes under
    # 3332 reach it by prefix: 6 of Production Technology (40), 1 of Plastics (38), 1 of IT (23).
    assert _weight(taxonomy, "40", "28.95") == pytest.approx(6 / 8)
    assert _weight(taxonomy, "38", "28.95") == pytest.approx(1 / 8)
    assert _weight(taxonomy, "23", "28.95") == pytest.approx(1 / 8)


def test_division_weight_is_the_equal_split_of_class_weights(
    derived: tuple[Taxonomy, pl.DataFrame], nace: NaceHierarchy
) -> None:
    divisions, coverage = aggregate_to_level(derived[0], nace, 2)
    # Division 21 has two classes: 21.10 (0 for Biopharmaceuticals) and 21.20 (0.8).
    assert _weight(divisions, BIOPHARMA, "21") == pytest.approx((0 + 0.8) / 2)
    # Division 20 has 16 classes; only 20.59 (1/6) belongs to Biopharmaceuticals.
    assert len(nace.classes_under("20")) == 16
    assert _weight(divisions, BIOPHARMA, "20") == pytest.approx((1 / 6) / 16)
    row = coverage.filter(cluster_code=BIOPHARMA).row(0, named=True)
    assert row["codes"] == 2
    assert row["exact_share"] == 0.0
    assert row["mean_weight"] == pytest.approx((0.4 + 1 / 96) / 2)
    assert row["visible_share"] is None
    tobacco = coverage.filter(cluster_code=TOBACCO).row(0, named=True)
    assert (tobacco["codes"], tobacco["exact_share"], tobacco["mean_weight"]) == (1, 1.0, 1.0)


def test_sbs_restriction_reports_invisible_clusters(
    derived: tuple[Taxonomy, pl.DataFrame], nace: NaceHierarchy, sbs_codes: set[str]
) -> None:
    with_aggregate = sbs_codes | {"B-N_S95_X_K"}  # Eurostat aggregates are not NACE codes
    divisions, coverage = aggregate_to_level(derived[0], nace, 2, available_codes=with_aggregate)
    assert coverage.height == 51  # every cluster is reported, seen or not
    visible = dict(coverage.select("cluster_code", "visible_share").iter_rows())
    assert visible[INSURANCE] == 0.0  # all in section K, which SBS does not cover
    assert visible[FINANCE] < 0.1
    assert visible[BIOPHARMA] == 1.0
    assert divisions.members.filter(cluster_code=INSURANCE).is_empty()
    assert set(divisions.members["code"]) <= {nace.normalise(c) for c in sbs_codes}
    all_divisions, _ = aggregate_to_level(derived[0], nace, 2)
    assert divisions.members.height < all_divisions.members.height


def test_coarser_member_codes_are_spread_over_classes(nace: NaceHierarchy) -> None:
    taxonomy = Taxonomy(
        key="t",
        name="t",
        classification="nace",
        clusters=pl.DataFrame({"cluster_code": ["X"], "cluster_name": ["x"], "kind": ["local"]}),
        members=pl.DataFrame(
            {"cluster_code": ["X", "X"], "code": ["21", "20.59"], "weight": [0.5, 1.0]}
        ),
    )
    divisions, coverage = aggregate_to_level(taxonomy, nace, 2)
    assert dict(divisions.members.select("code", "weight").iter_rows()) == pytest.approx(
        {"20": 1 / 16, "21": 0.5}
    )
    sections, _ = aggregate_to_level(taxonomy, nace, 1)
    assert _weight(sections, "X", "C") == pytest.approx((0.5 * 2 + 1.0) / 230)
    assert coverage["class_weight"][0] == pytest.approx(2.0)


def test_aggregation_refuses_overlaps_and_bad_levels(
    nace: NaceHierarchy, cmp_traded: Taxonomy
) -> None:
    overlapping = Taxonomy(
        key="t",
        name="t",
        classification="nace",
        clusters=pl.DataFrame({"cluster_code": ["X"], "cluster_name": ["x"], "kind": ["local"]}),
        members=pl.DataFrame(
            {"cluster_code": ["X", "X"], "code": ["21", "21.10"], "weight": [1.0, 1.0]}
        ),
    )
    with pytest.raises(InvalidInput, match="overlap"):
        aggregate_to_level(overlapping, nace, 2)
    with pytest.raises(InvalidInput, match="expected a NACE level"):
        aggregate_to_level(overlapping, nace, 0)
    with pytest.raises(InvalidInput, match="expected a NACE taxonomy"):
        aggregate_to_level(cmp_traded, nace, 2)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([0.5], [0.5 / 5]),  # half of 325411, one of the five links of 21.20
        ([0.5, 0.5], [0.5 / 5, 0.5 / 5]),  # an explicit 50/50 split is kept
        ([1.0, 1.0], [0.5 / 5, 0.5 / 5]),  # two full claims on one code are halved
    ],
)
def test_member_weights_scale_claims(
    crosswalk: NaicsToNace, weights: list[float], expected: list[float]
) -> None:
    codes = [f"C{i}" for i in range(len(weights))]
    taxonomy = Taxonomy(
        key="t",
        name="t",
        classification="naics",
        clusters=pl.DataFrame(
            {"cluster_code": codes, "cluster_name": codes, "kind": ["local"] * len(codes)}
        ),
        members=pl.DataFrame(
            {"cluster_code": codes, "code": ["325411"] * len(codes), "weight": weights}
        ),
    )
    derived, _ = derive_nace(taxonomy, crosswalk)
    assert [_weight(derived, c, "21.20") for c in codes] == pytest.approx(expected)
