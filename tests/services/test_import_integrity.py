"""Directory imports that cannot lose data, on SQLite and PostgreSQL (issue 10, item 1).

The real U.S. Cluster Mapping Project organisations are loaded and exported with the
platform's own exporter; the exported file is then damaged the way files are damaged in
practice (cut short, a cell lost or added, emptied, nested without end). Every damaged file
must be refused with its file, line and field, and the database must be exactly as before:
every column of every profile, its cluster codes and its revisions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.errors import MAX_PROBLEMS, InvalidInput
from clusterhub.services.audit import Actor
from clusterhub.services.directory import io, sources
from clusterhub.services.directory import profiles as directory
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, OrganisationCluster, OrganisationRevision

_TABLES = [
    cast(Table, model.__table__)
    for model in (Organisation, OrganisationCluster, OrganisationRevision)
]
#: A profile whose admin added a website and a contact after the CMP import (the CMP registry
#: has neither), and whose name holds a comma, so the export quotes it.
EDITED = "cmp:1022"
EDITS = {
    "website": "https://acm.example.org",
    "contact_name": "Ada Lovelace",
    "name": "Aerospace Components Manufacturers, Inc.",
}

CLI = Actor.command_line()


@dataclass(frozen=True)
class Loaded:
    """A database holding the CMP profiles (one edited by hand) and their CSV export."""

    factory: sessionmaker[Session]
    catalogues: Catalogues
    csv: bytes
    folder: Path

    def snapshot(self) -> list[list[tuple[Any, ...]]]:
        """Every row of the profile, cluster-code and revision tables, in key order."""
        with self.factory() as session:
            return [
                sorted((tuple(r) for r in session.execute(select(t))), key=repr) for t in _TABLES
            ]

    def write(self, name: str, content: bytes | str) -> Path:
        path = self.folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def run(self, path: Path) -> Any:
        with transaction(self.factory) as session:
            return io.import_file(
                session, path=path, catalogues=self.catalogues, embedder=None, by=CLI
            )

    def refused(self, path: Path) -> InvalidInput:
        """The import's error, after checking that the database did not change at all."""
        before = self.snapshot()
        with pytest.raises(InvalidInput) as caught:
            self.run(path)
        assert self.snapshot() == before
        assert all(p.file == path.name for p in caught.value.problems), caught.value
        return caught.value


@pytest.fixture
def loaded(
    db_settings: Settings, reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> Iterator[Loaded]:
    engine = make_engine(db_settings)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        sources.load_cmp_organisations(
            session, path=reference.fetch("cmp-orgs"), catalogues=catalogues,
            embedder=None, by=CLI,
        )  # fmt: skip
    with transaction(factory) as session:
        _edit(session)
    export = tmp_path / "export.csv"
    with factory() as session:
        io.export_profiles(session, path=export)
    yield Loaded(factory, catalogues, export.read_bytes(), tmp_path)
    engine.dispose()


def _edit(session: Session) -> None:
    """Store what a profile admin's edit would (set directly: no account is needed here)."""
    org = session.scalars(select(Organisation).where(Organisation.key == EDITED)).one()
    for name, value in EDITS.items():
        setattr(org, name, value)


def _lines(content: bytes) -> list[bytes]:
    return content.splitlines(keepends=True)


def _middle(content: bytes) -> tuple[int, bytes]:
    """The line number (1 = header) and bytes of a data line in the middle of the file."""
    lines = _lines(content)
    number = len(lines) // 2
    return number + 1, lines[number]


# --- damaged CSV files --------------------------------------------------------------------------


def test_a_file_cut_in_the_middle_of_a_row_is_refused(loaded: Loaded) -> None:
    number, line = _middle(loaded.csv)
    start = loaded.csv.index(line)
    cut = loaded.csv[: start + len(line) // 3]
    error = loaded.refused(loaded.write("cut.csv", cut))
    lines = {p.line for p in error.problems}
    assert lines == {number}, error
    assert "line break" in str(error) or "fields" in str(error)


def test_a_file_cut_inside_a_quoted_field_is_refused(loaded: Loaded) -> None:
    quote = loaded.csv.index(b'"Aerospace Components Manufacturers,')
    number = loaded.csv[:quote].count(b"\n") + 1
    error = loaded.refused(loaded.write("quoted.csv", loaded.csv[: quote + 12]))
    assert [p.line for p in error.problems] == [number], error
    assert "quote" in str(error)


def test_a_row_with_a_cell_missing_is_refused_with_the_counts(loaded: Loaded) -> None:
    number, line = _middle(loaded.csv)
    shorter = line.replace(b",,", b",", 1)
    error = loaded.refused(loaded.write("short.csv", loaded.csv.replace(line, shorter)))
    problem = error.problems[0]
    assert (problem.line, len(error.problems)) == (number, 1), error
    columns = len(io.EXPORT_COLUMNS)
    assert f"{columns}" in problem.message and f"{columns - 1}" in problem.message
    assert problem.field == io.EXPORT_COLUMNS[-1]


def test_a_row_with_a_cell_too_many_is_refused_with_the_counts(loaded: Loaded) -> None:
    number, line = _middle(loaded.csv)
    longer = line.replace(b"\r\n", b",extra\r\n")
    error = loaded.refused(loaded.write("long.csv", loaded.csv.replace(line, longer)))
    problem = error.problems[0]
    assert (problem.line, len(error.problems)) == (number, 1), error
    columns = len(io.EXPORT_COLUMNS)
    assert f"{columns}" in problem.message and f"{columns + 1}" in problem.message


def test_an_empty_file_and_a_header_only_file_are_refused(loaded: Loaded) -> None:
    empty = loaded.refused(loaded.write("empty.csv", b""))
    assert "empty" in str(empty)
    header = _lines(loaded.csv)[0]
    only = loaded.refused(loaded.write("header.csv", header))
    assert "no rows" in str(only) and only.problems[0].line == 2


def test_a_file_without_its_final_line_break_is_refused_with_how_to_fix_it(
    loaded: Loaded,
) -> None:
    lines = _lines(loaded.csv)
    error = loaded.refused(loaded.write("nonl.csv", loaded.csv.rstrip(b"\r\n")))
    assert [p.line for p in error.problems] == [len(lines)], error
    assert "line break" in str(error) and "add" in str(error)


def test_a_csv_that_is_not_utf8_is_refused_naming_line_and_byte(loaded: Loaded) -> None:
    number, line = _middle(loaded.csv)
    latin = line.replace(b"Cluster organisation", b"Cluster organisation \xe9")
    error = loaded.refused(loaded.write("latin.csv", loaded.csv.replace(line, latin)))
    assert [p.line for p in error.problems] == [number] and "byte" in str(error), error


# --- damaged JSON and XLSX files ----------------------------------------------------------------


def test_deeply_nested_json_is_refused_without_a_recursion_error(loaded: Loaded) -> None:
    error = loaded.refused(loaded.write("deep.json", "[" * 100_000 + "]" * 100_000 + "\n"))
    assert "nest" in str(error) and error.problems[0].line == 1


def test_a_json_file_cut_short_is_refused_with_its_line(loaded: Loaded) -> None:
    export = loaded.folder / "export.json"
    with loaded.factory() as session:
        io.export_profiles(session, path=export)
    content = export.read_bytes()
    cut = content[: len(content) // 2]
    error = loaded.refused(loaded.write("cut.json", cut))
    assert error.problems[0].line == cut.count(b"\n") + 1, error


def test_an_empty_json_file_is_refused(loaded: Loaded) -> None:
    assert "empty" in str(loaded.refused(loaded.write("empty.json", b"")))


def test_a_truncated_xlsx_is_refused_as_damaged(loaded: Loaded) -> None:
    export = loaded.folder / "export.xlsx"
    with loaded.factory() as session:
        io.export_profiles(session, path=export)
    content = export.read_bytes()
    error = loaded.refused(loaded.write("cut.xlsx", content[: len(content) * 2 // 3]))
    assert "damaged or cut short" in str(error)


# --- absent is not empty ------------------------------------------------------------------------


def _profile(loaded: Loaded, key: str) -> dict[str, Any]:
    with loaded.factory() as session:
        org = session.scalars(select(Organisation).where(Organisation.key == key)).one()
        values = {c: getattr(org, c) for c in directory.PROFILE_FIELDS if c != "cluster_codes"}
        return values | {"cluster_codes": sorted(c.cluster_code for c in org.clusters)}


def test_a_file_with_some_columns_changes_only_those_columns(loaded: Loaded) -> None:
    before = _profile(loaded, EDITED)
    other = _profile(loaded, "cmp:103")
    path = loaded.write("keywords.csv", f"key,keywords\n{EDITED},aerospace;composites\n")
    report = loaded.run(path)
    assert (report.updated, report.unchanged) == (1, 0)
    after = _profile(loaded, EDITED)
    assert after == before | {"keywords": ["aerospace", "composites"]}
    assert after["cluster_codes"] and after["website"] == EDITS["website"]
    assert _profile(loaded, "cmp:103") == other


def test_an_empty_cell_clears_its_field_and_a_json_null_too(loaded: Loaded) -> None:
    before = _profile(loaded, EDITED)
    loaded.run(loaded.write("clear.csv", f"key,website\n{EDITED},\n"))
    assert _profile(loaded, EDITED) == before | {"website": None}
    items = [{"key": EDITED, "contact_name": None, "cluster_codes": []}]
    loaded.run(loaded.write("clear.json", json.dumps(items)))
    assert _profile(loaded, EDITED) == before | {
        "website": None,
        "contact_name": None,
        "cluster_codes": [],
    }


def test_a_json_object_without_a_key_leaves_that_field_alone(loaded: Loaded) -> None:
    before = _profile(loaded, EDITED)
    loaded.run(loaded.write("one.json", json.dumps([{"key": EDITED, "acronym": "ACM"}])))
    assert _profile(loaded, EDITED) == before | {"acronym": "ACM"}


def test_a_new_profile_in_a_partial_file_needs_its_name(loaded: Loaded) -> None:
    path = loaded.write("new.csv", f"key,keywords\n{EDITED},x\nbrand-new,y\n")
    error = loaded.refused(path)
    assert [(p.line, p.field) for p in error.problems] == [(3, "name")], error


def test_reloading_the_cmp_registry_keeps_what_profile_admins_added(
    loaded: Loaded, reference: ReferenceData
) -> None:
    before = loaded.snapshot()
    with transaction(loaded.factory) as session:
        report = sources.load_cmp_organisations(
            session,
            path=reference.fetch("cmp-orgs"),
            catalogues=loaded.catalogues,
            embedder=None,
            by=CLI,
        )
    profile = _profile(loaded, EDITED)
    assert profile["website"] == EDITS["website"]
    assert profile["contact_name"] == EDITS["contact_name"]
    # The registry's own field (the name) is the registry's to set again.
    assert profile["name"] == "Aerospace Components Manufacturers"
    assert report.updated == 1
    assert loaded.snapshot()[0] != before[0]


# --- truncation at any byte ---------------------------------------------------------------------


def _changed_export(content: bytes) -> bytes:
    """The export with every profile marked synthetic (the column before the label review,
    empty here), so that an imported row shows in the database, and a row cut inside that
    cell cannot look complete."""
    changed = content.replace(b",false,\r\n", b",true,\r\n")
    assert changed.count(b",true,\r\n") == len(_lines(content)) - 1
    return changed


def _rows(session: Session) -> dict[str, dict[str, Any]]:
    """Every stored profile by key, as its columns (and cluster codes)."""
    table = cast(Table, Organisation.__table__)
    rows = {r.key: dict(r._mapping) for r in session.execute(select(table))}
    for key, code in session.execute(
        select(Organisation.key, OrganisationCluster.cluster_code).join(
            OrganisationCluster, OrganisationCluster.organisation_id == Organisation.id
        )
    ):
        rows[key].setdefault("cluster_codes", set()).add(code)
    return rows


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_file_cut_at_any_byte_is_refused_or_imports_only_complete_rows(
    loaded: Loaded, data: st.DataObject
) -> None:
    full = _changed_export(loaded.csv)
    ends = [i + 2 for i in range(len(full)) if full.startswith(b"\r\n", i)]
    # Any byte, and (since a byte is rarely a row's end) row ends and cuts inside "\r\n".
    cut = data.draw(
        st.one_of(
            st.integers(min_value=0, max_value=len(full) - 1),
            st.sampled_from(ends),
            st.sampled_from(ends).map(lambda end: end - 1),
        ),
        label="cut at byte",
    )
    path = loaded.write("cut-anywhere.csv", full[:cut])
    with loaded.factory() as session:
        before = _rows(session)
        try:
            io.import_file(session, path=path, catalogues=loaded.catalogues, embedder=None, by=CLI)
        except InvalidInput as error:
            assert all(p.file == path.name for p in error.problems)
            session.rollback()
            assert _rows(session) == before
            return
        session.flush()
        session.expire_all()
        after = _rows(session)
        session.rollback()
    complete = {
        line.split(b",", 1)[0].decode()
        for line in _lines(full[:cut])[1:]
        if line.endswith((b"\r", b"\n"))
    }
    assert after.keys() == before.keys()
    assert {k for k, row in after.items() if row["is_synthetic"]} == complete
    moving = ("is_synthetic", "version", "updated_at")
    for key, row in after.items():
        if key in complete:
            kept = {c: v for c, v in row.items() if c not in moving}
            assert kept == {c: v for c, v in before[key].items() if c not in moving}, key
        else:
            assert row == before[key], key


# --- the command line ---------------------------------------------------------------------------


def test_the_command_line_exits_non_zero_on_a_cut_file(
    loaded: Loaded, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", db_settings.database_url)
    get_settings.cache_clear()
    before = loaded.snapshot()
    path = loaded.write("cli-cut.csv", loaded.csv[: len(loaded.csv) // 2])
    try:
        result = CliRunner().invoke(
            app, ["directory", "import", "--source", "file", str(path), "--no-embed"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "cli-cut.csv:" in result.output
    assert loaded.snapshot() == before


# --- a million bad rows -------------------------------------------------------------------------

_MILLION = r"""
import json, re, sys, time
from pathlib import Path
from clusterhub.config import Settings
from clusterhub.errors import MAX_PROBLEMS, InvalidInput
from clusterhub.services.directory import io
from clusterhub.services.reference import Catalogues
from clusterhub.services.reference import ReferenceData
catalogues = Catalogues.from_reference(ReferenceData(Settings(data_mirror=Path(sys.argv[2]))))
def peak_mib():  # this process's own high-water mark (ru_maxrss would include the parent's)
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024
start = time.perf_counter()
try:
    io.read_profiles(Path(sys.argv[1]), catalogues=catalogues)
except InvalidInput as error:
    print(json.dumps({"seconds": time.perf_counter() - start, "listed": len(error.problems),
                      "total": error.total, "summary": error.summary, "chars": len(str(error)),
                      "peak_mib": peak_mib()}))
"""


def test_a_million_cut_rows_give_a_bounded_error(tmp_path: Path, shared_data: Path) -> None:
    """Read in a process of its own, so that its peak memory is measured alone."""
    path = tmp_path / "million.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("key,name,nuts_code\n")
        handle.writelines(f"k{n},Name\n" for n in range(1_000_000))
    done = subprocess.run(
        [sys.executable, "-c", _MILLION, str(path), str(shared_data)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert (result["listed"], result["total"]) == (MAX_PROBLEMS, 1_000_000), result
    assert "1,000,000 problems" in result["summary"] and result["chars"] < 10_000
    assert result["seconds"] < 60 and result["peak_mib"] < 600, result
