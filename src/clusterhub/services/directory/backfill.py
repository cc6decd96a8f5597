"""Embedding, in the background of a running server, the profiles that have no embedding yet.

Embedding is the slow part of loading a directory (tens of milliseconds per profile on two
cores: the 35,871 Horizon 2020 participants take minutes). First start therefore loads big
sources for keyword search only and lets the server fill in the embeddings in small batches:
each batch reads its profiles' texts, computes their vectors with no transaction open, and
then writes them in a short transaction of its own. Writers take turns at the database, and
a batch's turn lasts milliseconds rather than the seconds of the model's work, so the
people editing profiles meanwhile are not kept waiting; a stop loses at most one batch.
Every batch bumps the directory generation, so semantic search picks the new vectors up, and
records one audit entry (actor ``system:embedding-backfill``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import Unavailable
from clusterhub.services import audit
from clusterhub.services.directory import indexing
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store import generations
from clusterhub.store.db import transaction
from clusterhub.store.models import Organisation, OrganisationEmbedding

log = logging.getLogger(__name__)

BATCH = 64
#: How long an idle worker waits before looking again (imports may add profiles any time).
IDLE_SECONDS = 60.0
#: How long it steps back when the database is busy with other writers.
BUSY_PAUSE_SECONDS = 5.0
#: Who the audit log names for each batch.
BACKFILL = audit.Actor.system("embedding-backfill")


def embed_missing(
    session: Session,
    *,
    catalogues: Catalogues,
    embedder: Embedder,
    limit: int | None = None,
    source: str | None = None,
    progress: indexing.Progress | None = None,
) -> int:
    """Embed up to ``limit`` profiles (of ``source``, if given) that have no embedding from
    ``embedder``'s model; how many were embedded."""
    query = _missing(embedder.name).order_by(Organisation.id)
    if source is not None:
        query = query.where(Organisation.source == source)
    orgs = session.scalars(query.limit(limit)).all()
    indexing.index_profiles(
        session, orgs, catalogues=catalogues, embedder=embedder, progress=progress
    )
    return len(orgs)


def has_missing(session: Session, *, model: str) -> bool:
    """Whether any profile lacks an embedding from ``model`` (cheap: stops at the first)."""
    return session.scalar(_missing(model).with_only_columns(Organisation.id).limit(1)) is not None


def _missing(model: str) -> Select[Organisation]:
    embedded = select(OrganisationEmbedding.organisation_id).where(
        OrganisationEmbedding.model == model
    )
    return select(Organisation).where(Organisation.id.not_in(embedded))


class EmbeddingBackfill:
    """A daemon thread that embeds missing profiles batch by batch until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        catalogues: Callable[[], Catalogues],
        embedder: Callable[[], Embedder],
        batch: int = BATCH,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._catalogues = catalogues
        self._embedder = embedder
        self._batch = batch
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embedding-backfill", daemon=True)
        #: Profiles embedded since start (for logs and tests).
        self.embedded = 0

    def start(self) -> None:
        """Begin working in the background."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current batch and end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self._one_batch()
            except Unavailable:  # people are writing: step back briefly, they come first
                log.info("embedding backfill: database busy, trying again shortly")
                self._stop.wait(BUSY_PAUSE_SECONDS)
                continue
            except Exception:  # a failed batch is retried later; the server must keep serving
                log.exception("embedding backfill: batch failed, retrying later")
                done = 0
            if done == 0:
                self._stop.wait(self._idle)

    def _one_batch(self) -> int:
        embedder = self._embedder()
        catalogues = self._catalogues()
        with self._sessions() as session, session.begin():  # read only
            orgs = session.scalars(
                _missing(embedder.name).order_by(Organisation.id).limit(self._batch)
            ).all()
            texts = {org.id: indexing.embedding_text(org, catalogues) for org in orgs}
        if not texts:
            return 0
        vectors = embedder.encode(list(texts.values()))
        with transaction(self._sessions) as session:
            # Profiles deleted, or embedded by another process, since they were read.
            still = set(
                session.scalars(
                    _missing(embedder.name)
                    .with_only_columns(Organisation.id)
                    .where(Organisation.id.in_(list(texts)))
                )
            )
            keep = [i for i, org_id in enumerate(texts) if org_id in still]
            indexing.store_embeddings(
                session,
                {org_id: text for org_id, text in texts.items() if org_id in still},
                vectors[keep],
                model=embedder.name,
            )
            generations.bump(session, items=sorted(still))
            audit.record(
                session, actor=BACKFILL, action="directory.embed", entity_type="organisation",
                entity_id=None, details={"profiles": len(keep), "model": embedder.name},
            )  # fmt: skip
        self.embedded += len(keep)
        log.info("embedding backfill: %d profiles embedded so far", self.embedded)
        return len(texts)
