"""Make a database ready to serve: migrate it and load the observatory's data sets once, and
fill an empty directory with the real records and a small, clearly marked synthetic demo set.

Everything loaded here is recorded in the audit log as done by ``system:bootstrap``: also when
an operator asked for it (``serve --reload-data``), the platform decides what to load.

A source that cannot be reached (an offline install, an outage) skips what needs it and
nothing else: the rest loads, the platform starts, and ``services.missing_sources`` records
what is missing and the command that fetches it later, for the pages to say.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.classify import RegionCatalogue
from clusterhub.config import Settings
from clusterhub.demo import load_demo
from clusterhub.errors import ClusterhubError, DataSourceError
from clusterhub.services import missing_sources
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.directory import cordis, sources
from clusterhub.services.embeddings import Embedder, load_embedder
from clusterhub.services.events import demo as event_demo
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.observatory.vocabulary import Source
from clusterhub.services.reference import BUILT_IN_TAXONOMIES, Catalogues, ReferenceData
from clusterhub.services.s3 import seed as s3_seed
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.scoreboard import data as scoreboard_data
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade
from clusterhub.store.models import Dataset, Organisation
from clusterhub.store.s3 import S3Strategy

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
logger = logging.getLogger(__name__)
DIRECTORY_KEY = "directory"
#: What ``prepare_database`` answers when it built the synthetic demo event.
DEMO_EVENT_KEY = "demo event"
#: ... and when it generated the synthetic S3 strategies.
S3_DEMO_KEY = "synthetic S3 strategies"
_CORDIS = "Horizon 2020 participants (CORDIS) in the directory"
_DEMO = "Synthetic demo profiles in the directory"
#: Directory parts a start may leave out (a source out of reach): the key prefix of their
#: profiles, and the command that adds them later (the directory is filled once only).
_DIRECTORY_PARTS = {
    _CORDIS: ("cordis:", "clusterhub directory import --source cordis"),
    _DEMO: ("synthetic:", "clusterhub directory demo"),
}


#: Data sets a start reads (with CORDIS, which comes by one of two routes: ``cordis_inputs``).
START_DATASETS = (
    "eurostat-sbs", "nuts2021-l0", "nuts2021-l1", "nuts2021-l2", "nuts2021-l3",
    "nace-rev2", "naics-nace", "cmp-clusters", "cmp-states", "cmp-related", "cmp-orgs",
)  # fmt: skip


def fetch_start_data(reference: ReferenceData) -> list[tuple[str, Path]]:
    """Local copies of everything a start loads, downloading what is missing: the one step an
    install that was offline at its first start needs (the next start loads them).

    Raises
    ------
    DataSourceError
        If a source still cannot be reached (the message names it and why).
    """
    paths = [(key, reference.fetch(key)) for key in START_DATASETS]
    files = cordis.cordis_inputs(reference)
    cordis_paths = (
        ("cordis-participations", files.participations_path),
        ("cordis-programme-parts", files.programme_parts_path),
        ("cordis-organisations-2017", files.names_path),
        ("cordis-h2020-projects", files.export_path),
    )
    return paths + [(key, path) for key, path in cordis_paths if path is not None]


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
    earlier version of the failing one, untouched; one whose source cannot be reached is
    skipped and recorded (``services.missing_sources``), to be loaded on a later start.
    Returns the keys loaded now (``"directory"`` for the directory's records).
    """
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        present = set(session.scalars(select(Dataset.key)).all())
    todo = [b for b in BUILT_IN if reload or b.key not in present]
    loaded: list[str] = []
    missing: list[missing_sources.MissingSource] = []
    for done, item in enumerate(todo):
        if progress:
            progress(f"loading {item.title}", done, len(todo))
        try:
            _load_built_in(factory, reference, item)
        except DataSourceError as exc:
            missing.append(_missing(item.title, exc, missing_sources.FETCH_COMMAND))
        else:
            loaded.append(item.key)
    # Scoreboard indicators computed from SBS and CORDIS (seconds); not a data set of its own.
    try:
        scoreboard_data.ensure_computed(factory, reference, by=BOOTSTRAP, reload=reload)
    except DataSourceError as exc:
        part = "Scoreboard indicators computed from Eurostat SBS and CORDIS"
        missing.append(_missing(part, exc, missing_sources.FETCH_COMMAND))
    if directory and _directory_empty(factory):
        missing += _load_directory(factory, reference, load_embedder(), progress)
        loaded.append(DIRECTORY_KEY)
        if _load_demo_event(factory, progress):
            loaded.append(DEMO_EVENT_KEY)
        if _load_s3_demo(factory, reference, progress):
            loaded.append(S3_DEMO_KEY)
    else:
        missing += _still_missing(factory, missing_sources.load(settings))
    missing_sources.save(settings, missing)
    # The U.S. state map's polygons, simplified once into the cache now rather than on the
    # first page visit (seconds on a busy machine).
    reference.us_geojson("state")
    if progress:
        progress("ready", len(todo), len(todo))
    engine.dispose()
    return loaded


def _load_demo_event(factory: sessionmaker[Session], progress: StepCallback | None) -> bool:
    """The synthetic demo event, from the demo profiles just loaded, in its own transaction
    (seconds: a short schedule run). A demo that cannot be built is logged, never a failed
    start; none is built when the demo profiles are missing."""
    if progress:
        progress("building the synthetic demo event", 0, 1)
    try:
        with transaction(factory) as session:
            return event_demo.build_demo_event(session) is not None
    except ClusterhubError as exc:
        logger.warning("the synthetic demo event was not built: %s", exc)
        return False


def _load_s3_demo(
    factory: sessionmaker[Session], reference: ReferenceData, progress: StepCallback | None
) -> bool:
    """The synthetic demonstration S3 strategies (``s3.seed``), marked synthetic wherever they
    are shown, when no strategy is stored yet: an empty S3 page shows nothing of what it does.
    A failure is logged, never a failed start."""
    with factory() as session:
        if session.scalar(select(S3Strategy.id).limit(1)) is not None:
            return False
    if progress:
        progress("generating the synthetic S3 demonstration strategies", 0, 1)
    try:
        codes = S3Codes.from_reference(reference)
        with transaction(factory) as session:
            s3_seed.load_demo_strategies(session, codes=codes, by=BOOTSTRAP)
    except ClusterhubError as exc:
        logger.warning("the synthetic S3 strategies were not generated: %s", exc)
        return False
    return True


def _load_built_in(factory: sessionmaker[Session], reference: ReferenceData, item: BuiltIn) -> None:
    """Build one built-in data set and store it in its own transaction."""
    result = build_cluster_map(
        MapRequest(source=item.source, taxonomy_path=item.taxonomy), reference
    )
    with transaction(factory) as session:
        load_cluster_map(
            session, key=item.key, title=item.title, result=result, by=BOOTSTRAP,
            regions=_regions(reference),
        )  # fmt: skip


def _regions(reference: ReferenceData) -> RegionCatalogue | None:
    """The NUTS polygons, or None while GISCO cannot be reached (regions then have no map)."""
    try:
        return reference.regions
    except DataSourceError:
        return None


def _missing(part: str, exc: DataSourceError, command: str) -> missing_sources.MissingSource:
    return missing_sources.MissingSource(part=part, reason=str(exc), command=command)


def _directory_empty(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return session.scalar(select(Organisation.id).limit(1)) is None


def _still_missing(
    factory: sessionmaker[Session], before: list[missing_sources.MissingSource]
) -> list[missing_sources.MissingSource]:
    """The directory parts an earlier start left out that nobody has added since."""
    with factory() as session:
        return [
            item
            for item in before
            if item.part in _DIRECTORY_PARTS
            and session.scalar(
                select(Organisation.id)
                .where(Organisation.key.startswith(_DIRECTORY_PARTS[item.part][0]))
                .limit(1)
            )
            is None
        ]


def _load_directory(
    factory: sessionmaker[Session],
    reference: ReferenceData,
    embedder: Embedder,
    progress: StepCallback | None,
) -> list[missing_sources.MissingSource]:
    """Partnerships, CMP organisations, CORDIS participants and the demo set, in one
    transaction: a failure leaves the directory empty, to be tried again on the next start.

    The Horizon 2020 participants and the demo set need the NUTS codes (GISCO) and CORDIS;
    when those cannot be reached they are left out, and returned as missing, so that the
    shipped U.S. organisations and the partnerships are still there.
    """
    steps = (
        "loading the ESCP-4i partnerships",
        "loading U.S. cluster organisations",
        "loading Horizon 2020 participants",
        f"generating {DEMO_PROFILES} synthetic demo profiles",
    )

    def step(index: int) -> None:
        if progress:
            progress(steps[index], index, len(steps))

    missing: list[missing_sources.MissingSource] = []
    with transaction(factory) as session:
        step(0)
        sources.load_partnerships(session, by=BOOTSTRAP)
        step(1)
        try:
            catalogues = Catalogues.from_reference(reference)
        except DataSourceError as gisco:
            catalogues = Catalogues.from_reference(reference, with_regions=False)
            missing += [
                _missing(part, gisco, _DIRECTORY_PARTS[part][1]) for part in _DIRECTORY_PARTS
            ]
        sources.load_cmp_organisations(
            session,
            path=reference.fetch("cmp-orgs"),
            catalogues=catalogues,
            embedder=embedder if "cmp-orgs" in EMBED_ON_FIRST_START else None,
            by=BOOTSTRAP,
        )
        if missing:  # no NUTS codes: the participants' and demo regions cannot be checked
            return missing
        step(2)
        try:
            files = cordis.cordis_inputs(reference)
        except DataSourceError as exc:
            missing.append(_missing(_CORDIS, exc, _DIRECTORY_PARTS[_CORDIS][1]))
        else:
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
    return missing
