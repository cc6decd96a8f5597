"""``clusterhub scoreboard``: a region's Regional Ecosystem Scoreboard, and indicator imports.

``clusterhub scoreboard DE11`` is short for ``clusterhub scoreboard show DE11``. Both work on
the configured database, prepared first as the server does (migrated, observatory data and
computed indicators loaded once; the directory is not needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from clusterhub.cli._console import choice, console, friendly_errors
from clusterhub.cli._database import prepared_database
from clusterhub.errors import InvalidInput
from clusterhub.stats.vocabulary import METHODS

if TYPE_CHECKING:
    from clusterhub.services.scoreboard.schemas import ImportResult, ScorecardPublic


class _RegionDefault(TyperGroup):
    """A group whose unknown first word is a region code for ``show``."""

    # Typer vendors click privately: the signature is typed loosely rather than against it.
    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_RegionDefault,
    help="Regional Ecosystem Scoreboard: `clusterhub scoreboard REGION [--peers A,B]` scores a "
    "region; `clusterhub scoreboard import FILE` loads indicator values.",
    no_args_is_help=True,
)


@app.command("show")
def show_command(
    region: Annotated[str, typer.Argument(help="NUTS code, e.g. DE11.")],
    peers: Annotated[
        str | None,
        typer.Option(help="Up to 5 comma-separated peer regions; default: the closest 5."),
    ] = None,
    method: Annotated[str, typer.Option(help=f"Normalisation: {', '.join(METHODS)}.")] = "minmax",
    csv: Annotated[Path | None, typer.Option(help="Also write the scorecard to this CSV.")] = None,
) -> None:
    """Score a region on the six dimensions against its peers and name its bottlenecks."""
    import polars as pl

    from clusterhub.services.scoreboard import export, scorecards
    from clusterhub.stats.scoreboard import ScoreOptions

    with friendly_errors(), prepared_database() as (session, _reference):
        options = ScoreOptions(method=choice(method, METHODS, "method"))
        card = scorecards.region_scorecard(session, code=region, peers=peers, options=options)
        _print(card)
        if csv is not None:
            pl.DataFrame(export.scorecard_rows(card), infer_schema_length=None).select(
                export.SCORECARD_COLUMNS
            ).write_csv(csv)
            console.print(f"wrote {csv}")


@app.command("import")
def import_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="CSV region,indicator,year,value, or a Eurostat TSV / SDMX-CSV file; "
            "omitted with --eurostat: the data set from the mirror, cache or Eurostat."
        ),
    ] = None,
    eurostat: Annotated[
        str | None,
        typer.Option(
            help="Catalogue indicator the file holds, for an official Eurostat TSV or "
            "SDMX-CSV download of its data set."
        ),
    ] = None,
) -> None:
    """Import indicator values: every row or none; problems are listed with line and field.

    The import is recorded in the audit log as done by ``cli:<your OS user name>``."""
    from clusterhub.config import get_settings
    from clusterhub.services.audit import Actor
    from clusterhub.services.scoreboard import imports as scoreboard_imports

    by = Actor.command_line()
    with friendly_errors(), prepared_database() as (session, reference):
        if eurostat and file is None:
            result = scoreboard_imports.fetch_eurostat_indicator(
                session, indicator=eurostat, settings=get_settings(), reference=reference, by=by
            )
        elif eurostat and file is not None:
            result = scoreboard_imports.import_eurostat_file(
                session, file, indicator=eurostat, reference=reference, by=by
            )
        elif file is not None:
            result = scoreboard_imports.import_indicator_file(
                session, file, reference=reference, by=by
            )
        else:
            raise InvalidInput.single("give a FILE, --eurostat INDICATOR, or both", field="file")
        _print_import(result)


def _print(card: ScorecardPublic) -> None:
    peers = ", ".join(f"{p.code} {p.name or ''}".strip() for p in card.peers) or "none"
    console.print(
        f"[bold]{card.name or card.region}[/] ({card.region}, {card.level}): "
        f"{card.compared} regions compared; peers: {peers}"
    )
    console.print(f"[dim]codes compared: {card.nuts_version}[/]")
    table = Table(
        title=f"Regional ecosystem scoreboard ({card.method}; C: share of country-level values)"
    )
    for column in ("dimension", "score", "peer median", "indicators", "C", "bottleneck"):
        table.add_column(column, justify="right" if column != "dimension" else "left")
    for d in card.dimensions:
        verdict = "not assessed" if d.bottleneck is None else ("YES" if d.bottleneck else "no")
        if d.bottleneck and d.drivers:
            verdict += (
                f" ({', '.join(d.drivers)}{'; country-level only' if d.country_level_only else ''})"
            )
        share = "–" if d.country_level_share is None else f"{d.country_level_share:.0%}"
        table.add_row(
            d.name, _num(d.score), _num(d.peer_median), f"{d.available}/{d.in_use}", share, verdict
        )
    console.print(table)
    indicators = Table(title="Indicators (C: country-level value applied to the region)")
    for column in ("indicator", "C", "year", "value", "score", "peer median"):
        indicators.add_column(column, justify="left" if column in ("indicator", "C") else "right")
    for i in card.indicators:
        indicators.add_row(
            i.code,
            "C" if i.country_level else "",
            str(i.year),
            f"{i.value:g}",
            _num(i.score) if i.note is None else i.note,
            _num(i.peer_median_score),
        )
    console.print(indicators)
    for note in card.notes:
        console.print(f"[dim]{note}[/]")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _print_import(result: ImportResult) -> None:
    from clusterhub.services.scoreboard import scorecards

    console.print(
        f"imported {result.rows} values of {len(result.indicators)} indicator(s) "
        f"({', '.join(result.indicators)}) for {result.regions} regions from {result.file}"
    )
    skipped = result.skipped_aggregates + result.skipped_extra_regio
    if skipped:
        console.print(
            f"skipped {result.skipped_aggregates} aggregate and {result.skipped_extra_regio} "
            "Extra-Regio rows"
        )
    if result.recoded_summary:
        console.print(result.recoded_summary)
    if result.not_compared:
        console.print(
            f"{len(result.not_compared)} region code(s) stored but {scorecards.NOT_COMPARED}: "
            f"{', '.join(result.not_compared[:20])} (the scoreboard compares "
            f"{result.nuts_version})"
        )
