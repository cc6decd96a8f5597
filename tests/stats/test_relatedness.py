"""The published related-cluster pairs are read and validated; overlap and rank statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr
from tests.shipped import shipped

from clusterhub.errors import InvalidInput
from clusterhub.stats.complexity import year_complexity
from clusterhub.stats.relatedness import (
    compare_pairs,
    engine_input,
    proximity_pairs,
    published_pairs,
    read_cmp_related,
    spearman,
)


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return read_cmp_related(shipped("cmp-related"))


def test_the_published_file_is_the_full_square_of_51_clusters(records: pl.DataFrame) -> None:
    assert records.height == 2601
    assert records.get_column("cluster_a").n_unique() == 51
    assert int(records.get_column("related").sum()) == 256
    pairs = published_pairs(records)
    assert pairs.height == 51 * 50 // 2
    assert int(pairs.get_column("related").sum()) == 128
    assert (pairs.get_column("cluster_a").cast(int) < pairs.get_column("cluster_b").cast(int)).all()
    apparel_printing = pairs.filter(cluster_a="3", cluster_b="39")
    assert apparel_printing.get_column("related").item() is True
    assert apparel_printing.get_column("name_b").item() == "Printing Services"


def _record(a: str, b: str, **changes: Any) -> dict[str, Any]:
    base = {
        "clustera": a, "clusterb": b, "cluster_name": f"c{a}", "cluster_name_2": f"c{b}",
        "rel_all_90_v3": "0", "cr_lc": "0.5", "cr_io": "0.1", "cr_occ": "0.2", "cr_all": "1.0",
        "cr_lc_pc": "50", "cr_io_pc": "40", "cr_occ_pc": "30", "cr_all_pc": "20",
    }  # fmt: skip
    return {**base, **changes}


def _square(**changes: Any) -> list[dict[str, Any]]:
    """The 2 x 2 square of pairs, the last record changed."""
    square = [_record(a, b) for a in ("1", "2") for b in ("1", "2")]
    return [*square[:-1], _record("2", "2", **changes)]


@pytest.mark.parametrize(
    ("content", "field", "words"),
    [
        ("{not json", None, "not valid JSON"),
        (json.dumps({"clustera": "1"}), None, "non-empty JSON list"),
        (json.dumps(_square(cr_lc="high")), "cr_lc", "expected a number"),
        (json.dumps(_square(clustera="A")), "clustera", "cluster code"),
        (json.dumps(_square(rel_all_90_v3="yes")), "rel_all_90_v3", '"0" or "1"'),
        (json.dumps([*_square(), _record("1", "2")]), "clustera,clusterb", "repeated"),
        (json.dumps(_square()[:-1]), "clustera,clusterb", "1 are missing"),
    ],
)
def test_malformed_files_are_refused_with_the_field(
    tmp_path: Path, content: str, field: str | None, words: str
) -> None:
    path = tmp_path / "related.json"
    path.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        read_cmp_related(path)
    problem = caught.value.problems[0]
    assert words in problem.message and problem.field == field
    assert problem.file == str(path)


def test_a_missing_field_is_named_with_its_record(tmp_path: Path) -> None:
    square = _square()
    del square[2]["cr_occ_pc"]
    path = tmp_path / "related.json"
    path.write_text(json.dumps(square))
    with pytest.raises(InvalidInput) as caught:
        read_cmp_related(path)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("cr_occ_pc", "record 3: missing field")
    ]


def test_spearman_agrees_with_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 200).astype(float)
    y = x + rng.normal(0, 2, 200)
    frame = pl.DataFrame({"x": x, "y": y})
    assert spearman(frame, "x", "y") == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    with pytest.raises(InvalidInput, match="does not vary"):
        spearman(pl.DataFrame({"x": [1.0, 1, 1], "y": [1.0, 2, 3]}), "x", "y")


def test_overlap_of_a_small_example() -> None:
    # Regions 1-2 hold clusters 1 and 2; regions 3-5 hold 3 and 4 (region 5 also 2).
    values = np.array(
        [[5, 5, 1, 1], [6, 4, 1, 1], [1, 1, 5, 5], [1, 1, 4, 6], [1, 5, 5, 5]], dtype=float
    )
    year = year_complexity(values, ["r1", "r2", "r3", "r4", "r5"], ["1", "2", "3", "4"])
    ours = proximity_pairs(year)
    assert ours.height == 6
    assert ours.filter(cluster_a="1", cluster_b="2").get_column("proximity").item() == 2 / 3
    published = pl.DataFrame(
        {
            "cluster_a": ["1", "1", "1", "2", "2", "3"],
            "cluster_b": ["2", "3", "4", "3", "4", "4"],
            "related": [False, True, False, False, False, True],
            "colocation": [0.9, 0.5, 0.1, 0.2, 0.3, 0.8],
        }
    )
    overlap, table = compare_pairs(ours, published)
    assert (overlap.published, overlap.top_n, overlap.overlap) == (2, 2, 1)
    assert overlap.precision == overlap.recall == 0.5
    assert overlap.jaccard == pytest.approx(1 / 3)
    assert overlap.expected_by_chance == pytest.approx(4 / 6)
    assert table.filter("top_n").select("cluster_a", "cluster_b").rows() == [("3", "4"), ("1", "2")]
    assert overlap.tied_at_cut == 1 and overlap.cut_proximity == pytest.approx(2 / 3)


def test_engine_input_is_one_region_type_without_extra_regio_and_nulls_as_zero() -> None:
    cells = pl.DataFrame(
        {
            "region": ["DE11", "DE11", "ELZZ", "FRZZ", "CZ01", "DE1", "26"],
            "region_type": ["nuts2", "nuts2", "nuts2", "nuts2", "nuts2", "nuts1", "state"],
            "industry": ["4", "5", "4", "5", "4", "4", "4"],
            "year": [2015] * 7,
            "value": [10.0, None, 3.0, None, 2.0, 7.0, 1.0],
        }
    )
    matrix = engine_input(cells, "nuts2")
    assert matrix.extra_regio == ("ELZZ", "FRZZ")
    assert matrix.cells.columns == ["region", "industry", "year", "value"]
    assert matrix.cells.rows() == [("DE11", "4", 2015, 10.0), ("DE11", "5", 2015, 0.0),
                                   ("CZ01", "4", 2015, 2.0)]  # fmt: skip
    assert matrix.suppressed == 1  # FRZZ's null is dropped with it, not counted
    assert matrix.notes == (
        "2 Extra-Regio code(s) left out: ELZZ, FRZZ",
        "1 suppressed cell(s) counted as 0",
    )
    states = engine_input(cells, "state")
    assert states.cells.get_column("region").to_list() == ["26"] and states.notes == ()
