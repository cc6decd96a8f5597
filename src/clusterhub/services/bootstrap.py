"""Make a database ready to serve: migrate it and load the observatory's data sets once, and
fill an empty directory with the real records and a small, clearly marked synthetic demo set.

Everything loaded here is recorded in the audit log as done by ``system:bootstrap``: also when
an operator asked for it (``serve --reload-data``), the platform decides what to load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.demo import load_demo
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.directory import cordis, sources
from clusterhub.services.embeddings import Embedder, load_embedder
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.observatory.datasets import load_cluster_map
from clusterhub.services.observatory.vocabulary import Source
from clusterhub.services.reference import BUILT_IN_TAXONOMIES, Catalogues, ReferenceData
from clusterhub.services.scoreboard import data as scoreboard_data
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade
from clusterhub.store.models import Dataset, Organisation

StepCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuiltIn:
    """A data set the platform loads by itself on first start."""

    key: str
    title: str
    source: Source
    #: Taxonomy file; ``None`` for the source's own (the 51 clusters).
    taxonomy: Path | None = None


BUILT_IN = (
    BuiltIn("eu-sbs", "EU regions, Eurostat SBS (NUTS 0-2, NACE divisions)", "eurostat-sbs"),
    BuiltIn("us-states", "U.S. states, Cluster Mapping Project 2016", "cmp-states"),
    BuiltIn(
        "eu-sbs-emerging",
        "EU regions, Eurostat SBS — 10 emerging industries (clusterhub approximation)",
        "eurostat-sbs",
        BUILT_IN_TAXONOMIES["emerging"],
    ),
)
#: Synthetic profiles an empty directory gets, so that a demo shows European cluster
#: organisations too (the real records are U.S. organisations and Horizon 2020 partners).
DEMO_PROFILES = 300
#: Only the U.S. organisations (145 short texts, seconds) are embedded for semantic search on
#: first start. The model reads about 5-15 texts a second on two cores, so the 35,871 Horizon
#: 2020 participants would add minutes and the demo set (longer texts) one to three minutes;
#: they get keyword search at once and embeddings from ``clusterhub directory import --source
#: cordis`` / ``clusterhub directory demo`` (both idempotent: they only add what is missing).
EMBED_ON_FIRST_START = frozenset({"cmp-orgs"})
DIRECTORY_KEY = "directory"


def prepare_database(
    settings: Settings,
    reference: ReferenceData,
    *,
    reload: bool = False,
    directory: bool = True,
    progress: StepCallback | None = None,
) -> list[str]:
    """Migrate, then load each built-in data set that is missing (or all, with ``reload``),
    and, with ``directory``, fill the directory if it has no profiles yet.

    Each data set loads in its own transaction: a failure leaves the others, and the
    earlier version of the failing one, untouched. Returns the keys loaded now
    (``"directory"`` for the directory's records).
    """
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        present = set(session.scalars(select(Dataset.key)).all())
    todo = [b for b in BUILT_IN if reload or b.key not in present]
    for done, item in enumerate(todo):
        if progress:
            progress(f"loading {item.title}", done, len(todo))
        result = build_cluster_map(
            MapRequest(source=item.source, taxonomy_path=item.taxonomy), reference
        )
        with transaction(factory) as session:
            load_cluster_map(
                session, key=item.key, title=item.title, result=result, by=BOOTSTRAP,
                regions=reference.regions,
            )  # fmt: skip
    loaded = [item.key for item in todo]
    # Scoreboard indicators computed from the mirror (seconds); not a data set of its own.
    scoreboard_data.ensure_computed(factory, reference, by=BOOTSTRAP, reload=reload)
    if directory and _directory_empty(factory):
        _load_directory(factory, reference, load_embedder(), progress)
        loaded.append(DIRECTORY_KEY)
    if progress:
        progress("ready", len(todo), len(todo))
    engine.dispose()
    return loaded


def _directory_empty(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return session.scalar(select(Organisation.id).limit(1)) is None


def _load_directory(
    factory: sessionmaker[Session],
    reference: ReferenceData,
    embedder: Embedder,
    progress: StepCallback | None,
) -> None:
    """Partnerships, CMP organisations, CORDIS participants and the demo set, in one
    transaction: a failure leaves the directory empty, to be tried again on the next start."""
    catalogues = Catalogues.from_reference(reference)
    steps = (
        "loading the ESCP-4i partnerships",
        "loading U.S. cluster organisations",
        "loading Horizon 2020 participants",
        f"generating {DEMO_PROFILES} synthetic demo profiles",
    )

    def step(index: int) -> None:
        if progress:
            progress(steps[index], index, len(steps))

    with transaction(factory) as session:
        step(0)
        sources.load_partnerships(session, by=BOOTSTRAP)
        step(1)
        sources.load_cmp_organisations(
            session,
            path=reference.fetch("cmp-orgs"),
            catalogues=catalogues,
            embedder=embedder if "cmp-orgs" in EMBED_ON_FIRST_START else None,
            by=BOOTSTRAP,
        )
        step(2)
        files = cordis.cordis_inputs(reference)
        cordis.load_cordis(
            session,
            participations_path=files.participations_path,
            programme_parts_path=files.programme_parts_path,
            names_path=files.names_path,
            export_path=files.export_path,
            catalogues=catalogues,
            embedder=embedder if "cordis" in EMBED_ON_FIRST_START else None,
            by=BOOTSTRAP,
        )
        step(3)
        load_demo(
            session,
            reference=reference,
            count=DEMO_PROFILES,
            embedder=embedder if "synthetic" in EMBED_ON_FIRST_START else None,
            by=BOOTSTRAP,
        )
