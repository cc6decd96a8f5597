"""NACE Rev.2 hierarchy: official counts, navigation and the spellings statistics use."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.classify import CLASS, DIVISION, GROUP, SECTION, NaceHierarchy, load_nace
from clusterhub.errors import InvalidInput


def test_level_counts_are_the_official_nace_rev2_counts(nace: NaceHierarchy) -> None:
    # NACE Rev.2 (Regulation (EC) No 1893/2006): 21 sections, 88 divisions, 272 groups, 615 classes.
    counts = [len(nace.codes(level)) for level in (SECTION, DIVISION, GROUP, CLASS)]
    assert counts == [21, 88, 272, 615]
    assert nace.codes(SECTION) == list("ABCDEFGHIJKLMNOPQRSTU")


def test_every_class_has_a_path_to_a_section(nace: NaceHierarchy) -> None:
    sections = {nace.ancestor_at(code, SECTION) for code in nace.codes(CLASS)}
    assert sections == set(nace.codes(SECTION))
    assert sum(len(nace.classes_under(s)) for s in nace.codes(SECTION)) == 615


def test_navigation(nace: NaceHierarchy) -> None:
    assert nace.parent("20.11") == "20.1"
    assert nace.parent("20.1") == "20"
    assert nace.parent("20") == "C"
    assert nace.parent("C") is None
    assert nace.level("20.11") == CLASS
    assert nace.ancestor_at("20.11", DIVISION) == "20"
    assert nace.ancestor_at("20.11", CLASS) == "20.11"
    assert nace.children("20.1") == ["20.11", "20.12", "20.13", "20.14", "20.15", "20.16", "20.17"]
    assert nace.classes_under("21") == ["21.10", "21.20"]
    assert nace.classes_under("12.00") == ["12.00"]
    assert len(nace.classes_under("C")) == 230
    assert nace.name("21.20") == "Manufacture of pharmaceutical preparations"


def test_ancestor_finer_than_the_code_is_refused(nace: NaceHierarchy) -> None:
    with pytest.raises(InvalidInput, match="expected a level from 1 to 2"):
        nace.ancestor_at("20", CLASS)


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("C", "C"),
        ("C20", "20"),
        ("20", "20"),
        ("G451", "45.1"),
        ("G45.1", "45.1"),
        ("20.1", "20.1"),
        ("201", "20.1"),
        ("2011", "20.11"),
        ("20.11", "20.11"),
        ("C2011", "20.11"),
        (" c20 ", "20"),
        ("S95", "95"),
    ],
)
def test_normalise_accepts_eurostat_and_dotted_spellings(
    nace: NaceHierarchy, spelling: str, normal: str
) -> None:
    assert nace.normalise(spelling) == normal


def test_every_sbs_code_normalises_to_a_nace_code(nace: NaceHierarchy, sbs_codes: set[str]) -> None:
    normal = {code: nace.normalise(code) for code in sbs_codes}
    assert len(sbs_codes) == 101
    assert normal["G471"] == "47.1"
    assert {nace.level(n) for n in normal.values()} == {SECTION, DIVISION, GROUP}
    # Each division code of SBS keeps its section letter consistent with the hierarchy.
    assert all(nace.ancestor_at(n, SECTION) == code[0] for code, n in normal.items())


def test_unknown_code_names_the_code_and_what_was_expected(nace: NaceHierarchy) -> None:
    with pytest.raises(InvalidInput) as caught:
        nace.normalise("20.99")
    problem = caught.value.problems[0]
    assert problem.value == "20.99"
    assert "division '20'" in problem.message
    assert "20 contains 20.1, 20.2" in problem.message


def test_section_letter_must_contain_the_code(nace: NaceHierarchy) -> None:
    with pytest.raises(InvalidInput, match="NACE 20 is in section C, not G"):
        nace.normalise("G20")


def test_contains_never_raises(nace: NaceHierarchy) -> None:
    assert nace.contains("C20")
    assert not nace.contains("B-E")
    assert not nace.contains("")


def test_broken_structure_is_reported_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "nace.csv"
    path.write_text(
        '"nace2","Name","Level","Parent"\n'
        '"A","Agriculture","1",NA\n'
        '"01","Crops","2","A"\n'
        '"01.1","Non-perennial","5","01"\n'
        '"02","Forestry","2","B"\n'
        '"01","Crops again","2","A"\n'
    )
    with pytest.raises(InvalidInput) as caught:
        load_nace(path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {(4, "Level"), (5, "Parent"), (6, "nace2")}
