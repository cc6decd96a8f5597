"""``clusterhub register``: a cluster map from an establishment register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusterhub.cli._console import choice, console, friendly_errors, reference_data
from clusterhub.cli.observatory import EngineOpt, EstimatedStarsOpt, MaxEstimatedOpt
from clusterhub.stats.vocabulary import MAX_ESTIMATED_SHARE

LAYOUTS = ("sirene", "generic")
CLASSIFICATIONS = ("nace", "naics", "sic")


def register_command(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            help="The register: CSV, Parquet, or a folder of Parquet files (SIRENE "
            "StockEtablissement, or the generic layout id,activity,location,employees|band).",
        ),
    ],
    places: Annotated[
        Path,
        typer.Option(
            help="Location-to-NUTS 3 correspondence: Eurostat's LAU-NUTS file (.xlsx or .csv) "
            "or a TERCET postcode file."
        ),
    ],
    year: Annotated[int, typer.Option(help="Reference year of the register's employment.")],
    out: Annotated[
        Path | None,
        typer.Option(help="The cluster map: .csv, .parquet or .json (omit to write only cells)."),
    ] = None,
    layout: Annotated[str, typer.Option(help=f"Layout: {', '.join(LAYOUTS)}.")] = "sirene",
    level: Annotated[int, typer.Option(min=0, max=3, help="NUTS level of the map.")] = 3,
    classification: Annotated[
        str,
        typer.Option(help=f"Generic layout: {', '.join(CLASSIFICATIONS)} activity codes."),
    ] = "nace",
    version: Annotated[str, typer.Option(help="Generic layout: classification version.")] = "2",
    cells_out: Annotated[
        Path | None,
        typer.Option(
            help="Write the region x industry cells here (.csv, .parquet or .json); as CSV or "
            "Parquet, `clusterhub map --source long --input` maps them later, estimates kept."
        ),
    ] = None,
    engine: EngineOpt = None,
    estimated_stars: EstimatedStarsOpt = False,
    max_estimated: MaxEstimatedOpt = MAX_ESTIMATED_SHARE,
) -> None:
    """Map clusters from establishments: place each one (its municipality's NUTS 3 region),
    class it, sum employment (head counts, or size-band midpoints, which are estimates, so
    their stars are withheld unless --estimated-stars) and rate the clusters; every row not
    counted is reported with its reason. Spark (--engine spark) reads the register where it
    lies. With --cells-out and no --out, only the cells are written (any classification,
    SIC included)."""
    from clusterhub.config import get_settings
    from clusterhub.errors import InvalidInput
    from clusterhub.services.engines import engine_for
    from clusterhub.services.observatory.profiles import write_table
    from clusterhub.services.observatory.registers import (
        RegisterRequest,
        map_register,
        register_cells,
    )
    from clusterhub.stats.ratings import withhold_stars
    from clusterhub.stats.registers.cells import Register
    from clusterhub.stats.registers.layouts import GenericLayout
    from clusterhub.stats.vocabulary import ENGINE_NAMES

    with friendly_errors():
        if out is None and cells_out is None:
            raise InvalidInput.single(
                "expected --out (the cluster map), --cells-out (the cells) or both", field="out"
            )
        generic = GenericLayout(
            choice(classification, CLASSIFICATIONS, "classification"),  # type: ignore[arg-type]
            version,
        )
        register = Register(input_path, choice(layout, LAYOUTS, "layout"), generic)  # type: ignore[arg-type]
        runner = engine_for(engine and choice(engine, ENGINE_NAMES, "engine"), get_settings())
        request = RegisterRequest(register, places, year, level)
        with reference_data() as reference, console.status(f"Reading the register ({runner.name})"):
            # Cells alone need no taxonomy: SIC registers and staged runs stop here.
            result = None if out is None else map_register(request, reference, runner)
            cells = register_cells(request, runner) if result is None else result.cells
        if cells_out is not None:
            write_table(cells.cells, cells_out)
            console.print(f"[green]wrote[/] {cells_out} ({cells.cells.height:,} cells)")
        if result is not None and out is not None:
            table = withhold_stars(
                result.cluster_map.table, max_estimated, include_estimated=estimated_stars
            )
            write_table(table, out)
    # The map's notes begin with the placement report.
    for note in cells.placement.lines() if result is None else result.cluster_map.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    if result is not None:
        console.print(f"[green]wrote[/] {out} ({result.cluster_map.table.height:,} rows)")
