"""``clusterhub build`` with its report: the observatory's files, then an HTML report and the
profiles of the top regions and the mapped clusters as HTML and PDF.

The profiles are the platform's own (``profiles``): the build loads its cluster maps and the
scoreboard indicators into a throw-away SQLite database and asks the same questions the
pages ask, so a printed profile of the build and one from the server are the same document.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.bootstrap import BUILT_IN
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.build import BuildRequest, build_outputs
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.services.reports import render
from clusterhub.services.reports.profiles import (
    ClusterReport,
    cluster_report,
    region_report,
)
from clusterhub.services.scoreboard import data as scoreboard_data
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

StepCallback = Callable[[str, int, int], None]
#: Region profiles are printed for NUTS 2 regions, the level of regional policy.
PROFILE_REGION_TYPE = "nuts2"
#: Data sets the build's profiles read (emerging industries have no profile of their own).
PROFILED = {"eu": "eu-sbs", "us": "us-states"}


@dataclass(frozen=True)
class ReportRequest:
    """The build, and how many region profiles to print (``None``: every NUTS 2 region)."""

    build: BuildRequest
    region_pdfs: int | None = 5


@dataclass(frozen=True)
class RegionEntry:
    """A printed region profile, as the build report lists it."""

    code: str
    name: str
    strong: int
    estimated: int
    html: str
    pdf: str


@dataclass(frozen=True)
class ReportSummary:
    """What the build wrote, for the command to list."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_with_report(
    request: ReportRequest, reference: ReferenceData, *, progress: StepCallback | None = None
) -> ReportSummary:
    """Run the build, then write ``report.html`` and the profiles beside it."""
    report = progress or _silent
    outputs = build_outputs(request.build, reference, progress=_without_done(report))
    codes = top_regions(outputs.maps["eu"], request.region_pdfs)
    steps = len(codes) + len(outputs.mapped_clusters) + 2
    done = 0
    report("loading the maps into a temporary database for the profiles", done, steps)
    out = request.build.out_dir
    files = list(outputs.files)
    with tempfile.TemporaryDirectory(prefix="clusterhub-build-") as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'build.db'}")
        regions: list[RegionEntry] = []
        clusters: list[ClusterReport] = []
        with (
            profile_database(settings, outputs.maps, reference) as factory,
            factory() as session,
        ):
            for code in codes:
                done += 1
                report(f"profile of region {code}", done, steps)
                entry, written = _region_profile(session, reference, code, out)
                regions.append(entry)
                files += written
            for code in outputs.mapped_clusters:
                done += 1
                report(f"profile of cluster {code}", done, steps)
                profile = cluster_report(
                    session, reference.regions, code=code, dataset=PROFILED["eu"]
                )
                clusters.append(profile)
                files += _write_both(render.cluster_html(profile), out / "clusters" / code)
    report("report", steps - 1, steps)
    html = render.render_template(
        "build.html",
        outputs=outputs,
        regions=regions,
        clusters=clusters,
        counts={key: star_counts(result) for key, result in outputs.maps.items()},
        us_maps=[mapped(outputs.maps["us"], code) for code in outputs.us_mapped_clusters],
        files=[path.relative_to(out).as_posix() for path in outputs.files],
        generated_at=datetime.now(UTC),
    )
    files.append(_write(out / "report.html", html))
    report("done", steps, steps)
    return ReportSummary(files=files, notes=outputs.notes)


def _silent(step: str, done: int, total: int) -> None:
    """No progress display (library use)."""


def _without_done(report: StepCallback) -> StepCallback:
    """The build's steps, less its final "done": the report follows."""

    def forward(step: str, done: int, total: int) -> None:
        if step != "done":
            report(step, done, total)

    return forward


@dataclass(frozen=True)
class MappedCluster:
    """A U.S. cluster the build drew a states map of, as the report lists it."""

    code: str
    name: str
    year: int
    starred: int


def mapped(result: ClusterMap, code: str) -> MappedCluster:
    """``code``'s name, latest year and number of regions with 2 or more stars that year."""
    rows = result.table.filter(pl.col("cluster_code") == code)
    year = int(rows.get_column("year").max())  # type: ignore[arg-type]
    latest = rows.filter(pl.col("year") == year)
    return MappedCluster(
        code=code,
        name=str(latest.get_column("cluster_name").first() or code),
        year=year,
        starred=latest.filter(pl.col("stars") >= 2).height,
    )


def top_regions(result: ClusterMap, count: int | None) -> list[str]:
    """NUTS 2 regions with the most strong clusters (two stars or the U.S. rule), then the
    most employment; all of them when ``count`` is None."""
    table = result.table.filter(pl.col("region_type") == PROFILE_REGION_TYPE)
    table = table.filter(pl.col("year") == table.get_column("year").max())
    ranked = (
        table.group_by("region_code")
        .agg(
            ((pl.col("stars") >= 2) | pl.col("strong").fill_null(value=False)).sum().alias("n"),
            pl.col("employment").sum().alias("jobs"),
        )
        .sort(["n", "jobs", "region_code"], descending=[True, True, False])
        .get_column("region_code")
        .to_list()
    )
    return ranked if count is None else ranked[:count]


def star_counts(result: ClusterMap) -> list[tuple[str, int, int]]:
    """(region type, stars, region × cluster cells) of a cluster map."""
    counts = result.table.group_by("region_type", "stars").len().sort("region_type", "stars")
    return [(str(kind), int(stars), int(n)) for kind, stars, n in counts.iter_rows()]


@contextmanager
def profile_database(
    settings: Settings, maps: Mapping[str, ClusterMap], reference: ReferenceData
) -> Iterator[sessionmaker[Session]]:
    """A fresh database at ``settings`` holding the EU and U.S. maps (``maps["eu"]``,
    ``maps["us"]``) and the scoreboard indicators; disposed of on leaving."""
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    titles = {item.key: item.title for item in BUILT_IN}
    with transaction(factory) as session:
        for name, key in PROFILED.items():
            load_cluster_map(
                session, key=key, title=titles[key], result=maps[name], by=BOOTSTRAP,
                regions=reference.regions,
            )  # fmt: skip
    scoreboard_data.ensure_computed(factory, reference, by=BOOTSTRAP)
    try:
        yield factory
    finally:
        engine.dispose()


def _region_profile(
    session: Session, reference: ReferenceData, code: str, out: Path
) -> tuple[RegionEntry, list[Path]]:
    profile = region_report(session, reference.regions, code=code, dataset=PROFILED["eu"])
    written = _write_both(render.region_html(profile), out / "regions" / code)
    entry = RegionEntry(
        code=code,
        name=profile.region.name or code,
        strong=len(profile.strong),
        estimated=profile.estimated,
        html=f"regions/{code}.html",
        pdf=f"regions/{code}.pdf",
    )
    return entry, written


def _write_both(html: str, stem: Path) -> list[Path]:
    """The profile as ``stem.html`` and ``stem.pdf``."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    pdf = stem.with_suffix(".pdf")
    pdf.write_bytes(render.pdf(html))
    return [_write(stem.with_suffix(".html"), html), pdf]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
