"""``clusterhub recommend partners``: new partners for organisations, each with its reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusterhub.cli._console import console, friendly_errors

app = typer.Typer(
    help="Recommend new partners from the collaboration network.", no_args_is_help=True
)


@app.command("partners")
def partners_command(
    participations: Annotated[
        Path,
        typer.Option(help="Participations CSV in the CORDIS layout (h2020_participations.csv.gz)."),
    ],
    queries: Annotated[
        Path,
        typer.Option(
            help="Organisation ids, one per line; or a CSV with the header "
            "query,type,country,programme_parts for newcomers."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output CSV: query,rank,partner,score,reasons.")],
    programme_parts: Annotated[
        Path | None, typer.Option(help="Programme parts CSV (rcn,programme_part).")
    ] = None,
    top: Annotated[int, typer.Option(help="Partners per organisation.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the ranker's training (reproducible).")] = 0,
) -> None:
    """Learn from the participations file alone and write each query's best new partners
    (never itself, never an existing partner), with the reasons in plain words."""
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
