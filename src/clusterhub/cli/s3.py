"""``clusterhub s3``: Smart Specialisation strategies: import, the coding assistant, a region's
priorities beside its strong clusters, and what the seed document says.

``import`` and ``region`` work on the configured database, prepared first as the server does
(migrated, observatory data loaded; the directory is not needed). ``code`` needs no database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clusterhub.cli._console import console, friendly_errors, reference_data
from clusterhub.cli._database import prepared_database

if TYPE_CHECKING:
    from clusterhub.services.s3.schemas import CodingProposal, PartnerRegion, RegionComparison

app = typer.Typer(
    help="Smart Specialisation (S3): `clusterhub s3 import FILE` loads strategies and "
    "partnerships; `clusterhub s3 code TEXT` proposes codes; `clusterhub s3 region NUTS` "
    "sets priorities beside strong clusters.",
    no_args_is_help=True,
)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or XLSX in the layout of docs/reference/s3-import.md."),
    ],
) -> None:
    """Import S3 strategies with their priorities, and thematic partnerships: every row or
    none; problems are listed with file, line and field.

    The import is recorded in the audit log as done by ``cli:<your OS user name>``."""
    from clusterhub.errors import NotFound
    from clusterhub.services.audit import Actor
    from clusterhub.services.s3 import imports
    from clusterhub.services.s3.mapping import S3Codes

    with friendly_errors():
        if not file.is_file():
            raise NotFound(f"no file {file}")
        with prepared_database() as (session, reference):
            summary = imports.import_file(
                session, path=file, codes=S3Codes.from_reference(reference),
                by=Actor.command_line(),
            )  # fmt: skip
    console.print(
        f"imported {summary.file}: {summary.strategies_created} strategies created, "
        f"{summary.strategies_replaced} replaced ({summary.priorities} priorities); "
        f"{summary.partnerships_created} partnerships created, "
        f"{summary.partnerships_replaced} replaced"
    )


@app.command("code")
def code_command(
    text: Annotated[str, typer.Argument(help="A priority's title and description.")],
    top: Annotated[int, typer.Option(min=1, max=50, help="NACE classes to propose.")] = 8,
    keyword: Annotated[
        bool, typer.Option(help="Match words only, without the sentence model.")
    ] = False,
) -> None:
    """Propose NACE classes (and their cluster categories), Fields of Science and policy
    objectives for a priority text, each with its score and what matched. Nothing is stored."""
    from clusterhub.classify.s3_axes import default_vocabularies
    from clusterhub.services.embeddings import load_embedder
    from clusterhub.services.s3.coding import CodingAssistant
    from clusterhub.services.s3.mapping import ClusterMapping

    with friendly_errors(), reference_data() as reference:
        embedder = None if keyword else load_embedder()
        assistant = CodingAssistant(
            reference, ClusterMapping.from_reference(reference), default_vocabularies(), embedder
        )
        _print_proposal(assistant.propose(text, top=top))


@app.command("region")
def region_command(
    region: Annotated[str, typer.Argument(help="NUTS code, e.g. ES21.")],
    partners: Annotated[
        int, typer.Option(min=0, max=100, help="Partner regions to list (0: none).")
    ] = 10,
) -> None:
    """A region's S3 priorities beside its strong clusters, and partner regions by shared
    priorities and complementary strengths."""
    from clusterhub.services.s3 import compare
    from clusterhub.services.s3.mapping import S3Codes

    with friendly_errors(), prepared_database() as (session, reference):
        codes = S3Codes.from_reference(reference)
        comparison = compare.compare_region(session, region=region, codes=codes)
        _print_comparison(comparison)
        if partners and comparison.strategy is not None:
            _print_partners(
                compare.partner_regions(session, region=region, codes=codes, top=partners)
            )


@app.command("facts")
def facts_command() -> None:
    """What the seed document states about Smart Specialisation, with its source."""
    from clusterhub.services.s3.seed import seed_facts

    with friendly_errors():
        facts = seed_facts()
    for platform in facts.platforms:
        console.print(
            f"[bold]{platform.name}[/]: {platform.regions} regions in {platform.thematic_areas} "
            f"thematic areas (\u201c{platform.stated_as}\u201d) {platform.url}"
        )
        console.print(f"[dim]{platform.not_named}[/]")
    for fact in facts.facts:
        console.print(f"- {escape(fact.text)}")
    console.print(f"[dim]source: {facts.source}[/]")


def _print_proposal(proposal: CodingProposal) -> None:
    table = Table(title=f"NACE Rev.2 proposals ({proposal.method} matching)")
    for column in ("code", "class", "score", "matched", "clusters"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for match in proposal.nace:
        words = f" [{', '.join(match.matched_words)}]" if match.matched_words else ""
        table.add_row(
            f"{match.code} ({match.division})",
            escape(match.name),
            f"{match.score:.3f}",
            escape(match.matched_text + words),
            "; ".join(f"{c.code} {c.name}" for c in match.clusters) or "–",
        )
    console.print(table)
    for title, matches in (
        ("Fields of Science", proposal.fields_of_science),
        ("Policy objectives", proposal.objectives),
    ):
        shown = ", ".join(f"{m.name} ({m.score:.2f})" for m in matches) or "none"
        console.print(f"{title}: {shown}")
    console.print("[dim]Proposals only: a programme officer confirms the coding.[/]")


def _print_comparison(comparison: RegionComparison) -> None:
    strategy = comparison.strategy
    flag = " [bold red]SYNTHETIC (demonstration)[/]" if comparison.synthetic else ""
    name = comparison.region_name or comparison.region_code
    console.print(f"[bold]{name}[/] ({comparison.region_code}){flag}")
    if strategy is not None:
        console.print(
            f"{escape(strategy.title)}, {strategy.period} [dim]({escape(strategy.source)})[/]"
        )
    if comparison.dataset:
        console.print(f"[dim]strong clusters from {comparison.dataset}, {comparison.year}[/]")
    table = Table(title="Priorities and strong clusters")
    for column in ("verdict", "priority", "strong clusters", "stars"):
        table.add_column(column)
    for row in comparison.rows:
        table.add_row(
            row.label,
            escape(row.priority or "–"),
            "; ".join(f"{c.code} {c.name}" for c in row.clusters) or "–",
            "–" if row.stars is None else str(row.stars),
        )
    console.print(table)
    for note in comparison.notes:
        console.print(f"[dim]{escape(note)}[/]")


def _print_partners(partners: list[PartnerRegion]) -> None:
    table = Table(title="Partner regions")
    for column in ("region", "score", "why"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for partner in partners:
        flag = " (synthetic)" if partner.synthetic else ""
        table.add_row(
            partner.region_code + flag,
            f"{partner.score:g}",
            escape("; ".join(r.text for r in partner.reasons[:4]))
            + (f"; +{len(partner.reasons) - 4} more" if len(partner.reasons) > 4 else ""),
        )
    console.print(table if partners else "No partner region found.")


@app.command("demo")
def demo_command() -> None:
    """Store SYNTHETIC demonstration strategies for a few regions (marked synthetic wherever
    shown), built from their strong clusters; replaces earlier demonstration strategies."""
    from clusterhub.services.audit import Actor
    from clusterhub.services.s3.mapping import S3Codes
    from clusterhub.services.s3.seed import DEMO_REGIONS, load_demo_strategies

    with friendly_errors(), prepared_database() as (session, reference):
        summary = load_demo_strategies(
            session, codes=S3Codes.from_reference(reference), by=Actor.command_line()
        )
    console.print(
        f"stored {summary.strategies_created + summary.strategies_replaced} synthetic "
        f"strategies ({summary.priorities} priorities) for {', '.join(DEMO_REGIONS)}"
    )
