"""``clusterhub data``: see and fetch the public data sets into the local cache."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from clusterhub.cli._console import console, friendly_errors, reference_data

app = typer.Typer(help="List and fetch the public data sets (mirror, cache or download).")


@app.command("list")
def list_command() -> None:
    """The registered data sets, their official source and mirror path."""
    from clusterhub.datasets import DATASETS

    table = Table(title="Data sets")
    for column in ("key", "mirror path", "official source"):
        table.add_column(column)
    for key, spec in sorted(DATASETS.items()):
        table.add_row(key, spec.mirror_path, spec.url or "(mirror only)")
    console.print(table)


@app.command("fetch")
def fetch_command(
    keys: Annotated[
        list[str] | None,
        typer.Argument(help="Data set keys; default: every data set `serve` loads on start."),
    ] = None,
) -> None:
    """Make data sets available locally (from the mirror, the cache, or a download).

    Without keys: what a start of the platform reads, so that an install that was offline at
    its first start gets what it missed (the next `clusterhub serve` loads it).
    """
    from clusterhub.services.bootstrap import fetch_start_data

    with friendly_errors(), reference_data() as reference:
        found = [(k, reference.fetch(k)) for k in keys] if keys else fetch_start_data(reference)
        for key, path in found:
            console.print(f"{key}: {path}")
