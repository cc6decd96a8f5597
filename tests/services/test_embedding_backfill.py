"""Profiles loaded without embeddings get them later, in batches, from a background worker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.services.directory import profiles
from clusterhub.services.directory.backfill import EmbeddingBackfill, embed_missing, has_missing
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store import generations
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import OrganisationEmbedding
from clusterhub.web.app import create_app


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def _load(factory: sessionmaker[Session], catalogues: Catalogues, source: str, count: int) -> None:
    records = [
        profiles.validate(
            {"key": f"{source}:{n}", "name": f"{source} cluster {n}", "country": "DE"}, catalogues
        )
        for n in range(count)
    ]
    with transaction(factory) as session:
        profiles.upsert_profiles(
            session, records=records, source=source, catalogues=catalogues, embedder=None
        )


def _embedded(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(OrganisationEmbedding)) or 0)


def test_missing_embeddings_are_filled_in_batches_by_source(
    factory: sessionmaker[Session], catalogues: Catalogues, embedder: Embedder
) -> None:
    _load(factory, catalogues, "alpha", 3)
    _load(factory, catalogues, "beta", 2)
    with transaction(factory) as session:
        before = generations.current(session)
        assert has_missing(session, model=embedder.name)
        assert embed_missing(session, catalogues=catalogues, embedder=embedder, limit=2) == 2
        assert generations.current(session) > before
    with transaction(factory) as session:
        done = embed_missing(session, catalogues=catalogues, embedder=embedder, source="beta")
    assert _embedded(factory) == 2 + done
    with transaction(factory) as session:
        assert embed_missing(session, catalogues=catalogues, embedder=embedder) == 5 - 2 - done
        assert not has_missing(session, model=embedder.name)
        assert embed_missing(session, catalogues=catalogues, embedder=embedder) == 0


def test_the_worker_embeds_everything_then_idles_until_stopped(
    factory: sessionmaker[Session], catalogues: Catalogues, embedder: Embedder
) -> None:
    _load(factory, catalogues, "gamma", 5)
    worker = EmbeddingBackfill(
        factory,
        catalogues=lambda: catalogues,
        embedder=lambda: embedder,
        batch=2,
        idle_seconds=0.05,
    )
    worker.start()
    deadline = time.monotonic() + 60
    while _embedded(factory) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    assert _embedded(factory) == 5
    assert worker.embedded == 5
    assert not worker._thread.is_alive()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_server_runs_the_worker_only_when_configured(
    db_settings: Settings, enabled: bool
) -> None:
    app = create_app(db_settings.model_copy(update={"embed_in_background": enabled}))
    with TestClient(app):
        assert (app.state.backfill is not None) is enabled
        worker = app.state.backfill
    if worker is not None:
        assert not worker._thread.is_alive()
