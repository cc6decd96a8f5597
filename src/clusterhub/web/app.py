"""The web application factory: pages (Jinja2 + HTMX) and the JSON API, on one engine.

``create_app(settings)`` builds everything explicitly — nothing connects at import time — so
tests create apps on throw-away databases and the CLI on the configured one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from clusterhub import __version__
from clusterhub.config import Settings, get_settings
from clusterhub.services import missing_sources
from clusterhub.services.directory.backfill import EmbeddingBackfill
from clusterhub.services.events import notify, timer
from clusterhub.services.recommend.models import FittedModels
from clusterhub.services.reference import ReferenceData
from clusterhub.services.reports.printing import PrintShop
from clusterhub.services.warmup import warm_in_background
from clusterhub.store.db import make_engine, make_session_factory
from clusterhub.web import api_docs, assets, errors, security
from clusterhub.web.api import audit as audit_api
from clusterhub.web.api import directory as directory_api
from clusterhub.web.api import event_day as event_day_api
from clusterhub.web.api import events as events_api
from clusterhub.web.api import observatory as observatory_api
from clusterhub.web.api import posts as posts_api
from clusterhub.web.api import recommend as recommend_api
from clusterhub.web.api import s3 as s3_api
from clusterhub.web.api import scoreboard as scoreboard_api
from clusterhub.web.caching import ApiCache, ServerTiming
from clusterhub.web.compression import PublicDataCompression
from clusterhub.web.deps import (
    DirectoryResources,
    PartnerSources,
    WritePermits,
    no_nul_characters,
)
from clusterhub.web.guard import WriteGuard
from clusterhub.web.headers import SecurityHeaders
from clusterhub.web.limits import BodyLimit
from clusterhub.web.memo import Memo
from clusterhub.web.rendering import make_templates
from clusterhub.web.routes import (
    accounts,
    audit,
    directory,
    event_day,
    event_meetings,
    events,
    observatory,
    officer,
    officer_s3,
    partners,
    posts,
    reports,
    s3,
    search,
)

#: Every page and API router, in the order their paths are matched.
ROUTERS = (
    observatory_api.router,
    scoreboard_api.router,
    observatory.router,
    reports.router,
    accounts.router,
    directory_api.router,
    recommend_api.router,
    s3_api.router,
    s3.router,
    directory.router,
    partners.router,
    posts_api.router,
    posts.router,
    events_api.router,
    event_day_api.router,
    events.router,
    event_meetings.router,
    event_day.router,
    search.router,
    officer.router,
    officer_s3.router,
    audit.router,
    audit_api.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A clusterhub web app on ``settings`` (default: the environment's)."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    app = FastAPI(
        title="clusterhub",
        version=__version__,
        summary="Cluster intelligence and collaboration: the observatory's JSON API.",
        docs_url=None,  # FastAPI's pages load from a CDN: web.api_docs serves them locally
        redoc_url=None,
        openapi_url="/openapi.json",
        # On every route: refuse NUL in parameters, find the user (CSRF: web.guard).
        dependencies=[Depends(no_nul_characters), Depends(security.request_guard)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.write_sessions = make_session_factory(engine, write=True)
    notify.mail_with(app.state.write_sessions, notify.Mailing.from_settings(settings))
    app.state.write_permits = WritePermits(settings.max_concurrent_writes, settings.db_busy_timeout)
    app.state.templates = make_templates()
    app.state.reference = ReferenceData(settings)
    app.state.missing_sources = missing_sources.load(settings)
    app.state.memo = Memo(ttl=settings.api_cache_seconds)
    app.state.print_shop = PrintShop()
    app.state.data_version = 0  # part of every API cache key; see caching.data_changed
    app.state.directory = DirectoryResources(app.state.reference)
    app.state.partners = PartnerSources(
        FittedModels(app.state.sessions, enabled=settings.recommend), app.state.reference
    )
    errors.install(app)
    assets.install(app)
    api_docs.install(app)
    # Last added runs first: headers on everything, then the 500 shield, timing, the body
    # limit, the login and CSRF checks (which may read a little of the body), the CSRF token,
    # compression of public data (outside the cache, which keeps answers uncompressed).
    app.add_middleware(ApiCache, ttl=settings.api_cache_seconds)
    app.add_middleware(PublicDataCompression)
    app.add_middleware(WriteGuard, settings=settings)
    app.add_middleware(security.CsrfCookie, settings=settings)
    app.add_middleware(
        BodyLimit, default=settings.max_request_bytes, upload=settings.max_upload_bytes
    )
    app.add_middleware(ServerTiming)
    app.add_middleware(errors.UnexpectedErrors)
    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")
    for router in ROUTERS:
        app.include_router(router)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving, embed profiles that have no embedding yet (``embed_in_background``)
    and run the events timer (``events_timer_seconds``); at the start, compute what region
    pages share (``warm_at_start``) and learn the partner recommender
    (``recommend``)."""
    if app.state.settings.warm_at_start:
        templates = app.state.templates.env
        pages = [name for name in templates.list_templates() if name.endswith(".html")]
        warm_in_background(
            app.state.sessions,
            app.state.reference,
            lambda: [templates.get_template(name) for name in pages],  # compiled once
        )
    backfill = None
    if app.state.settings.embed_in_background:
        directory: DirectoryResources = app.state.directory
        backfill = EmbeddingBackfill(
            app.state.sessions,
            catalogues=lambda: directory.catalogues,
            embedder=lambda: directory.embedder,
        )
        backfill.start()
    app.state.backfill = backfill
    if app.state.settings.recommend:
        app.state.partners.models.start()
    seconds = app.state.settings.events_timer_seconds
    events_timer = (
        asyncio.create_task(timer.run_timer(app.state.write_sessions, seconds), name="events-timer")
        if seconds > 0
        else None
    )
    app.state.events_timer = events_timer
    try:
        yield
    finally:
        if events_timer is not None:
            events_timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await events_timer
        if backfill is not None:
            backfill.stop()
