"""``clusterhub complexity``: relatedness and economic complexity of any long table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusterhub.cli._console import console, friendly_errors
from clusterhub.services.complexity import complexity_from_file, write_complexity
from clusterhub.stats.complexity import ComplexityOptions


def complexity_command(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            help="Long table with columns region,industry,year,value (CSV or Parquet).",
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output file: .csv, .parquet or .json.")],
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
) -> None:
    """RCA, Mcp, diversity, ubiquity, density, ECI, PCI, COI and COG per region x industry x year.

    Same conventions as the Harvard Growth Lab's ecomplexity package (see
    docs/methodology/complexity.md).
    """
    with friendly_errors():
        options = ComplexityOptions(rca_threshold=rca_threshold, continuous=continuous)
        with console.status("Computing relatedness and complexity"):
            result = complexity_from_file(input_path, options, blank_as_zero=blank_as_zero)
        write_complexity(result, out)
        for note in result.notes:
            console.print(f"[yellow]note:[/] {note}")
        years = ", ".join(str(y) for y in result.years)
        console.print(f"[green]wrote[/] {out} ({result.table.height:,} rows; years {years})")
