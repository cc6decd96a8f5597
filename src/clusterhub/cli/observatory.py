"""Observatory commands: map, region, cluster, map-html, build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.table import Table

from clusterhub.cli._console import choice, console, friendly_errors, reference_data, step_progress
from clusterhub.services.observatory.vocabulary import MEASURE_LABELS, SOURCES, Measure
from clusterhub.stats.vocabulary import (
    ENGINE_NAMES,
    FILL_METHODS,
    MAX_ESTIMATED_SHARE,
    STAR_PRESET_NAMES,
)

if TYPE_CHECKING:
    import polars as pl

    from clusterhub.services.observatory.analytics import ClusterMap
    from clusterhub.services.observatory.profiles import ClusterProfile, RegionProfile
    from clusterhub.services.reference import ReferenceData

SourceOpt = Annotated[str, typer.Option("--source", help=f"Kind of input: {', '.join(SOURCES)}.")]
InputOpt = Annotated[
    Path | None,
    typer.Option("--input", help="Input file; default: the source's official data set."),
]
MapOpt = Annotated[
    Path | None,
    typer.Option("--map", help="A cluster map written by `clusterhub map` (skips recomputing)."),
]
YearOpt = Annotated[int | None, typer.Option(help="Year; default: the latest.")]
TopOpt = Annotated[int, typer.Option(min=1, help="How many rows to show.")]
EstimatedStarsOpt = Annotated[
    bool,
    typer.Option(
        "--estimated-stars/--no-estimated-stars",
        help="Show the stars of mostly estimated cells too (withheld by default).",
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        help=f"Compute engine: {', '.join(ENGINE_NAMES)} (default: CLUSTERHUB_ENGINE, polars).",
        show_default=False,
    ),
]
MaxEstimatedOpt = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="A cell more estimated than this share gets no stars (unless --estimated-stars).",
    ),
]


def register(app: typer.Typer) -> None:
    """Attach the observatory commands to the root app."""
    app.command("map")(map_command)
    app.command("region")(region_command)
    app.command("cluster")(cluster_command)
    app.command("map-html")(map_html_command)
    app.command("build")(build_command)


def map_command(
    out: Annotated[Path, typer.Option(help="Output file: .csv, .parquet or .json.")],
    source: SourceOpt = "eurostat-sbs",
    input_path: InputOpt = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            help="User-defined taxonomy (CSV or YAML, NACE codes), or `emerging` for the "
            "built-in 10 emerging industries."
        ),
    ] = None,
    fill: Annotated[str, typer.Option(help=f"Missing cells: {', '.join(FILL_METHODS)}.")] = (
        "parent-residual"
    ),
    level: Annotated[
        int | None, typer.Option(min=1, max=4, help="NACE level of the data; default: detected.")
    ] = None,
    classification: Annotated[
        str, typer.Option(help="Industry codes: auto, nace or naics (auto: 3-6 digits = NAICS).")
    ] = "auto",
    denominator: Annotated[str, typer.Option(help="LQ denominator: all or traded.")] = "all",
    stars: Annotated[
        str, typer.Option(help=f"Star rules: {', '.join(STAR_PRESET_NAMES)}.")
    ] = "eocic",
    growth_years: Annotated[int, typer.Option(min=1, help="Period of the growth rate.")] = 5,
    estimated_stars: EstimatedStarsOpt = False,
    max_estimated: MaxEstimatedOpt = MAX_ESTIMATED_SHARE,
    engine: EngineOpt = None,
) -> None:
    """Map clusters: one row per region x cluster x year with metrics and ratings (stars of
    cells more than half estimated withheld unless --estimated-stars)."""
    from clusterhub.config import get_settings
    from clusterhub.services.engines import engine_for
    from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
    from clusterhub.services.observatory.profiles import write_table
    from clusterhub.stats.mapping import RatingOptions
    from clusterhub.stats.metrics import MetricOptions
    from clusterhub.stats.ratings import STAR_PRESETS, withhold_stars

    with friendly_errors(), reference_data() as reference:
        request = MapRequest(
            source=choice(source, SOURCES, "source"),
            input_path=input_path,
            taxonomy_path=taxonomy,
            fill=choice(fill, FILL_METHODS, "fill"),
            nace_level=level,
            classification=choice(classification, ("auto", "nace", "naics"), "classification"),
            rating=RatingOptions(
                metrics=MetricOptions(
                    denominator=choice(denominator, ("all", "traded"), "denominator"),
                    growth_years=growth_years,
                ),
                stars=STAR_PRESETS[choice(stars, STAR_PRESET_NAMES, "stars")],
            ),
        )
        runner = engine_for(engine and choice(engine, ENGINE_NAMES, "engine"), get_settings())
        with console.status(f"Mapping clusters ({runner.name})"):
            result = build_cluster_map(request, reference, runner)
        table = withhold_stars(result.table, max_estimated, include_estimated=estimated_stars)
        write_table(table, out)
        _print_notes(result)
        console.print(f"[green]wrote[/] {out} ({result.table.height:,} rows)")


def region_command(
    code: Annotated[str, typer.Argument(help="Region code, e.g. DE21 (NUTS) or 06 (U.S. FIPS).")],
    source: SourceOpt = "eurostat-sbs",
    input_path: InputOpt = None,
    map_path: MapOpt = None,
    year: YearOpt = None,
    top: TopOpt = 10,
    estimated_stars: EstimatedStarsOpt = False,
    max_estimated: MaxEstimatedOpt = MAX_ESTIMATED_SHARE,
) -> None:
    """Profile of a region: its strongest clusters."""
    from clusterhub.services.observatory.profiles import region_profile

    with friendly_errors(), reference_data() as reference:
        table = _table(map_path, source, input_path, reference, (max_estimated, estimated_stars))
        _print_region(region_profile(table, code, year=year, top=top))


def cluster_command(
    code: Annotated[str, typer.Argument(help="Cluster code, e.g. 1 (Aerospace).")],
    source: SourceOpt = "eurostat-sbs",
    input_path: InputOpt = None,
    map_path: MapOpt = None,
    year: YearOpt = None,
    region_type: Annotated[
        str | None, typer.Option(help="nuts0..nuts3 or state; default: the most detailed.")
    ] = None,
    top: TopOpt = 10,
    estimated_stars: EstimatedStarsOpt = False,
    max_estimated: MaxEstimatedOpt = MAX_ESTIMATED_SHARE,
) -> None:
    """Profile of a cluster: the regions where it is strongest."""
    from clusterhub.services.observatory.profiles import cluster_profile

    with friendly_errors(), reference_data() as reference:
        table = _table(map_path, source, input_path, reference, (max_estimated, estimated_stars))
        _print_cluster(cluster_profile(table, code, year=year, region_type=region_type, top=top))


def map_html_command(
    cluster: Annotated[str, typer.Option(help="Cluster code to map.")],
    out: Annotated[Path, typer.Option(help="HTML file to write (self-contained, offline).")],
    measure: Annotated[str, typer.Option(help=f"One of {', '.join(MEASURE_LABELS)}.")] = "stars",
    region_type: Annotated[
        str, typer.Option(help="nuts0 .. nuts3, or state / county for U.S. CMP data.")
    ] = "nuts2",
    source: SourceOpt = "eurostat-sbs",
    input_path: InputOpt = None,
    map_path: MapOpt = None,
    year: YearOpt = None,
    estimated_stars: EstimatedStarsOpt = False,
    max_estimated: MaxEstimatedOpt = MAX_ESTIMATED_SHARE,
) -> None:
    """Write an offline interactive choropleth of one cluster's strength."""
    from clusterhub.services.observatory.maps import (
        MapLayer,
        cluster_figure,
        region_polygons,
        write_html,
    )
    from clusterhub.services.observatory.profiles import cluster_profile

    with friendly_errors(), reference_data() as reference:
        table = _table(map_path, source, input_path, reference, (max_estimated, estimated_stars))
        profile = cluster_profile(table, cluster, year=year, region_type=region_type)
        layer = MapLayer(
            cluster_code=cluster,
            cluster_name=profile.cluster_name or cluster,
            year=profile.year,
            measure=choice(measure, get_args(Measure), "measure"),
            region_type=region_type,
        )
        figure = cluster_figure(table, region_polygons(reference, region_type), layer)
        console.print(f"[green]wrote[/] {write_html(figure, out)}")


def build_command(
    out: Annotated[Path, typer.Option(help="Directory for the outputs.")] = Path("out"),
    region_pdfs: Annotated[
        int, typer.Option(min=0, help="Print the profiles of this many top NUTS 2 regions.")
    ] = 5,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Print the profile of every NUTS 2 region.")
    ] = False,
    engine: EngineOpt = None,
) -> None:
    """The main job: EU, EU emerging-industry and U.S. cluster maps, coverage and maps, and an
    HTML report with region and cluster profiles as PDF, into one folder."""
    from clusterhub.config import get_settings
    from clusterhub.services.engines import engine_for
    from clusterhub.services.observatory.build import BuildRequest
    from clusterhub.services.reports.build import ReportRequest, build_with_report

    with friendly_errors():
        runner = engine_for(engine and choice(engine, ENGINE_NAMES, "engine"), get_settings())
    build = BuildRequest(out_dir=out, engine=runner)
    request = ReportRequest(build, None if all_regions else region_pdfs)
    with friendly_errors(), reference_data() as reference, step_progress() as progress:
        summary = build_with_report(request, reference, progress=progress)
    for note in summary.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    for path in summary.files:
        console.print(f"[green]wrote[/] {path}")
    console.print(f"[bold]Report:[/] {out / 'report.html'}")


def _table(
    map_path: Path | None,
    source: str,
    input_path: Path | None,
    reference: ReferenceData,
    estimated: tuple[float, bool],
) -> pl.DataFrame:
    """The cluster map, read or built, with stars withheld as ``estimated`` says (the maximum
    estimated share, and whether to show the stars of cells above it anyway)."""
    from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
    from clusterhub.services.observatory.profiles import read_table
    from clusterhub.stats.ratings import withhold_stars

    if map_path is not None:
        table = read_table(map_path)
    else:
        request = MapRequest(source=choice(source, SOURCES, "source"), input_path=input_path)
        with console.status("Mapping clusters"):
            table = build_cluster_map(request, reference).table
    max_estimated, include = estimated
    return withhold_stars(table, max_estimated, include_estimated=include)


def _print_notes(result: ClusterMap) -> None:
    for note in result.notes:
        console.print(f"[dim]{note}[/]", highlight=False)


def _fmt(value: object, spec: str = ",.0f") -> str:
    return "–" if value is None else format(value, spec)


ESTIMATED_CAPTION = (
    "est.: share of employment estimated, filled (confidential cells) or apportioned (industry "
    "codes shared among classes); stars withheld where it is above --max-estimated"
)


def _us_rule(row: dict[str, Any], flags: tuple[str, ...]) -> str:
    """The strictest U.S. flag a row meets among ``flags`` (strictest last), "–" if unrated."""
    if all(row[flag] is None for flag in flags):
        return "–"
    met = [flag for flag in flags if row[flag]]
    return met[-1] if met else ""


def _years_caption(year: int, years: tuple[int, ...], rows: pl.DataFrame) -> str:
    """Which year is shown of which, and the growth period (or why there is no growth)."""
    from clusterhub.stats.series import year_span

    shown = (
        f"{year} of {year_span(years)} (another with --year)"
        if len(years) > 1
        else f"{year}, the only year of the map"
    )
    from clusterhub.services.observatory.maps import growth_starts

    starts = growth_starts(rows)
    if starts:
        growth = f"growth: compound annual growth per year {starts[0]}–{year} (CAGR)"
    else:
        growth = f"growth: none for {year}, the map has no figures for its start year"
    return f"year {shown}; {growth}"


def _print_region(profile: RegionProfile) -> None:
    name = profile.region_name or profile.region_code
    years = _years_caption(profile.year, profile.years, profile.clusters)
    _print_metrics(
        Table(
            title=f"{name} ({profile.region_code}, {profile.region_type}), {profile.year}",
            caption=f"total employment {_fmt(profile.total_employment)}; {years}; "
            f"{ESTIMATED_CAPTION}",
        ),
        profile.clusters,
        first="cluster",
        label=lambda row: (
            f"{row.get('cluster_name') or row['cluster_code']} ({row['cluster_code']})"
        ),
        share=("share of region", "focus"),
        flags=("strong", "strong10"),
    )


def _print_cluster(profile: ClusterProfile) -> None:
    counts = ", ".join(f"{k}★: {v}" for k, v in profile.star_counts.items())
    years = _years_caption(profile.year, profile.years, profile.regions)
    _print_metrics(
        Table(
            title=f"{profile.cluster_name or profile.cluster_code} ({profile.cluster_code}), "
            f"{profile.region_type}, {profile.year}",
            caption=f"regions by stars — {counts}; {years}; {ESTIMATED_CAPTION}",
        ),
        profile.regions,
        first="region",
        label=lambda row: f"{row.get('region_name') or ''} ({row['region_code']})",
        share=("share of cluster", "size_share"),
        flags=("strong",),
    )


def _print_metrics(
    table: Table,
    rows: pl.DataFrame,
    *,
    first: str,
    label: Callable[[dict[str, Any]], str],
    share: tuple[str, str],
    flags: tuple[str, ...],
) -> None:
    """One profile table: a label column, employment, LQ, a share, the estimated share, stars
    (or why they are withheld) and U.S. flags."""
    share_title, share_column = share
    growth = "growth" in rows.columns and rows.get_column("growth").is_not_null().any()
    # One space between columns: with growth the table still fits an 80-column terminal.
    table.collapse_padding = True
    table.add_column(first, min_width=12)  # names stay readable on an 80-column terminal
    for column in ("employed", "LQ", share_title, *(["growth"] if growth else [])):
        table.add_column(column, justify="right")
    for column in ("est.", "stars", "U.S."):
        table.add_column(column, justify="right")
    for row in rows.iter_rows(named=True):
        value = row[share_column]
        estimated = row.get("estimated_share")
        rate = row.get("growth")
        table.add_row(
            label(row),
            _fmt(row["employment"]),
            _fmt(row["lq"], ".2f"),
            _fmt(None if value is None else 100 * value, ".1f") + " %",
            *([_fmt(None if rate is None else 100 * rate, "+.1f") + " %"] if growth else []),
            _fmt(None if estimated is None else 100 * estimated, ".0f") + " %",
            "withheld" if row.get("stars_withheld") else "★" * int(row["stars"] or 0),
            _us_rule(row, flags),
        )
    console.print(table)
