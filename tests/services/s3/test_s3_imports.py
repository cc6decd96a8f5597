"""S3 imports on SQLite and PostgreSQL: what is stored, every problem with its file, line and
field, nothing written when any row is wrong, replacement by key, XLSX sheets, roles."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.audit import Actor
from clusterhub.services.s3 import imports
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.s3.schemas import CodingStatus
from clusterhub.store.db import transaction
from clusterhub.store.models import AuditEntry
from clusterhub.store.s3 import S3Partnership, S3Priority, S3Strategy
from tests.services.s3.conftest import FIXTURES, Db

BY = Actor("cli:test")
HEADER = "region,period,strategy_title,source,priority,nace,fos,objectives,synthetic\n"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _counts(db: Db) -> tuple[int, int, int, int]:
    with db.factory() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (S3Strategy, S3Priority, S3Partnership, AuditEntry)
        )


def test_a_good_file_is_stored_with_clusters_derived_and_edited(db: Db, codes: S3Codes) -> None:
    with transaction(db.factory) as session:
        summary = imports.import_file(session, path=FIXTURES / "priorities.csv", codes=codes, by=BY)
        imports.import_file(session, path=FIXTURES / "partnerships.csv", codes=codes, by=BY)
    assert (summary.strategies_created, summary.priorities) == (2, 4)
    with db.factory() as session:
        es21 = session.scalars(select(S3Strategy).where(S3Strategy.region_code == "ES21")).one()
        assert (es21.country, es21.period, es21.synthetic) == ("ES", "2014-2020", True)
        energy = es21.priorities[1]
        assert energy.title == "Energy" and energy.nace_codes == ["35.11", "27.11"]
        assert "14" in energy.cluster_codes  # 35.11 lies wholly in Electric Power Generation
        assert energy.objectives == ["societal-challenges"] and energy.fos_codes == ["2.2"]
        assert energy.coding_status == CodingStatus.IMPORTED
        de11 = session.scalars(select(S3Strategy).where(S3Strategy.region_code == "DE11")).one()
        # The file's own cluster list (4, and 40 named by its name) is kept as the officer's
        # edits to what 29.10 and 29.32 derive (4 alone).
        automotive = de11.priorities[0]
        assert automotive.cluster_codes == ["4", "40"]
        assert automotive.cluster_edits == {"added": ["40"], "removed": []}
        partnership = session.scalars(select(S3Partnership)).one()
        assert {(r.region_code, r.role) for r in partnership.regions} == {
            ("ES21", "lead"), ("DE11", "member"), ("ITC4", "member")
        }  # fmt: skip


def test_every_problem_is_reported_with_file_line_and_field(
    db: Db, codes: S3Codes, tmp_path: Path
) -> None:
    bad = _write(tmp_path, "bad.csv", HEADER + (
        "ES21,2014-2020,S,src,Energy,35.11;99.99,2.2,,false\n"        # 2: unknown NACE
        "ES21,2020-2014,S,src,Health,21.20,,,false\n"                 # 3: period backwards
        "XX99,2014-2020,S,src,Tourism,,,,false\n"                     # 4: no such region
        "ES21,2014-2020,Other title,src,Food,,,,false\n"              # 5: title disagrees
        "ES21,2014-2020,S,src,Energy,,9.9,Moonshots,maybe\n"          # 6: four problems
    ))  # fmt: skip
    with pytest.raises(InvalidInput) as caught, transaction(db.factory) as session:
        imports.import_file(session, path=bad, codes=codes, by=BY)
    found = {(p.file, p.line, p.field) for p in caught.value.problems}
    assert found >= {
        ("bad.csv", 2, "nace"), ("bad.csv", 3, "period"), ("bad.csv", 4, "region"),
        ("bad.csv", 5, "strategy_title"), ("bad.csv", 6, "fos"), ("bad.csv", 6, "objectives"),
        ("bad.csv", 6, "synthetic"), ("bad.csv", 6, "priority"),
    }  # fmt: skip
    messages = {(p.line, p.field): p.message for p in caught.value.problems}
    assert "as on line 2" in messages[(5, "strategy_title")]
    assert "also on line 2" in messages[(6, "priority")]
    assert "2014-2020" in messages[(3, "period")]
    assert "nothing was imported" in caught.value.summary


def test_nothing_is_written_when_one_row_is_wrong(db: Db, codes: S3Codes, tmp_path: Path) -> None:
    with transaction(db.factory) as session:
        imports.import_file(session, path=FIXTURES / "priorities.csv", codes=codes, by=BY)
    before = _counts(db)
    # A corrected strategy for ES21 (it would replace the stored one), a new partnership in
    # the same workbook, and one bad NACE code on the last row.
    path = tmp_path / "mixed.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "priorities"
    sheet.append(HEADER.strip().split(","))
    sheet.append(["ES21", "2014-2020", "New", "src", "Only one", "35.11", "", "", "false"])
    sheet.append(["FI1B", "2021-2027", "New", "src", "Digital", "62.01", "", "", "false"])
    sheet.append(["FI1B", "2021-2027", "New", "src", "Games", "62.0X", "", "", "false"])
    partners = book.create_sheet("partnerships")
    partners.append(["partnership", "platform", "thematic_area", "source"])
    partners.append(["P", "Industrial Modernisation", "Textiles", "src"])
    book.save(path)
    with pytest.raises(InvalidInput) as caught, transaction(db.factory) as session:
        imports.import_file(session, path=path, codes=codes, by=BY)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [("mixed.xlsx", 4, "nace")]
    assert _counts(db) == before
    with db.factory() as session:
        es21 = session.scalars(select(S3Strategy).where(S3Strategy.region_code == "ES21")).one()
        assert es21.title == "RIS3 Euskadi (test fixture)" and len(es21.priorities) == 3


def test_a_workbook_imports_both_sheets_and_a_strategy_is_replaced(
    db: Db, codes: S3Codes, tmp_path: Path
) -> None:
    with transaction(db.factory) as session:
        imports.import_file(session, path=FIXTURES / "priorities.csv", codes=codes, by=BY)
    path = tmp_path / "both.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["partnership", "platform", "thematic_area", "lead_regions", "source"])
    sheet.append(["Textiles 4.0", "Industrial Modernisation", "Textiles", "ES21", "src"])
    other = book.create_sheet("priorities")
    other.append(["region", "period", "strategy_title", "source", "priority", "nace"])
    other.append(["ES21", "2014-2020", "Revised", "src", "Wind", "D35"])
    book.save(path)
    with transaction(db.factory) as session:
        summary = imports.import_file(session, path=path, codes=codes, by=BY)
    assert (summary.strategies_replaced, summary.partnerships_created) == (1, 1)
    with db.factory() as session:
        es21 = session.scalars(select(S3Strategy).where(S3Strategy.region_code == "ES21")).one()
        assert es21.title == "Revised" and [p.nace_codes for p in es21.priorities] == [["35"]]
        assert session.scalar(select(func.count()).select_from(S3Priority)) == 2  # + DE11's


def test_unknown_columns_and_an_unknown_table_are_refused_at_line_1(
    codes: S3Codes, tmp_path: Path
) -> None:
    path = _write(tmp_path, "x.csv", "region,period,strategy_title,source,priority,colour\n"
                  "ES21,2014-2020,S,src,P,red\n")  # fmt: skip
    with pytest.raises(InvalidInput, match="unknown column") as caught:
        imports.read_s3_file(path, codes=codes)
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == ("x.csv", 1)
    with pytest.raises(InvalidInput, match="priorities table"):
        imports.read_s3_file(_write(tmp_path, "y.csv", "a,b\n1,2\n"), codes=codes)


def test_uploads_need_a_programme_officer(db: Db, codes: S3Codes) -> None:
    content = (FIXTURES / "priorities.csv").read_bytes()
    for actor in (None, db.member):
        with pytest.raises(PermissionDenied), transaction(db.factory) as session:
            imports.import_upload(session, actor=actor, name="p.csv", content=content, codes=codes)
    assert _counts(db)[:3] == (0, 0, 0)
    with transaction(db.factory) as session:
        summary = imports.import_upload(
            session, actor=db.officer, name="../p.csv", content=content, codes=codes
        )
    assert summary.file == "p.csv" and summary.strategies_created == 2
    with db.factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "s3.import")).one()
        assert entry.actor == f"user:{db.officer.id}" and entry.details["extra"]["priorities"] == 4
