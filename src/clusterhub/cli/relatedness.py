"""``clusterhub related-clusters`` and ``clusterhub diversify``: relatedness between clusters,
and the clusters a region could grow into."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from clusterhub.cli._console import choice, console, friendly_errors, reference_data
from clusterhub.errors import NotFound
from clusterhub.services.observatory.vocabulary import REGION_LEVEL, RELATED_SOURCES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clusterhub.services.observatory.relatedness import RelatedClusters
    from clusterhub.services.observatory.schemas import DiversificationPublic

NO_DATA = (
    "the database {url} holds no observatory data set; run `clusterhub serve` once (it loads "
    "the built-in EU and U.S. data sets on first start) or `clusterhub serve --reload-data`"
)


def register(app: typer.Typer) -> None:
    """Attach the relatedness commands to the root app."""
    app.command("related-clusters")(related_clusters_command)
    app.command("diversify")(diversify_command)


def related_clusters_command(
    source: Annotated[
        str, typer.Option(help=f"Regions to measure on: {', '.join(RELATED_SOURCES)}.")
    ] = "cmp-states",
    out: Annotated[
        Path | None,
        typer.Option(help="Write the pair table (.csv, .parquet or .json)."),
    ] = None,
    continuous: Annotated[
        bool, typer.Option(help="Proximity from the correlation of RCA instead of Mcp.")
    ] = False,
) -> None:
    """Cluster-to-cluster proximity from co-specialisation, compared with the U.S. Cluster
    Mapping Project's published related pairs (rel_all_90_v3)."""
    from clusterhub.services.observatory.profiles import write_table
    from clusterhub.services.observatory.relatedness import related_clusters
    from clusterhub.stats.complexity import ComplexityOptions

    with friendly_errors(), reference_data() as reference:
        chosen = choice(source, RELATED_SOURCES, "source")
        with console.status("Measuring proximity between clusters"):
            result = related_clusters(chosen, reference, ComplexityOptions(continuous=continuous))
        _print_overlap(result)
        if out is not None:
            write_table(result.pairs, out)
            console.print(f"[green]wrote[/] {out} ({result.pairs.height:,} pairs)")


def _print_overlap(result: RelatedClusters) -> None:
    o = result.overlap
    table = Table(
        title=f"Related clusters: {REGION_LEVEL[result.source]} ({result.regions}), "
        f"{result.year}, against the CMP's published pairs",
        caption=f"top N = the {o.top_n} pairs of highest proximity; {o.tied_at_cut} pair(s) "
        f"tie at the cut (proximity {o.cut_proximity:.3f}), broken by cluster code",
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("clusters compared", f"{o.clusters}"),
        ("pairs (unordered, no self-pairs)", f"{o.all_pairs:,}"),
        ("published related pairs", f"{o.published}"),
        ("our top N pairs", f"{o.top_n}"),
        ("overlap", f"{o.overlap}"),
        ("expected overlap by chance", f"{o.expected_by_chance:.1f}"),
        ("precision", f"{o.precision:.3f}"),
        ("recall", f"{o.recall:.3f}"),
        ("Jaccard", f"{o.jaccard:.3f}"),
        ("Spearman with published co-location", f"{o.spearman_colocation:.3f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]{note}[/]", highlight=False)


@contextmanager
def _session() -> Iterator[Session]:
    """A read session on the configured database, which must hold a data set."""
    from clusterhub.config import get_settings
    from clusterhub.services.observatory.datasets import list_datasets
    from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

    settings = get_settings()
    engine = make_engine(settings)
    upgrade(engine)
    try:
        with transaction(make_session_factory(engine)) as session:
            if not list_datasets(session):
                raise NotFound(NO_DATA.format(url=settings.database_url))
            yield session
    finally:
        engine.dispose()


def diversify_command(
    region: Annotated[str, typer.Argument(help="Region code, e.g. DE11 (NUTS) or 06 (state).")],
    dataset: Annotated[
        str | None, typer.Option(help="Data set key; default: the first that has the region.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Year; default: the latest.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many paths to show.")] = 10,
) -> None:
    """Diversification paths of a region: clusters it is not specialised in, by relatedness
    density, with the specialisations behind each and the regions abroad strong in it."""
    from clusterhub.services.observatory.diversification import region_diversification

    with friendly_errors(), _session() as session:
        result = region_diversification(
            session, code=region, dataset=dataset, year=year, limit=limit
        )
        _print_paths(result)


def _print_paths(result: DiversificationPublic) -> None:
    name = result.region_name or result.region_code
    held = ", ".join(f"{s.cluster_name} ({s.cluster_code})" for s in result.specialisations)
    console.print(
        f"[bold]{name}[/] ({result.region_code}, {result.region_type}, {result.year}, "
        f"{result.dataset}): specialised in {held or 'no cluster'}",
        highlight=False,
    )
    table = Table(
        title="Diversification paths",
        caption=f"{result.regions_compared} regions x {result.clusters_compared} clusters; "
        "density = share of the cluster's proximity-weighted neighbours the region holds",
    )
    elsewhere = "strong in other states" if result.region_type == "state" else "strong abroad"
    for column in ("cluster", "density", "COG", "RCA", "neighbours", elsewhere):
        table.add_column(column, justify="right" if column in ("density", "COG", "RCA") else "left")
    for path in result.paths:
        table.add_row(
            f"{path.cluster_name} ({path.cluster_code})",
            f"{path.density:.3f}",
            f"{path.cog:.3f}",
            f"{path.rca:.2f}",
            ", ".join(f"{n.cluster_code} ({n.proximity:.2f})" for n in path.neighbours),
            ", ".join(r.code for r in path.strong_elsewhere),
        )
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
