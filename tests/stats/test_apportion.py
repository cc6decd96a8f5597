"""Apportioning keys: a division shared among its classes by a country's own structure, by
all complete countries' structure, or (no row here) by the taxonomy's fixed key."""

from __future__ import annotations

import polars as pl
import pytest

from clusterhub.stats.apportion import class_structure, keyed_weights

CLASSES = {"30": ["30.1", "30.2", "30.3"]}
COARSE_OF = {"30.1": "30", "30.2": "30", "30.3": "30"}
#: Cluster A holds 30.1 wholly and half of 30.3; cluster B holds 30.2.
MEMBERS = pl.DataFrame(
    {"cluster_code": ["A", "A", "B"], "code": ["30.1", "30.3", "30.2"], "weight": [1.0, 0.5, 1.0]}
)


def national(rows: list[tuple[str, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"region_code": pl.String, "industry_code": pl.String,
                      "employment": pl.Float64}, orient="row",
    )  # fmt: skip


def weights(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[float, str]]:
    return {(c, k): (w, key) for c, k, _, w, key in frame.iter_rows()}


def test_a_countrys_own_structure_else_the_complete_countries_together() -> None:
    structure = class_structure(
        national([
            ("FR", "30.1", 10.0), ("FR", "30.2", 0.0), ("FR", "30.3", 90.0),
            ("IT", "30.1", 30.0), ("IT", "30.2", 60.0), ("IT", "30.3", 10.0),
            ("DE", "30.1", 5.0), ("DE", "30.2", None), ("DE", "30.3", 5.0),  # confidential
            ("EU", "30.1", 1.0),  # not a country code of two letters: ignored
        ]),
        CLASSES,
    )  # fmt: skip
    keyed = weights(keyed_weights(MEMBERS, structure, COARSE_OF, ["FR", "IT", "DE"]))
    # FR: A = 1 x 0.1 + 0.5 x 0.9 = 0.55; B = 0 (no employment in 30.2 there, not 1/3).
    assert keyed["FR", "A"] == pytest.approx((0.55, "country"))
    assert keyed["FR", "B"] == (0.0, "country")
    assert keyed["IT", "A"] == pytest.approx((0.35, "country"))
    # DE's classes are not all published: FR + IT pooled (40, 60, 100 of 200).
    assert keyed["DE", "A"] == pytest.approx((0.2 + 0.25, "all-countries"))
    assert keyed["DE", "B"] == pytest.approx((0.3, "all-countries"))


def test_no_complete_country_leaves_the_fixed_key() -> None:
    structure = class_structure(
        national([("FR", "30.1", 10.0), ("FR", "30.3", 90.0)]),  # 30.2 missing
        CLASSES,
    )
    assert structure.is_empty()
    assert keyed_weights(MEMBERS, structure, COARSE_OF, ["FR"]).is_empty()


def test_a_division_without_employment_has_no_structure() -> None:
    zeros = national([("FR", "30.1", 0.0), ("FR", "30.2", 0.0), ("FR", "30.3", 0.0)])
    assert class_structure(zeros, CLASSES).is_empty()
