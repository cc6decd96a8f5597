"""Acceptance: the U.S. Cluster Mapping Project's published ratings, recomputed from its inputs.

The flags are recomputed from employment, establishments and the national totals implied by
the file — not copied from the published LQ — and must equal ``strong_b`` / ``strong10_b``
on every one of the 2,550 traded state x cluster cells.
"""

from __future__ import annotations

import polars as pl
import pytest

from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.stats.mapping import RatingOptions, rate_clusters
from clusterhub.stats.metrics import MetricOptions
from clusterhub.stats.sources import read_cmp_states
from tests.shipped import shipped


@pytest.fixture(scope="module")
def compared(us_map: ClusterMap) -> pl.DataFrame:
    published = read_cmp_states(shipped("cmp-states")).published
    return us_map.table.join(
        published.rename({"lq": "lq_pub", "strong": "strong_pub", "strong10": "strong10_pub"}),
        on=["region_code", "cluster_code", "year"],
        how="inner",
    )


def test_every_traded_cell_is_compared(compared: pl.DataFrame) -> None:
    traded = compared.filter(pl.col("traded"))
    assert traded.height == 2550
    assert traded.get_column("cluster_code").n_unique() == 51
    assert traded.get_column("region_code").n_unique() == 50


def test_strong_and_strong10_equal_the_published_flags_on_all_2550_cells(
    compared: pl.DataFrame,
) -> None:
    traded = compared.filter(pl.col("traded"))
    for flag in ("strong", "strong10"):
        differing = traded.filter(pl.col(flag) != pl.col(f"{flag}_pub"))
        assert differing.is_empty(), differing.select("region_code", "cluster_code", flag)
    assert traded.get_column("strong").sum() == traded.get_column("strong_pub").sum() == 512
    assert traded.get_column("strong10").sum() == 209


def test_recomputed_lq_matches_the_published_lq(compared: pl.DataFrame) -> None:
    both = compared.filter(pl.col("lq_pub").is_not_null() & pl.col("lq").is_not_null())
    assert both.height >= 2494  # every traded cell with employment, plus local clusters
    error = both.select(((pl.col("lq") - pl.col("lq_pub")).abs() / pl.col("lq_pub")).max())
    assert error.item() < 1e-5


def test_local_clusters_are_measured_but_not_rated(compared: pl.DataFrame) -> None:
    local = compared.filter(~pl.col("traded"))
    assert local.get_column("cluster_code").n_unique() == 16
    assert local.get_column("strong").null_count() == local.height
    assert local.get_column("lq").drop_nulls().len() > 0


def test_summing_the_50_states_instead_of_national_totals_flips_a_flag() -> None:
    """Why the benchmark matters: without DC and territories one published flag is missed."""
    states = read_cmp_states(shipped("cmp-states"))
    cells = states.cells.filter(pl.col("traded"))
    totals = cells.group_by("region_code", "region_type", "year").agg(
        pl.col("employment").sum().alias("traded_employment")
    )
    options = RatingOptions(metrics=MetricOptions(denominator="traded"))
    rated = rate_clusters(cells, totals, options=options).join(
        states.published.rename({"strong": "strong_pub"}),
        on=["region_code", "cluster_code", "year"],
    )
    assert rated.filter(pl.col("strong") != pl.col("strong_pub")).height == 1


def test_lq_ranks_equal_the_published_ranks(us_map: ClusterMap) -> None:
    published = pl.read_csv(shipped("cmp-states"), infer_schema_length=0).select(
        pl.col("region_code_t").alias("region_code"),
        pl.col("cluster_code_t").alias("cluster_code"),
        pl.col("lq_tf_rank_i").replace("NA", None).cast(pl.UInt32).alias("rank_pub"),
    )
    joined = us_map.table.filter(pl.col("traded")).join(
        published, on=["region_code", "cluster_code"]
    )
    assert joined.height == 2550
    assert joined.filter(pl.col("lq_rank").ne_missing(pl.col("rank_pub"))).is_empty()
