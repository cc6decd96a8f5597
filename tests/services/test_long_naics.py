"""A NAICS-coded long table (County Business Patterns style) mapped to the 51 U.S. clusters."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.mapping import RatingOptions
from clusterhub.stats.metrics import MetricOptions

# Two counties, two years. 336411 (aircraft) and 336412 (engines) are Aerospace (cluster 1);
# 311811 (retail bakeries) is in no traded cluster; 336413 in 2016 is suppressed, size class C.
ROWS = """region,industry,year,employment,establishments,wages,size_class
A,336411,2011,1000,5,70000000,
A,336412,2011,200,2,14000000,
A,311811,2011,800,40,20000000,
B,336411,2011,100,1,6000000,
B,311811,2011,900,45,22000000,
A,336411,2016,1200,6,90000000,
A,336412,2016,300,2,22000000,
A,336413,2016,,1,,C
A,311811,2016,800,40,21000000,
B,336411,2016,100,1,6500000,
B,311811,2016,1000,50,25000000,
"""


@pytest.fixture(scope="module")
def naics_map(reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    path = tmp_path_factory.mktemp("naics") / "cbp.csv"
    path.write_text(ROWS, encoding="utf-8")
    request = MapRequest(
        source="long",
        input_path=path,
        fill="size-class",
        rating=RatingOptions(metrics=MetricOptions(growth_years=5)),
    )
    return build_cluster_map(request, reference).table


def _cell(table: pl.DataFrame, region: str, year: int) -> dict[str, object]:
    return table.filter(
        (pl.col("region_code") == region)
        & (pl.col("cluster_code") == "1")
        & (pl.col("year") == year)
    ).row(0, named=True)


def test_naics_codes_join_the_cmp_clusters_directly(naics_map: pl.DataFrame) -> None:
    a2016 = _cell(naics_map, "A", 2016)
    # 1200 + 300 reported + 175 (midpoint of size class C) for the suppressed 336413.
    assert a2016["employment"] == pytest.approx(1675.0)
    assert a2016["imputed_share"] == pytest.approx(175 / 1675)
    assert a2016["cluster_name"] == "Aerospace Vehicles and Defense"
    # Region A: 1675 of 2475 jobs; the two regions: 1775 of 3575 jobs in the cluster.
    assert a2016["lq"] == pytest.approx((1675 / 2475) / (1775 / 3575))


def test_growth_over_five_years(naics_map: pl.DataFrame) -> None:
    a2016 = _cell(naics_map, "A", 2016)
    assert a2016["growth"] == pytest.approx((1675 / 1200) ** (1 / 5) - 1)
    assert _cell(naics_map, "A", 2011)["growth"] is None


def test_region_type_is_generic_for_non_nuts_codes(naics_map: pl.DataFrame) -> None:
    assert naics_map.get_column("region_type").unique().to_list() == ["region"]
    assert naics_map.get_column("region_name").null_count() == naics_map.height


def test_a_nace_taxonomy_cannot_map_naics_statistics(
    reference: ReferenceData, tmp_path: Path
) -> None:
    data = tmp_path / "cbp.csv"
    data.write_text(ROWS, encoding="utf-8")
    taxonomy = tmp_path / "tax.csv"
    taxonomy.write_text("cluster_code,cluster_name,classification,code\n1,Aero,nace,30.30\n")
    with pytest.raises(InvalidInput, match="must use NAICS codes"):
        build_cluster_map(
            MapRequest(source="long", input_path=data, taxonomy_path=taxonomy), reference
        )
