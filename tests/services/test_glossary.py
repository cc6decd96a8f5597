"""The definitions shown beside the observatory's measures: true to the rules, linked, complete."""

from __future__ import annotations

import re

import pytest

from clusterhub.services.observatory import glossary, maps, terms
from clusterhub.services.observatory.methodology import methodology_html
from clusterhub.services.observatory.schemas import MetricPublic
from clusterhub.services.observatory.vocabulary import NO_STAR_COLOUR, star_colours
from clusterhub.stats.ratings import STAR_PRESETS


def _metric(**values: object) -> MetricPublic:
    base: dict[str, object] = {
        "dataset": "eu-sbs", "region_code": "DE91", "region_type": "nuts2",
        "cluster_code": "47", "year": 2015, "employment": 100.0, "establishments": None,
        "wages": None, "imputed_share": 0.0, "size_share": 0.01, "focus": 0.02, "lq": 1.5,
        "wage_per_employee": None, "growth": None, "emp_rank": 1, "lq_rank": 1,
        "emp_percentile": 99.0, "lq_percentile": 99.0, "strong": True, "strong10": False,
        "significant": True, "qualifying": True, "stars": 1, "stars_possible": 2,
        "star_flags": {"size": True, "specialisation": False, "productivity": None,
                       "dynamism": None},
    }  # fmt: skip
    return MetricPublic.model_validate(base | values)


def test_every_term_links_to_a_section_of_the_methodology_page() -> None:
    ids = set(re.findall(r'id="([^"]+)"', methodology_html()))
    missing = {t.key: t.anchor for t in terms.TERMS.values() if t.anchor not in ids}
    assert not missing


@pytest.mark.parametrize("preset", ["eocic", "eco2007"])
def test_star_criteria_are_worded_from_the_rules_themselves(preset: str) -> None:
    for criterion in STAR_PRESETS[preset].criteria:  # type: ignore[index]
        text = glossary.criterion_rule(criterion)
        assert text.startswith(criterion.name)
        if criterion.kind == "quantile":
            assert f"top {round(100 * (1 - criterion.threshold))} %" in text
        else:
            assert f"at least {criterion.threshold:g}" in text


def test_the_star_legend_counts_only_what_the_data_can_assess() -> None:
    legend = glossary.star_legend([_metric(), _metric(stars=2)])
    assert legend.assessable == 2
    assert [glyph for glyph, _, _ in legend.levels] == ["★★", "★", "no star"]
    assert legend.levels[0][1] == "all 2 assessable criteria met"
    assert legend.withheld == 0
    not_assessable = [c for c in legend.criteria if "not assessable" in c]
    assert [c.split(":")[0] for c in not_assessable] == ["productivity", "dynamism"]


def test_no_star_and_withheld_are_coloured_apart_from_the_stars_as_on_the_map() -> None:
    legend = glossary.star_legend([_metric(), _metric(stars=2), _metric(stars_withheld=True)])
    colours = {glyph: colour for glyph, _, colour in legend.levels}
    assert colours["no star"] == NO_STAR_COLOUR
    starred = {colours["★"], colours["★★"]}
    assert NO_STAR_COLOUR not in starred and legend.withheld_colour not in starred
    assert legend.withheld == 1 and legend.withheld_colour != NO_STAR_COLOUR
    bands = maps.star_scale(legend.assessable)["colorscale"]
    assert [colour for _, colour in bands[::2]] == star_colours(legend.assessable)


def test_a_measure_nobody_has_is_named_with_its_reason() -> None:
    absent = glossary.absent_measures([_metric(), _metric()], "Eurostat SBS")
    assert [a.column for a in absent] == ["wage_per_employee", "growth"]
    assert "Eurostat SBS publishes no wage bill" in absent[0].reason
    some_wages = glossary.absent_measures([_metric(), _metric(wage_per_employee=50e3)], "X")
    assert [a.column for a in some_wages] == ["growth"]
    assert glossary.absent_measures([], "X") == []


def test_strong_means_two_stars_or_the_us_rule() -> None:
    assert glossary.is_strong(_metric(stars=2, strong=False))
    assert glossary.is_strong(_metric(stars=0, strong=True))
    assert not glossary.is_strong(_metric(stars=1, strong=False))
    assert str(terms.STRONG_STARS) in terms.TERMS["strong"].definition


@pytest.mark.parametrize(
    ("code", "label"),
    [("nuts2", "NUTS 2"), ("nuts0", "NUTS 0 (country)"), ("state", "U.S. state"), ("x", "x")],
)
def test_region_types_are_named(code: str, label: str) -> None:
    assert glossary.region_type_label(code) == label
