"""``clusterhub complexity``: relatedness and economic complexity of any long table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli._console import choice, console, friendly_errors, reference_data
from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.vocabulary import SBS_REGION_TYPES
from clusterhub.stats.vocabulary import ENGINE_NAMES

if TYPE_CHECKING:
    from clusterhub.stats.complexity import ComplexityOptions, ComplexityTable
    from clusterhub.stats.engines import Engine

SOURCES = ("long", "eurostat-sbs")


def complexity_command(
    out: Annotated[Path, typer.Option(help="Output file: .csv, .parquet or .json.")],
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="Long table with columns region,industry,year,value (CSV or Parquet).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            help="long (the --input file) or eurostat-sbs (SBS employment x NACE divisions)."
        ),
    ] = "long",
    region_type: Annotated[
        str, typer.Option(help=f"With eurostat-sbs: {', '.join(SBS_REGION_TYPES)}.")
    ] = "nuts2",
    rca_threshold: Annotated[
        float, typer.Option(min=0.0, help="Specialised (Mcp = 1) when RCA >= this.")
    ] = 1.0,
    continuous: Annotated[
        bool,
        typer.Option(help="Proximity from RCA correlation and RCA-weighted density."),
    ] = False,
    blank_as_zero: Annotated[
        bool, typer.Option(help="Read blank or NA values as 0 instead of refusing the file.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help=f"Compute engine: {', '.join(ENGINE_NAMES)} (default: CLUSTERHUB_ENGINE, "
            "polars). Spark solves each year in a task of its own.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """RCA, Mcp, diversity, ubiquity, density, ECI, PCI, COI and COG per region x industry x year.

    Same conventions as the Harvard Growth Lab's ecomplexity package (see
    docs/methodology/complexity.md).
    """
    from clusterhub.config import get_settings
    from clusterhub.services.engines import engine_for
    from clusterhub.services.observatory.profiles import write_table
    from clusterhub.stats.complexity import ComplexityOptions

    with friendly_errors():
        options = ComplexityOptions(rca_threshold=rca_threshold, continuous=continuous)
        runner = engine_for(engine and choice(engine, ENGINE_NAMES, "engine"), get_settings())
        result = _compute(
            choice(source, SOURCES, "source"),
            input_path,
            region_type,
            (options, runner),
            blank_as_zero=blank_as_zero,
        )
        write_table(result.table, out)
        for note in result.notes:
            console.print(f"[yellow]note:[/] {note}")
        years = ", ".join(str(y) for y in result.table.get_column("year").unique().sort())
        console.print(f"[green]wrote[/] {out} ({result.table.height:,} rows; years {years})")


def _compute(
    source: str,
    input_path: Path | None,
    region_type: str,
    how: tuple[ComplexityOptions, Engine],
    *,
    blank_as_zero: bool,
) -> ComplexityTable:
    from clusterhub.services.observatory.complexity import complexity_from_file, complexity_of_sbs

    if source == "eurostat-sbs":
        with reference_data() as reference, console.status("Computing complexity of SBS"):
            return complexity_of_sbs(reference, region_type, *how)
    if input_path is None:
        raise InvalidInput.single("a long table needs --input FILE", field="input")
    with console.status("Computing relatedness and complexity"):
        return complexity_from_file(input_path, how[0], blank_as_zero=blank_as_zero, engine=how[1])
