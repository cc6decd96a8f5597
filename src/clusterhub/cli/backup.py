"""``clusterhub backup`` and ``clusterhub restore``: the whole database to one file and back.

The services are imported when a command runs, not when the CLI starts: ``clusterhub --help``
stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from clusterhub.cli._console import choice, console, errors, friendly_errors, reference_data

if TYPE_CHECKING:
    from clusterhub.services.backup import Format, Manifest

FORMATS: tuple[Format, ...] = ("native", "logical")


def backup_command(
    file: Annotated[Path, typer.Argument(help="Backup file to write (a .zip archive).")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="native: SQLite online backup or pg_dump (falls back to logical when pg_dump "
            "cannot dump the server); logical: JSON lines of every table, restorable into "
            "SQLite and PostgreSQL alike.",
        ),
    ] = "native",
    overwrite: Annotated[bool, typer.Option(help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a consistent backup of the configured database to FILE (safe while serving)."""
    from clusterhub.config import get_settings
    from clusterhub.services.audit import Actor
    from clusterhub.services.backup import backup_database

    with friendly_errors():
        result = backup_database(
            get_settings(),
            file,
            by=Actor.command_line(),
            format=choice(format, FORMATS, "format"),
            overwrite=overwrite,
        )
    if result.note:
        console.print(f"[yellow]note:[/] {result.note}; wrote the logical format instead")
    manifest = result.manifest
    rows = sum(t.rows for t in manifest.tables)
    console.print(
        f"[green]wrote[/] {result.path} ({manifest.payload}, {len(manifest.tables)} tables, "
        f"{rows:,} rows, revision {manifest.revision}, {file.stat().st_size:,} bytes)"
    )


def restore_command(
    file: Annotated[Path, typer.Argument(help="Backup file made by 'clusterhub backup'.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the configured database's contents with the backup in FILE, all or nothing.

    The file is verified first (checksums, row counts, schema revision); an older schema is
    migrated to this version's, and the keyword index is rebuilt from the restored profiles.
    """
    from clusterhub.config import get_settings
    from clusterhub.services.audit import Actor
    from clusterhub.services.backup import restore_database
    from clusterhub.services.reference import Catalogues

    settings = get_settings()
    target = _describe(settings.database_url)

    def approve(manifest: Manifest) -> None:
        _show(manifest)
        if not yes:
            typer.confirm(f"Replace every clusterhub table of {target}?", abort=True, err=True)

    with friendly_errors():
        with reference_data(settings) as reference:  # before the question: may download
            catalogues = Catalogues.from_reference(reference)
        result = restore_database(
            settings, file, catalogues=catalogues, by=Actor.command_line(), approve=approve
        )
    rows = sum(t.rows for t in result.manifest.tables)
    console.print(f"[green]restored[/] {rows:,} rows into {target}")
    if result.migrated_from is not None:
        console.print(f"migrated from revision {result.migrated_from} to {result.revision}")
    if result.reindexed is not None:
        console.print(f"keyword index rebuilt for {result.reindexed:,} profiles")


def _show(manifest: Manifest) -> None:
    """What the backup holds, on the error console (stdout stays for results)."""
    table = Table(title=f"Backup of {manifest.created_at}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("format", f"{manifest.payload}, from {manifest.database}")
    table.add_row("made by", f"clusterhub {manifest.clusterhub_version}")
    table.add_row("schema revision", manifest.revision)
    table.add_row("tables", str(len(manifest.tables)))
    table.add_row("rows", f"{sum(t.rows for t in manifest.tables):,}")
    errors.print(table)


def _describe(url: str) -> str:
    """The database a URL points to, without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
