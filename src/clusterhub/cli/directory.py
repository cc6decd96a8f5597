"""``clusterhub directory``: load, generate and export directory profiles.

Every command runs in one transaction on the configured database: an import either happens
completely or not at all, and running it again changes nothing (profiles are keyed by their
source's identifiers). Each writing command records one audit entry by ``cli:<OS user>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from clusterhub.cli._console import (
    choice,
    console,
    errors,
    friendly_errors,
    reference_data,
    step_progress,
)
from clusterhub.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clusterhub.services.schemas import ImportReport

app = typer.Typer(help="Load, generate and export the directory's organisation profiles.")
SOURCES = ("cmp-orgs", "cordis", "file")


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on the configured database (migrated first)."""
    from clusterhub.config import get_settings
    from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

    engine = make_engine(get_settings())
    upgrade(engine)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _embedding_progress(title: str) -> Iterator[Callable[[int], None]]:
    """A counter of profiles embedded (the slow part of big imports; the total is unknown)."""
    with step_progress() as update:
        done = [0]

        def advance(count: int) -> None:
            done[0] += count
            update(title, done[0], done[0])

        yield advance


def _print(report: ImportReport) -> None:
    table = Table(title=f"Import from {report.source}")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in (
        ("rows", report.rows),
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        *report.extra.items(),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)


@app.command("import")
def import_command(
    source: Annotated[str, typer.Option(help=f"One of: {', '.join(SOURCES)}.")],
    path: Annotated[
        Path | None,
        typer.Argument(
            help="The file (required for 'file'); for others overrides the data set (for "
            "'cordis': the participations table, or the official export .zip)."
        ),
    ] = None,
    programme_parts: Annotated[
        Path | None,
        typer.Option(help="cordis only: the programme-parts file (default: the data set)."),
    ] = None,
    embed: Annotated[
        bool, typer.Option(help="Compute sentence embeddings for semantic search now.")
    ] = True,
) -> None:
    """Create or update profiles from a data set or a CSV/JSON/XLSX file, by stable key.

    A file changes only the columns it has: a column left out (a key left out of a JSON
    object) leaves that field of existing profiles as it is, while an empty cell (in JSON
    null, an empty text or list) clears it. A damaged file (cut short, a cell lost or added,
    a CSV without its final line break, not UTF-8) is refused with its line and nothing is
    imported; the command then exits with status 1.
    """
    from clusterhub.services.audit import Actor
    from clusterhub.services.directory import cordis, io, sources
    from clusterhub.services.embeddings import load_embedder
    from clusterhub.services.reference import Catalogues

    by = Actor.command_line()
    with friendly_errors(), reference_data() as reference:
        kind = choice(source, SOURCES, "source")
        catalogues = Catalogues.from_reference(reference)
        embedder = load_embedder() if embed else None
        with _embedding_progress("embedding profiles") as progress, _session() as session:
            if kind == "file":
                if path is None:
                    raise InvalidInput.single("give the file to import", field="PATH")
                report = io.import_file(
                    session, path=path, catalogues=catalogues, embedder=embedder, by=by,
                    progress=progress,
                )  # fmt: skip
            elif kind == "cmp-orgs":
                report = sources.load_cmp_organisations(
                    session,
                    path=path or reference.fetch("cmp-orgs"),
                    catalogues=catalogues,
                    embedder=embedder,
                    by=by,
                    progress=progress,
                )
            else:
                files = cordis.cordis_inputs(reference, path=path, programme_parts=programme_parts)
                report = cordis.load_cordis(
                    session,
                    participations_path=files.participations_path,
                    programme_parts_path=files.programme_parts_path,
                    names_path=files.names_path,
                    export_path=files.export_path,
                    catalogues=catalogues,
                    embedder=embedder,
                    by=by,
                    progress=progress,
                )
        _print(report)


@app.command("partnerships")
def partnerships_command() -> None:
    """Load the 23 EU 'Clusters Go International' partnerships (ESCP-4i, 2018-2019)."""
    from clusterhub.services.audit import Actor
    from clusterhub.services.directory import sources

    with friendly_errors(), _session() as session:
        report = sources.load_partnerships(session, by=Actor.command_line())
    _print(report)


@app.command("demo")
def demo_command(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many profiles.")] = 300,
    seed: Annotated[int, typer.Option(help="Same seed, same profiles.")] = 0,
    remove: Annotated[
        bool, typer.Option("--remove", help="Delete every synthetic profile instead.")
    ] = False,
    embed: Annotated[
        bool, typer.Option(help="Compute sentence embeddings for semantic search now.")
    ] = True,
) -> None:
    """Add clearly marked synthetic cluster organisations (for demos and load tests)."""
    from clusterhub.demo import load_demo, remove_demo
    from clusterhub.services.audit import Actor
    from clusterhub.services.embeddings import load_embedder

    with friendly_errors():
        if remove:
            with _session() as session:
                removed = remove_demo(session, by=Actor.command_line())
            console.print(f"[green]removed[/] {removed:,} synthetic profiles")
            return
        with reference_data() as reference, _embedding_progress("embedding") as progress:
            embedder = load_embedder() if embed else None
            with _session() as session:
                report = load_demo(
                    session,
                    reference=reference,
                    count=count,
                    seed=seed,
                    embedder=embedder,
                    by=Actor.command_line(),
                    progress=progress,
                )
        _print(report)


@app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help="Output file (.csv, .json or .xlsx).")],
    format: Annotated[
        str | None, typer.Option("--format", help="csv, json or xlsx; default: from the suffix.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only profiles of this source.")] = None,
) -> None:
    """Write profiles as an import file (contacts included: keep it private)."""
    from clusterhub.services.directory import io

    with friendly_errors(), _session() as session:
        rows = io.export_profiles(session, path=path, format=format, source=source)
    errors.print(f"[green]wrote[/] {rows:,} profiles to {path}")
