"""``clusterhub recommend partners``: new partners for organisations, each with its reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from clusterhub.cli._console import console, friendly_errors

app = typer.Typer(
    help="Recommend new partners from the collaboration network.", no_args_is_help=True
)


@app.command("partners")
def partners_command(
    participations: Annotated[
        Path | None,
        typer.Option(help="Participations CSV in the CORDIS layout (h2020_participations.csv.gz)."),
    ] = None,
    queries: Annotated[
        Path | None,
        typer.Option(
            help="Organisation ids, one per line; or a CSV with the header "
            "query,type,country,programme_parts for newcomers."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output CSV: query,rank,partner,score,reasons.")
    ] = None,
    programme_parts: Annotated[
        Path | None, typer.Option(help="Programme parts CSV (rcn,programme_part).")
    ] = None,
    org: Annotated[
        int | None,
        typer.Option(
            help="A directory profile's id: suggest its partners from the platform's own "
            "database instead of files."
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Partners per organisation.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the ranker's training (reproducible).")] = 0,
) -> None:
    """Learn from the participations file alone and write each query's best new partners
    (never itself, never an existing partner), with the reasons in plain words; or, with
    ``--org``, learn from the platform's database and show one profile's suggestions."""
    if org is not None:
        if participations or queries:
            _refuse("--org reads the platform's database: give no --participations or --queries")
        _database_partners(org, top=top, seed=seed, out=out)
        return
    if participations is None or queries is None or out is None:
        _refuse("give --participations, --queries and --out (or --org ID)")
    _file_partners(participations, queries, out, programme_parts, top=top, seed=seed)


def _refuse(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def _file_partners(
    participations: Path, queries: Path, out: Path, programme_parts: Path | None, *, top: int,
    seed: int,
) -> None:  # fmt: skip
    from clusterhub.services.recommend.files import recommend_from_files, write_recommendations

    with friendly_errors():
        with console.status("Learning from the participations and ranking partners"):
            run = recommend_from_files(
                participations, queries, programme_parts=programme_parts, top=top, seed=seed
            )
        write_recommendations(run.recommendations, out)
        console.print(
            f"[green]wrote[/] {out}: {len(run.recommendations):,} recommendations, learned from "
            f"{run.projects:,} projects of {run.organisations:,} organisations"
        )
        if run.unknown:
            shown = ", ".join(run.unknown[:5]) + (" ..." if len(run.unknown) > 5 else "")
            console.print(
                f"[yellow]{len(run.unknown):,} queries got no recommendation[/] (not in the "
                f"participations file and no profile given, or no candidate): {shown}"
            )


def _database_partners(org: int, *, top: int, seed: int, out: Path | None) -> None:
    from rich.table import Table

    from clusterhub.cli._database import prepared_database
    from clusterhub.services.recommend.partners import suggest_now, write_suggestions

    with friendly_errors(), prepared_database() as (session, reference):
        with console.status("Learning from the stored projects (about a minute)"):
            found = suggest_now(session, organisation_id=org, reference=reference, top=top,
                                seed=seed)  # fmt: skip
        console.print(f"Suggested partners of organisation {org}, {found.basis_text}.")
        if found.message:
            console.print(f"[yellow]{found.message}[/]")
        table = Table("#", "partner", "country", "why")
        for item in found.items:
            why = "\n".join(f"- {r.text}" for r in item.reasons)
            table.add_row(str(item.rank), f"{item.partner.name} ({item.partner.id})",
                          item.partner.country or "", why)  # fmt: skip
        console.print(table)
        if out is not None:
            write_suggestions(found, out)
            console.print(f"[green]wrote[/] {out}")
