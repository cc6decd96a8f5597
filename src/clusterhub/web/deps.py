"""Request-scoped dependencies: a database session per request, the settings, and the
directory's shared resources (code lists, search index, sentence model)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from clusterhub.classify import NutsHistory
from clusterhub.config import Settings
from clusterhub.errors import (
    ClusterhubError,
    DataSourceError,
    InvalidInput,
    Unavailable,
    plain_message,
)
from clusterhub.services import outbox
from clusterhub.services.directory.schemas import ProfileType
from clusterhub.services.embeddings import (
    Embedder,
    load_embedder,
)
from clusterhub.services.events.suggestions import PartnerEvidence
from clusterhub.services.observatory.relatedness import published_related
from clusterhub.services.recommend.models import FittedModels
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.s3.coding import CodingAssistant
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.search.queries import (
    DirectoryIndex,
    LabelFilter,
    SearchMode,
    SearchRequest,
    SortOrder,
)
from clusterhub.store.db import BUSY_MESSAGE

#: Methods that change things: their sessions begin as writers (see ``store.db``).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WritePermits:
    """At most ``count`` requests that write hold a database session at once, per process.

    Writers wait for each other in the database (SQLite takes one at a time, PostgreSQL
    locks rows), and a waiting writer holds one of the thread pool's 40 threads. Were every
    thread taken by waiting writers, the one writer that got through could not finish: its
    answer is serialised in the same pool. Writers beyond ``count`` therefore queue here, in
    the event loop, where waiting costs no thread; after ``timeout`` seconds the request is
    answered 503 with Retry-After. The permit is taken after the body has been read (the
    session is a route's last dependency), so a slow upload holds no permit.
    """

    def __init__(self, count: int, timeout: float) -> None:
        self.count = count
        self.timeout = timeout
        # One queue per event loop: a server has one, but each TestClient call makes its own.
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._queues = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def permit(self) -> AsyncIterator[None]:
        """Hold a permit for the block; ``Unavailable`` when none is free in time."""
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, asyncio.Semaphore(self.count))
        try:
            await asyncio.wait_for(queue.acquire(), self.timeout)
        except TimeoutError:
            raise Unavailable(BUSY_MESSAGE) from None
        try:
            yield
        finally:
            queue.release()


async def db_session(request: Request) -> AsyncIterator[Session]:
    """A session committed when the request succeeds and rolled back when it fails.

    Requests that may write get a writer's session (on SQLite it waits its turn for the write
    lock at its first statement instead of failing when another writer got there first),
    within a write permit. Opening the session does no I/O; committing or rolling back runs
    in a thread of its own, never waiting for the shared pool (see ``WritePermits``).
    """
    state = request.app.state
    if request.method not in UNSAFE_METHODS:
        async with _unit_of_work(state.sessions) as session:
            yield session
        return
    permits: WritePermits = state.write_permits
    async with permits.permit(), _unit_of_work(state.write_sessions) as session:
        yield session


@asynccontextmanager
async def _unit_of_work(factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    session = factory()
    own_thread = anyio.CapacityLimiter(1)
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.close, limiter=own_thread)
        raise
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_commit_and_close, session, limiter=own_thread)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


async def posted_form(request: Request) -> FormData:
    """The request's form, for routes that read their fields themselves. Declared before the
    route's ``DbSession``, so that the body has arrived before a write permit is taken."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


@contextmanager
def read_only(request: Request) -> Iterator[Session]:
    """A short look at the database apart from the request's own session, closed at the end
    of the block (a slow step after it, such as a password hash, holds no connection)."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


#: ``scope="function"`` commits before the response is sent: with the default (request scope)
#: FastAPI would send a success first and a failing commit would lose the write unseen.
DbSession = Annotated[Session, Depends(db_session, scope="function")]
AppSettings = Annotated[Settings, Depends(app_settings)]


def commit_then_mail(session: Session) -> bool:
    """Store the request's writes now, so that the mail they queued leaves; whether all did.

    Pages that mail a link (verification, password reset) must tell people when it could not
    be sent, and mail may leave only after the commit (``services.outbox``): so they commit
    themselves instead of at the end of the request. Call it last: SQLAlchemy refuses any
    further use of the request's session.
    """
    session.commit()
    return not outbox.undelivered(session)


def no_nul_characters(request: Request) -> None:
    """Refuse NUL characters in any query parameter (422), on every page and API route:
    PostgreSQL text cannot hold them, so they would otherwise fail in the database as a 500."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise InvalidInput.single(
                "text cannot contain NUL characters", field=name, value=repr(value)[1:-1]
            )


class DirectoryResources:
    """What the directory's pages and API share per app, built on first use (not at start-up,
    so observatory-only processes never load the code lists or the sentence model).

    Thread-safe: route handlers run in a thread pool, and the first requests may race.
    """

    def __init__(self, reference: ReferenceData) -> None:
        self._reference = reference
        self._lock = threading.Lock()
        self._catalogues: Catalogues | None = None
        self._index: DirectoryIndex | None = None
        self._s3: S3Codes | None = None
        self._assistant: CodingAssistant | None = None

    @property
    def catalogues(self) -> Catalogues:
        """Country, NUTS, NACE and cluster code lists profiles are validated against.

        While GISCO cannot be reached the NUTS list is empty (for this process: the pages say
        what is missing and that a restart after ``clusterhub data fetch`` loads it), so the
        directory still lists, searches and shows its profiles.
        """
        with self._lock:
            if self._catalogues is None:
                try:
                    self._catalogues = Catalogues.from_reference(self._reference)
                except DataSourceError:
                    self._catalogues = Catalogues.from_reference(
                        self._reference, with_regions=False
                    )
            return self._catalogues

    @property
    def index(self) -> DirectoryIndex:
        """The in-memory search catalogue (refreshes itself when profiles change)."""
        catalogues = self.catalogues
        with self._lock:
            if self._index is None:
                self._index = DirectoryIndex(
                    cluster_names=catalogues.clusters, region_names=self._region_names(catalogues)
                )
            return self._index

    @property
    def s3_codes(self) -> S3Codes:
        """The code lists S3 records are read and checked with (NACE → cluster mapping,
        Fields of Science, policy objectives), built once."""
        catalogues = self.catalogues
        with self._lock:
            if self._s3 is None:
                self._s3 = S3Codes.from_reference(self._reference, catalogues)
            return self._s3

    @property
    def s3_assistant(self) -> CodingAssistant:
        """The S3 coding assistant with the sentence model (its descriptions are embedded on
        its first proposal), built once."""
        codes = self.s3_codes
        with self._lock:
            if self._assistant is None:
                self._assistant = CodingAssistant(
                    self._reference, codes.mapping, codes.vocabularies, self.embedder
                )
            return self._assistant

    def _region_names(self, catalogues: Catalogues) -> dict[str, str]:
        """NUTS names by code; none while the NUTS list could not be fetched."""
        if not catalogues.nuts:
            return {}
        return dict(self._reference.regions.frame.select("code", "name").iter_rows())

    @property
    def embedder(self) -> Embedder:
        """The sentence model, read when a text is first embedded: listing or filtering the
        directory never loads its 90 MB of weights."""
        return load_embedder()


def nuts_history(request: Request) -> NutsHistory | None:
    """Every NUTS version's codes and names, or None when they cannot be loaded (search and
    region pages then know only the current codes, as before)."""
    reference: ReferenceData = request.app.state.reference
    try:
        return reference.nuts_history
    except ClusterhubError:
        return None


#: The NUTS history of the app's reference data (see ``nuts_history``).
History = Annotated[NutsHistory | None, Depends(nuts_history)]


def _directory(request: Request) -> DirectoryResources:
    resources: DirectoryResources = request.app.state.directory
    return resources


def directory_catalogues(request: Request) -> Catalogues:
    """The directory's code lists."""
    return _directory(request).catalogues


def directory_index(request: Request) -> DirectoryIndex:
    """The directory's search index."""
    return _directory(request).index


def sentence_embedder(request: Request) -> Embedder:
    """The sentence model for semantic search and re-indexing edited profiles.

    A request that may write gets it loaded here, before its transaction starts (see
    ``Embedder.ready``); a search loads it on its first query that needs it.
    """
    embedder = _directory(request).embedder
    if request.method in UNSAFE_METHODS:
        embedder.ready()
    return embedder


def s3_codes(request: Request) -> S3Codes:
    """The S3 code lists."""
    return _directory(request).s3_codes


DirCatalogues = Annotated[Catalogues, Depends(directory_catalogues)]
S3CodeLists = Annotated[S3Codes, Depends(s3_codes)]
DirIndex = Annotated[DirectoryIndex, Depends(directory_index)]
SentenceEmbedder = Annotated[Embedder, Depends(sentence_embedder)]


def search_request(
    *,
    q: Annotated[str, Query(max_length=500, description="Words to look for.")] = "",
    mode: SearchMode = SearchMode.HYBRID,
    country: Annotated[list[str], Query(max_length=60, description="ISO codes (EL, UK).")] = [],  # noqa: B006 - FastAPI copies defaults
    region: Annotated[list[str], Query(max_length=60, description="NUTS codes, any level.")] = [],  # noqa: B006
    cluster: Annotated[list[str], Query(max_length=60, description="Cluster codes 1-51.")] = [],  # noqa: B006
    profile_type: Annotated[list[ProfileType], Query(max_length=10)] = [],  # noqa: B006
    label: Annotated[list[LabelFilter], Query(max_length=10)] = [],  # noqa: B006
    size_band: Annotated[list[str], Query(max_length=10, description="e.g. 15–49, unknown.")] = [],  # noqa: B006
    synthetic: Annotated[
        bool | None, Query(description="Omitted: all; false: real only; true: synthetic only.")
    ] = None,
    sort: SortOrder = SortOrder.RELEVANCE,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchRequest:
    """The directory query from the address (shared by the page and the JSON API)."""
    try:
        return SearchRequest(
            q=q, mode=mode, country=country, region=region, cluster=cluster,
            profile_type=profile_type, label=label, size_band=size_band, synthetic=synthetic,
            sort=sort, page=page, page_size=page_size,
        )  # fmt: skip
    except ValidationError as error:
        first = error.errors()[0]
        value = first.get("input")
        raise InvalidInput.single(
            plain_message(first),
            field=str(first["loc"][0]),
            value=value if isinstance(value, str) else None,
        ) from None


SearchQuery = Annotated[SearchRequest, Depends(search_request)]


class PartnerSources:
    """The app's fitted recommender (learning in the background) and the published related
    cluster pairs its reasons read (loaded on first use)."""

    def __init__(self, models: FittedModels, reference: ReferenceData) -> None:
        self.models = models
        self._reference = reference
        self._lock = threading.Lock()
        self._related: frozenset[tuple[str, str]] | None = None

    def related(self) -> frozenset[tuple[str, str]]:
        """The related pairs, or none while the U.S. file cannot be read (the other reasons
        still stand)."""
        with self._lock:
            if self._related is None:
                try:
                    self._related = published_related(self._reference)
                except DataSourceError:
                    return frozenset()
            return self._related

    def lens(self, session: Session, cluster_names: dict[str, str]) -> RegionalLens:
        """The evidence of the regional reasons, read now."""
        return RegionalLens.load(session, self.related(), cluster_names)

    def evidence(self, session: Session, cluster_names: dict[str, str]) -> PartnerEvidence:
        """The model as it stands and the regional evidence, for an event's suggestions."""
        return PartnerEvidence(self.models.current(), self.lens(session, cluster_names))


def partner_sources(request: Request) -> PartnerSources:
    """The app's recommender and the sources of its reasons."""
    sources: PartnerSources = request.app.state.partners
    return sources


Partners = Annotated[PartnerSources, Depends(partner_sources)]
