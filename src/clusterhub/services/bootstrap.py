"""Make a database ready to serve: migrate it and load the observatory's data sets once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from clusterhub.config import Settings
from clusterhub.services.analytics import MapRequest, Source, build_cluster_map
from clusterhub.services.observatory import load_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade
from clusterhub.store.models import Dataset

StepCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuiltIn:
    """A data set the platform loads by itself on first start."""

    key: str
    title: str
    source: Source


BUILT_IN = (
    BuiltIn("eu-sbs", "EU regions, Eurostat SBS (NUTS 0-2, NACE divisions)", "eurostat-sbs"),
    BuiltIn("us-states", "U.S. states, Cluster Mapping Project 2016", "cmp-states"),
)


def prepare_database(
    settings: Settings,
    reference: ReferenceData,
    *,
    reload: bool = False,
    progress: StepCallback | None = None,
) -> list[str]:
    """Migrate, then load each built-in data set that is missing (or all, with ``reload``).

    Each data set loads in its own transaction: a failure leaves the others, and the
    earlier version of the failing one, untouched. Returns the keys loaded now.
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
        result = build_cluster_map(MapRequest(source=item.source), reference)
        with transaction(factory) as session:
            load_cluster_map(
                session, key=item.key, title=item.title, result=result, regions=reference.regions
            )
    if progress:
        progress("ready", len(todo), len(todo))
    engine.dispose()
    return [item.key for item in todo]
