"""Divisions apportioned by national employment by class when Eurostat's ``sbs_na_*_r2`` is
at hand: the real SBS map with a stand-in national file in a mirror."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from clusterhub.classify import class_members
from clusterhub.config import Settings
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.reference import ReferenceData

#: France's C30 by class, persons employed (a stand-in of the shape Eurostat publishes:
#: aircraft and spacecraft 30.30 is most of it); Germany's 30.30 is confidential.
FRANCE = {"30.11": 9000, "30.12": 1000, "30.20": 20000, "30.30": 95000, "30.40": 500,
          "30.91": 1500, "30.92": 2500, "30.99": 500}  # fmt: skip


def _stand_in(path: Path) -> None:
    lines = ["freq,nace_r2,indic_sb,geo\\TIME_PERIOD\t2015 "]
    for cls, value in FRANCE.items():
        code = "C" + cls.replace(".", "")
        lines.append(f"A,{code},V16110,FR\t{value} ")
        lines.append(f"A,{code},V16110,DE\t" + (": c" if cls == "30.30" else f"{value // 2} "))
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


@pytest.fixture(scope="module")
def keyed_map(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ClusterMap:
    mirror = tmp_path_factory.mktemp("mirror")
    for part in ("us", "cordis"):
        (mirror / part).symlink_to(shared_data / part)
    (mirror / "eu").mkdir()
    for item in (shared_data / "eu").iterdir():
        (mirror / "eu" / item.name).symlink_to(item)
    _stand_in(mirror / "eu" / "eurostat" / "sbs_na_ind_r2.tsv.gz")
    return build_cluster_map(
        MapRequest(source="eurostat-sbs"), ReferenceData(Settings(data_mirror=mirror))
    )


def _cell(result: ClusterMap, region: str, cluster: str) -> dict[str, object]:
    table = result.table.filter(
        (pl.col("region_code") == region) & (pl.col("cluster_code") == cluster)
    )
    return table.row(0, named=True)


def test_toulouse_aerospace_gets_frances_share_of_c30(
    keyed_map: ClusterMap, eu_map: ClusterMap, reference: ReferenceData
) -> None:
    # FRJ2 (FR62) publishes 32,776 persons in C30; Aerospace (cluster 1) holds 2/3 of 30.30
    # (NAICS 336411-4 split with other clusters), so by France's structure it gets
    # 32,776 x 2/3 x 95,000 / 130,000 instead of an equal eighth of C30's 2/3.
    members = class_members(reference.nace_clusters, reference.nace)
    weight = members.filter((pl.col("cluster_code") == "1") & (pl.col("code") == "30.30"))
    share = weight["weight"][0] * FRANCE["30.30"] / sum(FRANCE.values())
    fixed, keyed = _cell(eu_map, "FRJ2", "1"), _cell(keyed_map, "FRJ2", "1")
    gained = keyed["employment"] - fixed["employment"]  # type: ignore[operator]
    assert gained == pytest.approx(32776 * (share - weight["weight"][0] / 8), abs=1.0)
    assert keyed["employment"] > 15000 > fixed["employment"]  # type: ignore[operator]
    assert keyed["apportioned_share"] > 0.5  # still an estimate  # type: ignore[operator]


def test_the_note_names_each_key_and_unkeyed_maps_are_unchanged(
    keyed_map: ClusterMap, eu_map: ClusterMap
) -> None:
    note = next(n for n in keyed_map.notes if "shared among their classes" in n)
    assert "national employment by class (Eurostat sbs_na_ind_r2, 2015)" in note
    assert "1 country x code pairs by the country's own structure" in note  # FR, C30
    fixed_note = next(n for n in eu_map.notes if "shared among their classes" in n)
    assert "fixed keys (equal per class)" in fixed_note
    assert "clusterhub data fetch eurostat:sbs_na_ind_r2" in fixed_note
    # A division the stand-in does not cover keeps the fixed key: same employment.
    assert _cell(keyed_map, "FRJ2", "2")["employment"] == _cell(eu_map, "FRJ2", "2")["employment"]
