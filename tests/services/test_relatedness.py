"""Proximity between traded clusters on real data, compared with the CMP's published pairs."""

from __future__ import annotations

import polars as pl
import pytest

from clusterhub.classify import is_extra_regio
from clusterhub.services.observatory.relatedness import (
    RelatedClusters,
    RelatedSource,
    cluster_employment,
    related_clusters,
)
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.complexity import complexity


@pytest.fixture(scope="module", params=["cmp-states", "eurostat-sbs"])
def related(request: pytest.FixtureRequest, reference: ReferenceData) -> RelatedClusters:
    source: RelatedSource = request.param
    return related_clusters(source, reference)


def test_our_top_pairs_meet_the_published_ones_more_than_chance(related: RelatedClusters) -> None:
    o = related.overlap
    # Measured: U.S. states 21 of 128 (chance 12.9), EU NUTS 2 35 of 118 (chance 11.4).
    assert o.top_n == o.published > 100
    assert o.overlap >= 1.4 * o.expected_by_chance
    assert o.expected_by_chance == pytest.approx(o.top_n**2 / o.all_pairs)
    assert o.all_pairs == o.clusters * (o.clusters - 1) // 2
    assert o.precision == pytest.approx(o.overlap / o.top_n)
    assert o.jaccard == pytest.approx(o.overlap / (2 * o.published - o.overlap))
    assert 0 < o.spearman_colocation < 0.5  # weakly positive: measured 0.14 and 0.05
    pairs = related.pairs
    assert pairs.height == o.all_pairs
    assert int(pairs.get_column("top_n").sum()) == o.top_n
    assert int((pairs.get_column("top_n") & pairs.get_column("related")).sum()) == o.overlap
    assert pairs.get_column("proximity").is_sorted(descending=True)


def test_the_regions_compared(related: RelatedClusters) -> None:
    if related.source == "cmp-states":
        assert related.regions == 50 and related.overlap.clusters == 51
    else:
        # The 289 NUTS 2 regions of the cluster map (NUTS 2013 codes carried to NUTS 2021;
        # Extra-Regio codes and blank codes of earlier versions left out), all with employment.
        assert related.regions == 289 and related.overlap.clusters == 50


def test_the_pair_proximity_is_the_engines(
    related: RelatedClusters, reference: ReferenceData
) -> None:
    year = complexity(cluster_employment(related.source, reference).cells).years[related.year]
    for row in related.pairs.head(5).vstack(related.pairs.tail(5)).iter_rows(named=True):
        i, j = year.industries.index(row["cluster_a"]), year.industries.index(row["cluster_b"])
        assert row["proximity"] == year.proximity[i, j] == year.proximity[j, i]


def test_us_employment_is_traded_clusters_of_the_50_states(reference: ReferenceData) -> None:
    cells = cluster_employment("cmp-states", reference).cells
    assert cells.get_column("industry").cast(pl.Int32).max() == 51
    assert cells.get_column("region").n_unique() == 50
    assert cells.get_column("value").null_count() == 0


def test_eu_employment_has_no_extra_regio_code(reference: ReferenceData) -> None:
    employment = cluster_employment("eurostat-sbs", reference)
    regions = employment.cells.get_column("region").unique().to_list()
    assert "DE11" in regions and not [r for r in regions if is_extra_regio(r)]
    assert all(len(r) == 4 for r in regions)
