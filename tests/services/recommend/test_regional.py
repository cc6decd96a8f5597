"""Reasons from the observatory and S3, on a small map with a known answer: strong cells of
two German and two French regions, one published related pair, two strategies."""

from __future__ import annotations

from clusterhub.services.observatory.schemas import MetricPublic
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.store.s3 import S3Priority, S3Strategy

AUTOMOTIVE, BIOPHARMA, PLASTICS = "4", "5", "37"
NAMES = {AUTOMOTIVE: "Automotive", BIOPHARMA: "Biopharmaceuticals", PLASTICS: "Plastics"}


def _cell(region: str, name: str, cluster: str, stars: int) -> MetricPublic:
    return MetricPublic.model_construct(
        region_code=region, region_name=name, cluster_code=cluster, stars=stars
    )


def _strategy(region: str, clusters: list[str], *, synthetic: bool) -> S3Strategy:
    return S3Strategy(region_code=region, country=region[:2], synthetic=synthetic,
                      priorities=[S3Priority(title="p", cluster_codes=clusters)])  # fmt: skip


LENS = RegionalLens(
    [
        _cell("DE11", "Stuttgart", AUTOMOTIVE, 3),
        _cell("DE21", "Oberbayern", AUTOMOTIVE, 2),
        _cell("FR10", "Ile-de-France", BIOPHARMA, 2),
        _cell("FR10", "Ile-de-France", PLASTICS, 2),
        _cell("FRK2", "Rhône-Alpes", PLASTICS, 3),
    ],
    {"DE11": _strategy("DE11", [PLASTICS, AUTOMOTIVE], synthetic=True),
     "FR10": _strategy("FR10", [PLASTICS], synthetic=False)},
    frozenset({(PLASTICS, AUTOMOTIVE), (AUTOMOTIVE, PLASTICS)}),
    NAMES,
)  # fmt: skip


def test_a_nuts3_code_is_read_at_the_nearest_level_the_observatory_has() -> None:
    place = LENS.place("DE111", "DE")
    assert place is not None and place.code == "DE11" and not place.country_level
    assert place.strong == {AUTOMOTIVE: 3} and place.priorities == {PLASTICS, AUTOMOTIVE}


def test_a_country_alone_counts_the_regions_where_each_cluster_is_strong() -> None:
    place = LENS.place(None, "FR")
    assert place is not None and place.country_level and place.name == "France"
    assert place.strong == {BIOPHARMA: 1, PLASTICS: 2}
    assert LENS.place(None, "PT") is None and LENS.place(None, None) is None


def test_complementary_and_shared_strengths_and_shared_priorities_are_explained() -> None:
    ours = LENS.place("DE111", "DE")
    theirs = LENS.place("FR10", "FR")
    reasons = {r.kind: r for r in LENS.reasons(ours, {AUTOMOTIVE}, theirs)}
    assert set(reasons) == {"complementary_cluster", "shared_s3_priority"}
    assert reasons["complementary_cluster"].text == (
        "complementary strength where they are: Plastics, strong in Ile-de-France (FR10) "
        "(2 stars), is related to your Automotive"
    )
    assert "prioritise Plastics" in reasons["shared_s3_priority"].text
    assert "SYNTHETIC" in reasons["shared_s3_priority"].text  # ours is a demonstration


def test_a_strength_we_serve_is_shared_not_complementary() -> None:
    ours = LENS.place("FR10", "FR")
    theirs = LENS.place(None, "DE")  # automotive strong in two German regions
    reasons = LENS.reasons(ours, {AUTOMOTIVE}, theirs)
    assert [r.kind for r in reasons] == ["shared_strength"]
    assert reasons[0].text.endswith("Automotive is strong in 2 regions of Germany (DE)")
    assert LENS.reasons(ours, {AUTOMOTIVE}, None) == []
