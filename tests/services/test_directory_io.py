"""Directory import and export files on SQLite and PostgreSQL: CSV, JSON, XLSX, all-or-nothing."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import MAX_PROBLEMS, InvalidInput
from clusterhub.services.audit import Actor
from clusterhub.services.directory import io
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, OrganisationEmbedding, OrganisationRevision

CLI = Actor.command_line()

GOOD: list[dict[str, Any]] = [
    {
        "key": "acme-aero",
        "name": "Acme Aerospace Cluster",
        "acronym": "AAC",
        "nuts_code": "DE21",
        "website": "https://acme.example.org",
        "description": "Composite structures and <b>avionics</b> for regional aircraft.",
        "cluster_codes": "1;Automotive",
        "nace_codes": "30.30;25.62",
        "keywords": "composites;MRO",
        "members_sme": "40",
        "members_research": "5",
        "management_fte": "2.5",
        "label": "silver",
        "label_valid_until": "2027-06-30",
        "contact_email": "Info@Acme.example.org",
        "languages": "de;en",
    },
    {
        "key": "nord-food",
        "name": "Nord Food Valley",
        "country": "DK",
        "description": "Dairy and fermentation start-ups.",
        "cluster_codes": "Food Processing and Manufacturing",
    },
    {"key": "lyon-health", "name": "Lyon Health Network", "country": "FR"},
]


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Rows as the file a person would prepare (list cells joined with ';')."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
        book.save(path)
    return path


def count(factory: sessionmaker[Session], model: type[Any] = Organisation) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def run_import(
    factory: sessionmaker[Session],
    path: Path,
    catalogues: Catalogues,
    embedder: Embedder | None = None,
) -> Any:
    with transaction(factory) as session:
        return io.import_file(session, path=path, catalogues=catalogues, embedder=embedder, by=CLI)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_import_creates_then_changes_nothing_then_updates_with_a_revision(
    factory: sessionmaker[Session], catalogues: Catalogues, tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path / f"profiles{suffix}", GOOD)
    first = run_import(factory, path, catalogues)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = run_import(factory, path, catalogues)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = [dict(GOOD[0], description="Now also drones."), *GOOD[1:]]
    third = run_import(factory, write(path, changed), catalogues)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    with factory() as session:
        org = session.scalars(select(Organisation).where(Organisation.key == "acme-aero")).one()
        assert [c.cluster_code for c in org.clusters] == ["1", "4"]
        assert org.nuts_code == "DE21" and org.country == "DE"
        assert org.contact_email == "info@acme.example.org"
        assert org.members_total == 45 and org.source == "file"
        revisions = session.scalars(
            select(OrganisationRevision)
            .where(OrganisationRevision.organisation_id == org.id)
            .order_by(OrganisationRevision.version)
        ).all()
    assert [r.version for r in revisions] == [1, 2]
    assert revisions[-1].changes == {"description": [GOOD[0]["description"], "Now also drones."]}
    assert revisions[-1].source == "import:file"


def test_html_is_stored_verbatim_and_embeddings_are_written(
    factory: sessionmaker[Session], catalogues: Catalogues, embedder: Embedder, tmp_path: Path
) -> None:
    row = dict(GOOD[2], description='<script>alert("x")</script> & <i>care</i>')
    run_import(factory, write(tmp_path / "html.csv", [row]), catalogues, embedder)
    with factory() as session:
        org = session.scalars(select(Organisation)).one()
        assert org.description == row["description"]
    assert count(factory, OrganisationEmbedding) == 1


BAD_ROWS: list[dict[str, Any]] = [
    GOOD[0],
    {"key": "bad-nuts", "name": "A", "nuts_code": "XX99"},
    {"key": "bad-nace", "name": "B", "nace_codes": "99.99"},
    {"key": "bad-cluster", "name": "C", "cluster_codes": "Quantum Knitting"},
    {"key": "bad-email", "name": "D", "contact_email": "not-an-address"},
    {"key": "bad-url", "name": "E", "website": "javascript:alert(1)"},
    {"key": "too-long", "name": "F", "description": "x" * 10_001},
    {"key": "acme-aero", "name": "Duplicate of the first row"},
    {"key": "no-name"},
    {"name": "No key"},
]
#: (line, field) of each problem above: the header is line 1, the first row line 2.
EXPECTED = {
    (3, "nuts_code"),
    (4, "nace_codes"),
    (5, "cluster_codes"),
    (6, "contact_email"),
    (7, "website"),
    (8, "description"),
    (9, "key"),
    (10, "name"),
    (11, "key"),
}


def test_bad_rows_are_all_reported_with_line_and_field_and_nothing_is_written(
    factory: sessionmaker[Session], catalogues: Catalogues, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.csv", BAD_ROWS)
    with pytest.raises(InvalidInput) as caught:
        run_import(factory, path, catalogues)
    problems = caught.value.problems
    assert {(p.line, p.field) for p in problems} == EXPECTED
    assert all(p.file == "bad.csv" for p in problems)
    duplicate = next(p for p in problems if p.line == 9)
    assert "line 2" in duplicate.message
    assert "nothing was imported" in caught.value.summary
    assert count(factory) == 0
    assert count(factory, OrganisationRevision) == 0


def test_a_failure_after_the_import_rolls_the_whole_import_back(
    factory: sessionmaker[Session], catalogues: Catalogues, tmp_path: Path
) -> None:
    path = write(tmp_path / "good.json", GOOD)
    with pytest.raises(RuntimeError), transaction(factory) as session:
        io.import_file(session, path=path, catalogues=catalogues, embedder=None, by=CLI)
        raise RuntimeError("a later step of the same transaction fails")
    assert count(factory) == 0


def test_json_items_and_xlsx_rows_are_located_as_people_see_them(
    catalogues: Catalogues, tmp_path: Path
) -> None:
    rows = [GOOD[1], {"key": "x", "name": "X", "nuts_code": "ZZ00"}]
    with pytest.raises(InvalidInput) as caught:
        io.read_profiles(write(tmp_path / "p.json", rows), catalogues=catalogues)
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "nuts_code")]
    assert "item" in caught.value.summary
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"organisations": rows[:1]}), encoding="utf-8")
    assert len(io.read_profiles(wrapped, catalogues=catalogues)) == 1
    with pytest.raises(InvalidInput) as caught:
        io.read_profiles(write(tmp_path / "p.xlsx", rows), catalogues=catalogues)
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "nuts_code")]


def test_unknown_columns_formats_and_oversized_files_are_refused(
    catalogues: Catalogues, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "cols.csv", [{"key": "a", "name": "A", "colour": "red"}])
    with pytest.raises(InvalidInput, match="colour"):
        io.read_profiles(path, catalogues=catalogues)
    with pytest.raises(InvalidInput, match="format"):
        io.read_profiles(tmp_path / "cols.txt", catalogues=catalogues)
    monkeypatch.setattr(io, "MAX_FILE_BYTES", 10)
    with pytest.raises(InvalidInput, match="MB"):
        io.read_profiles(path, catalogues=catalogues)


def test_problem_lists_are_capped(catalogues: Catalogues, tmp_path: Path) -> None:
    rows = [{"key": f"k{n}", "name": "N", "nuts_code": "XX"} for n in range(300)]
    with pytest.raises(InvalidInput) as caught:
        io.read_profiles(write(tmp_path / "many.csv", rows), catalogues=catalogues)
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert "300 problems" in caught.value.summary


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_export_then_import_changes_nothing(
    factory: sessionmaker[Session], catalogues: Catalogues, tmp_path: Path, fmt: str
) -> None:
    tricky = dict(GOOD[1], description="=1+1, “quotes”\nand a new line", keywords="a;b")
    run_import(factory, write(tmp_path / "in.csv", [GOOD[0], tricky, GOOD[2]]), catalogues)
    out = tmp_path / f"out.{fmt}"
    with factory() as session:
        assert io.export_profiles(session, path=out, format=fmt) == 3
    again = run_import(factory, out, catalogues)
    assert (again.rows, again.unchanged) == (3, 3)
    assert again.extra == {}  # the file's label reviews are what the platform holds
    if fmt == "csv":
        with out.open(encoding="utf-8") as handle:
            assert tuple(next(csv.reader(handle))) == io.EXPORT_COLUMNS


def _review(factory: sessionmaker[Session], key: str) -> str:
    with factory() as session:
        org = session.scalars(select(Organisation).where(Organisation.key == key)).one()
        return org.label_review


def test_label_reviews_are_exported_and_an_import_can_only_declare(
    factory: sessionmaker[Session], catalogues: Catalogues, tmp_path: Path
) -> None:
    claimed = [dict(GOOD[0], label_review="verified"), dict(GOOD[1], label_review="")]
    first = run_import(factory, write(tmp_path / "claims.csv", claimed), catalogues)
    assert _review(factory, "acme-aero") == "declared"  # the file's "verified" is not taken
    assert first.extra == {io.REVIEW_CLAIMS_NOT_HELD: 1}
    with transaction(factory) as session:  # as labels.verify leaves it
        org = session.scalars(select(Organisation).where(Organisation.key == "acme-aero")).one()
        org.label_review = "verified"
    out = tmp_path / "out.csv"
    with factory() as session:
        io.export_profiles(session, path=out)
    rows = {r["key"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert (rows["acme-aero"]["label_review"], rows["nord-food"]["label_review"]) == (
        "verified",
        "",
    )
    assert run_import(factory, out, catalogues).unchanged == 2  # a round trip keeps it verified
    assert _review(factory, "acme-aero") == "verified"
    later = [dict(GOOD[0], label="gold", label_review="verified"), GOOD[1]]
    run_import(factory, write(tmp_path / "gold.csv", later), catalogues)
    assert _review(factory, "acme-aero") == "declared"  # a changed label is declared again
    with factory() as session:
        revision = session.scalars(
            select(OrganisationRevision).order_by(OrganisationRevision.id.desc())
        ).first()
        assert revision is not None
        assert revision.changes["label_review"] == ["verified", "declared"]


def test_an_unknown_label_review_is_named_by_line_and_field(
    catalogues: Catalogues, tmp_path: Path
) -> None:
    path = write(tmp_path / "odd.csv", [GOOD[2], dict(GOOD[1], label_review="approved")])
    with pytest.raises(InvalidInput) as caught:
        io.read_profiles(path, catalogues=catalogues)
    [problem] = caught.value.problems
    assert (problem.line, problem.field, problem.value) == (3, "label_review", "approved")


def test_an_xlsx_whose_sheet_is_broken_inside_a_sound_zip_is_refused(
    catalogues: Catalogues, tmp_path: Path
) -> None:
    good = write(tmp_path / "good.xlsx", GOOD)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # the sheet's XML stops mid-element
            target.writestr(item, data)
    with pytest.raises(InvalidInput, match="not a readable XLSX") as caught:
        io.read_profiles(broken, catalogues=catalogues)
    assert caught.value.problems[0].file == "broken.xlsx"
