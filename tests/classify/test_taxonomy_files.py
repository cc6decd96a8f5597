"""User taxonomy files: valid ones load normalised; broken ones list every problem and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterhub.classify import NaceHierarchy, aggregate_to_level, load_taxonomy_file
from clusterhub.errors import InvalidInput, Problem

from .conftest import FIXTURES

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "clusterhub" / "data" / "taxonomies"


def _problems(path: Path, nace: NaceHierarchy) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        load_taxonomy_file(path, nace)
    assert all(p.file == str(path) for p in caught.value.problems)
    return caught.value.problems


def test_csv_with_eurostat_spellings_loads_normalised(nace: NaceHierarchy) -> None:
    taxonomy = load_taxonomy_file(FIXTURES / "good_sbs_spelling.csv", nace)
    assert (taxonomy.key, taxonomy.classification) == ("chem-demo", "nace")
    assert taxonomy.clusters.rows() == [
        ("CHEM", "Chemicals", "traded"),
        ("LOG", "Logistics", "local"),
    ]
    assert taxonomy.members.rows() == [
        ("CHEM", "20", 1.0),
        ("CHEM", "21.10", 0.5),
        ("LOG", "52", 1.0),
        ("LOG", "49.41", 1.0),
    ]


def test_csv_row_errors_carry_line_and_field(nace: NaceHierarchy) -> None:
    found = {(p.line, p.field, p.value) for p in _problems(FIXTURES / "bad_rows.csv", nace)}
    assert found == {
        (2, "code", "20.99"),  # not a NACE code
        (3, "weight", "1.5"),  # above 1
        (4, "cluster_name", "Chemical industry"),  # cluster A1 was named "Chemicals" on line 2
        (5, "kind", "tradd"),  # not traded/local/emerging
        (5, "code", "55.10"),  # inside division 55, listed on line 6 too
        (7, "weight", "abc"),  # not a number
    }


def test_csv_missing_and_unknown_columns(nace: NaceHierarchy) -> None:
    problems = _problems(FIXTURES / "bad_columns.csv", nace)
    assert {(p.line, p.field) for p in problems} == {(1, "code"), (1, "wieght")}
    assert "expected cluster_code, cluster_name, classification, code" in problems[0].message


def test_naics_codes_are_checked_for_shape_and_overlap(nace: NaceHierarchy) -> None:
    problems = _problems(FIXTURES / "bad_naics.csv", nace)
    assert {(p.line, p.value) for p in problems} == {(3, "3364-1"), (2, "336411")}


def test_yaml_errors_carry_the_path_inside_the_document(nace: NaceHierarchy) -> None:
    problems = _problems(FIXTURES / "bad.yaml", nace)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {
        "colour",
        "clusters[0].codes[0]",
        "clusters[0].codes[2]",
        "clusters[1].kind",
        "clusters[1].codes['64.19']",
        "clusters[2].code",
        "clusters[3].code",
    }
    assert "quote codes" in by_field["clusters[0].codes[0]"].message  # YAML read 03.11 as 3.11
    assert by_field["clusters[0].codes[2]"].value == "99.99"
    assert by_field["clusters[1].codes['64.19']"].value == "0"
    assert "repeated" in by_field["clusters[2].code"].message
    assert all(p.line is None for p in problems)


def test_yaml_that_is_not_a_mapping(nace: NaceHierarchy) -> None:
    problems = _problems(FIXTURES / "not_a_taxonomy.yaml", nace)
    assert "expected a mapping with keys key, name, classification, clusters" in problems[0].message


def test_unsupported_extension(tmp_path: Path, nace: NaceHierarchy) -> None:
    path = tmp_path / "t.json"
    path.write_text("{}")
    assert _problems(path, nace)[0].value == ".json"


def test_shipped_example_of_emerging_industries(nace: NaceHierarchy) -> None:
    taxonomy = load_taxonomy_file(EXAMPLE / "example_emerging.yaml", nace)
    assert set(taxonomy.clusters["kind"]) == {"emerging"}
    blue = dict(taxonomy.members.filter(cluster_code="BLUE").select("code", "weight").iter_rows())
    assert blue["52.22"] == 0.5
    divisions, _ = aggregate_to_level(taxonomy, nace, 2)
    digital = dict(
        divisions.members.filter(cluster_code="DIGITAL").select("code", "weight").iter_rows()
    )
    assert digital["61"] == 1.0 and digital["62"] == 1.0
    assert digital["63"] == pytest.approx(2 / 4)  # 63.11 and 63.12 of 63's four classes


def test_csv_classification_and_ragged_rows(nace: NaceHierarchy) -> None:
    problems = _problems(FIXTURES / "bad_classification.csv", nace)
    assert {(p.line, p.field, p.value) for p in problems} == {
        (2, "classification", "isic"),  # neither naics nor nace (case does not matter)
        (3, None, None),  # more cells than the header has columns (named in the message)
    }


# --- damaged files (issue 10) -------------------------------------------------------------------


def test_a_csv_row_cut_short_is_refused_not_read_with_defaults(
    nace: NaceHierarchy, tmp_path: Path
) -> None:
    lines = (FIXTURES / "good_sbs_spelling.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cut.csv"
    # The third row loses its weight and note: read with defaults, it would weigh 1, not 0.5.
    path.write_text("\n".join([*lines[:2], lines[2].rsplit(",", 2)[0], *lines[3:]]) + "\n")
    problems = _problems(path, nace)
    assert [(p.line, p.field) for p in problems] == [(3, "weight")]
    assert "8" in problems[0].message and "6" in problems[0].message


def test_a_csv_without_its_final_line_break_is_refused(nace: NaceHierarchy, tmp_path: Path) -> None:
    content = (FIXTURES / "good_sbs_spelling.csv").read_text(encoding="utf-8")
    path = tmp_path / "cut.csv"
    path.write_text(content.rstrip("\n"), encoding="utf-8")
    problems = _problems(path, nace)
    assert [p.line for p in problems] == [content.count("\n")]
    assert "line break" in problems[0].message


def test_a_yaml_alias_bomb_is_refused(nace: NaceHierarchy, tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    problems = _problems(path, nace)
    assert "alias" in problems[0].message


def test_deeply_nested_yaml_is_refused_without_a_recursion_error(
    nace: NaceHierarchy, tmp_path: Path
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("key: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    problems = _problems(path, nace)
    assert "nest" in problems[0].message and problems[0].line == 1


def test_an_empty_taxonomy_file_is_refused(nace: NaceHierarchy, tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.yaml"):
        path = tmp_path / name
        path.write_bytes(b"")
        assert "empty" in _problems(path, nace)[0].message
