"""The scoreboard's indicator catalogue: the shipped one is complete, a broken one is refused
with the path of every problem inside the document."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.classify.indicators import default_catalogue, load_catalogue
from clusterhub.errors import InvalidInput

SIX = ["knowledge", "finance", "collaboration", "demand", "entrepreneurship", "governance"]


def test_the_shipped_catalogue_covers_every_dimension_and_subdimension() -> None:
    catalogue = default_catalogue()
    assert [d.code for d in catalogue.dimensions] == SIX
    used = {(i.dimension, i.subdimension) for i in catalogue.indicators}
    declared = {(d.code, s) for d in catalogue.dimensions for s in d.subdimensions}
    assert used == declared
    assert 20 <= len(catalogue.indicators) <= 40
    assert all(i.eurostat is not None for i in catalogue.indicators if i.origin == "eurostat")
    computed = {i.code for i in catalogue.indicators if i.origin == "computed"}
    assert computed == {
        "sbs_hightech_mfg_share", "sbs_kis_share", "h2020_participations_per_1000",
        "h2020_contribution_per_employed", "h2020_private_share",
    }  # fmt: skip
    assert catalogue.get("eqi") is not None and catalogue.get("eqi").origin == "user"  # type: ignore[union-attr]
    assert catalogue.frame().height == len(catalogue.indicators)


def test_a_broken_catalogue_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "cat.yaml"
    path.write_text(
        """
dimensions:
  - code: knowledge
    name: Knowledge
    subdimensions: {rd: R&D}
indicators:
  - {code: a, name: A, dimension: knowledge, subdimension: rd, direction: 2, unit: "%",
     level: region, origin: user}
  - {code: b, name: B, dimension: money, subdimension: rd, direction: 1, unit: "%",
     level: nation, origin: eurostat}
  - {code: c, name: C, dimension: knowledge, subdimension: rd, unit: "%", level: region,
     origin: user}
""",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(path)
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "indicators[0].direction", "indicators[1].dimension",
        "indicators[1].level", "indicators[1]", "indicators[2].direction",
    }  # fmt: skip


def test_the_methodology_lists_every_indicator_of_the_catalogue() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "methodology" / "scoreboard.md"
    text = doc.read_text(encoding="utf-8")
    missing = [i.code for i in default_catalogue().indicators if f"`{i.code}`" not in text]
    assert missing == []
