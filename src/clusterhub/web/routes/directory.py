"""Directory pages: search with facets, profiles, the edit form, history, admins, partnerships.

Handlers parse, call the directory, search or partnership service, and render. The edit form
is re-rendered (422) with each problem next to its field, and after a conflicting save with the
editor's values kept beside the ones saved meanwhile; other domain errors go to ``web/errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterhub.classify.countries import country_names, language_names
from clusterhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import admins as profile_admins
from clusterhub.services.directory import partnerships
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import Label, OrganisationPublic, ProfileType
from clusterhub.services.observatory import datasets
from clusterhub.services.search import export as search_export
from clusterhub.services.search.queries import SearchMode, SortOrder
from clusterhub.web import profile_form
from clusterhub.web.deps import (
    DbSession,
    DirCatalogues,
    DirIndex,
    PostedForm,
    SearchQuery,
    SentenceEmbedder,
)
from clusterhub.web.security import CurrentUser, OptionalUser

router = APIRouter(include_in_schema=False)

ProfileId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PartnershipKey = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9:._-]+$")]
#: Facets shown on the page, in order, with their headings.
FACETS = {
    "country": "Country",
    "region": "Region",
    "cluster": "Cluster category",
    "profile_type": "Profile type",
    "label": "Label",
    "size_band": "Members",
}
FACETS_SHOWN = 8
FACETS_MORE = 60
NOTICES = {"saved": "The profile was saved.", "created": "The profile was created.",
           "admin": "The colleague can now edit this profile."}  # fmt: skip
NO_STORE = {"Cache-Control": "no-store"}
#: Names of the facts imports record (CORDIS participants, U.S. CMP organisations); others are
#: shown under their own key.
FACT_LABELS = {
    "pic": "Participant identification code (PIC)",
    "type": "Participant type",
    "projects": "Horizon 2020 projects",
    "coordinated": "Projects coordinated",
    "eu_contribution": "EU contribution (€)",
    "projects_without_contribution": "Projects without a stated contribution",
    "first_year": "First project started",
    "last_year": "Last project started",
    "programme_parts": "Projects by programme part",
    "cmp_org_id": "U.S. Cluster Mapping Project organisation id",
    "cmp_categories": "U.S. Cluster Mapping Project clusters",
}
#: Facts that are identifiers or years: shown without thousands separators.
PLAIN_FACTS = frozenset({"pic", "first_year", "last_year", "cmp_org_id"})
PARTICIPANT_TYPES = {
    "PRC": "Private for-profit company",
    "HES": "Higher or secondary education",
    "REC": "Research organisation",
    "PUB": "Public body",
    "OTH": "Other",
}


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, f"directory/{template}", {"nav": "directory", **context}, status_code=status
    )
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _login_first(request: Request) -> RedirectResponse:
    return _redirect(f"/account/login?next={request.url.path}")


# --- search -----------------------------------------------------------------------------------


@router.get("/directory", response_class=HTMLResponse)
def directory_search(
    request: Request,
    session: DbSession,
    index: DirIndex,
    embedder: SentenceEmbedder,
    query: SearchQuery,
) -> HTMLResponse:
    """Search the directory; HTMX asks for the results (with facets) only."""
    results = index.search(session, query, embedder=embedder)
    fragment = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )
    context: dict[str, Any] = {
        "query": query,
        "results": results,
        "facets": FACETS,
        "facets_shown": FACETS_SHOWN,
        "facets_more": FACETS_MORE,
        "modes": list(SearchMode),
        "sorts": list(SortOrder),
        "pages": _pages(results.total, query.page, query.page_size),
        "page_url": _page_url(request),
        "export_url": _export_url(request),
        "export_limit": search_export.MAX_ROWS,
        "countries": country_names(),
    }
    return _render(request, "_results.html" if fragment else "search.html", **context)


def _pages(total: int, page: int, page_size: int) -> dict[str, int | None]:
    last = max(1, -(-total // page_size))
    return {
        "current": page,
        "last": last,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
    }


def _page_url(request: Request) -> Callable[[int], str]:
    """Links to other pages of the same search (every other parameter kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def url(page: int) -> str:
        return "/directory?" + urlencode([*params, ("page", str(page))])

    return url


def _export_url(request: Request) -> Callable[[str], str]:
    """Downloads of the same search (``/api/v1/organisations.csv``; paging left out)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in _PAGING]

    def url(fmt: str) -> str:
        return f"/api/v1/organisations.{fmt}" + (f"?{urlencode(params)}" if params else "")

    return url


_PAGING = frozenset({"page", "page_size"})


# --- profiles ---------------------------------------------------------------------------------


@router.get("/directory/new", response_class=HTMLResponse)
def new_form(request: Request, user: OptionalUser) -> Response:
    """The form for a new profile (members; its creator becomes its admin)."""
    if user is None:
        return _login_first(request)
    return _form(request, values=profile_form.values_of(None), profile=None)


@router.post("/directory/new", response_class=HTMLResponse)
def create(
    request: Request,
    user: CurrentUser,
    form: PostedForm,
    session: DbSession,
    catalogues: DirCatalogues,
    embedder: SentenceEmbedder,
) -> Response:
    """Save a new profile, or show the form again with what is wrong."""
    sent = profile_form.submitted(form)
    try:
        data = directory.validate(profile_form.new_profile(sent), catalogues)
        created = directory.create_profile(
            session, data=data, actor=user, catalogues=catalogues, embedder=embedder
        )
    except InvalidInput as exc:
        return _form(request, values=sent, profile=None, errors=exc.problems, status=422)
    return _redirect(f"/directory/{created.id}?saved=created")


@router.get("/directory/{organisation_id}", response_class=HTMLResponse)
def profile(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    catalogues: DirCatalogues,
    organisation_id: ProfileId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """A profile with everything known about it; contacts for logged-in members only."""
    found = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
    return _render(
        request,
        "profile.html",
        profile=found,
        can_edit=directory.can_edit(session, actor=user, organisation_id=organisation_id),
        notice=NOTICES.get(saved or ""),
        region=_region(request, session, found.nuts_code),
        clusters=catalogues.clusters,
        nace=catalogues.nace,
        countries=country_names(),
        languages=language_names(),
        fact_labels=FACT_LABELS,
        plain_facts=PLAIN_FACTS,
        participant_types=PARTICIPANT_TYPES,
    )


def _region(request: Request, session: DbSession, code: str | None) -> dict[str, Any] | None:
    """The profile's region name, and the nearest observatory region page (itself or a parent)."""
    if not code:
        return None
    regions = request.app.state.reference.regions
    if code not in request.app.state.directory.catalogues.nuts:
        return {"code": code, "name": code, "page": None, "page_name": None}
    with_pages = _region_pages(request, session)
    target: str | None = code
    while target is not None and target not in with_pages:
        target = regions.parent(target)
    return {
        "code": code,
        "name": regions.name(code),
        "page": target,
        "page_name": regions.name(target) if target else None,
    }


def _region_pages(request: Request, session: DbSession) -> frozenset[str]:
    """Codes the observatory has a region page for (remembered like its pages)."""

    def build() -> frozenset[str]:
        codes: set[str] = set()
        for dataset in datasets.list_datasets(session):
            page = 1
            while True:
                listing = datasets.list_regions(
                    session, dataset=dataset.key, page=page, page_size=500
                )
                codes.update(r.code for r in listing.items)
                if page * listing.page_size >= listing.total:
                    break
                page += 1
        return frozenset(codes)

    pages: frozenset[str] = request.app.state.memo.get(("region-pages",), build)
    return pages


@router.get("/directory/{organisation_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, session: DbSession, user: OptionalUser, organisation_id: ProfileId
) -> Response:
    """The edit form (the profile's admins; others are refused with 403)."""
    if user is None:
        return _login_first(request)
    found = _editable(session, user, organisation_id)
    return _form(request, values=profile_form.values_of(found), profile=found)


def _editable(session: DbSession, user: UserPublic, organisation_id: int) -> OrganisationPublic:
    found = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
    if not directory.can_edit(session, actor=user, organisation_id=organisation_id):
        raise PermissionDenied("Only this profile's admins may edit it.")
    return found


@router.post("/directory/{organisation_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    user: CurrentUser,
    form: PostedForm,
    session: DbSession,
    catalogues: DirCatalogues,
    embedder: SentenceEmbedder,
    organisation_id: ProfileId,
) -> Response:
    """Save the fields the editor changed, unless the profile changed since the form was opened."""
    sent = profile_form.submitted(form)
    version = _version(form.get("version"))
    stored = _editable(session, user, organisation_id)
    try:
        directory.update_profile(
            session, organisation_id=organisation_id,
            changes=profile_form.changes(sent, profile_form.values_of(stored)),
            expected_version=version, actor=user, catalogues=catalogues, embedder=embedder,
        )  # fmt: skip
    except InvalidInput as exc:
        return _form(request, values=sent, profile=stored, errors=exc.problems, status=422)
    except Conflict as exc:
        return _conflict(request, sent, stored, exc)
    return _redirect(f"/directory/{organisation_id}?saved=saved")


def _version(raw: object) -> int:
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    raise InvalidInput.single("the form lost its version; reload the page", field="version")


def _conflict(
    request: Request,
    sent: profile_form.FormValues,
    stored: OrganisationPublic,
    exc: Conflict,
) -> HTMLResponse:
    """The form with the editor's values, the values saved meanwhile beside the changed fields,
    and the new version: saving again applies the editor's values on top."""
    fields = (exc.details or {}).get("changed_fields")
    changed = [str(f) for f in fields] if isinstance(fields, list) else []
    current = profile_form.values_of(stored)
    return _form(
        request, values=sent, profile=stored, status=409, conflict=str(exc),
        changed={name: current.get(name) for name in changed if name in profile_form.BY_NAME},
    )  # fmt: skip


def _form(
    request: Request,
    *,
    values: profile_form.FormValues,
    profile: OrganisationPublic | None,
    errors: list[Problem] | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    catalogues = request.app.state.directory.catalogues
    return _render(
        request,
        "edit.html",
        status,
        profile=profile,
        values=values,
        errors=profile_form.field_problems(errors or []),
        fields=profile_form.FIELDS,
        options={
            "profile_type": [(t.value, t.label) for t in ProfileType],
            "label": [("", "No label"), *((lab.value, lab.value.title()) for lab in Label)],
            "country": [("", "Not stated"), *_by_name(country_names())],
            "cluster_codes": _by_name(catalogues.clusters),
            "languages": _by_name(language_names()),
            "target_countries": _by_name(country_names()),
        },
        **context,
    )


def _by_name(names: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(names.items(), key=lambda item: item[1])


# --- history, admins, my organisations --------------------------------------------------------


@router.get("/directory/{organisation_id}/history", response_class=HTMLResponse)
def history(
    request: Request, session: DbSession, user: CurrentUser, organisation_id: ProfileId
) -> HTMLResponse:
    """Every saved change (the profile's admins)."""
    revisions = directory.history(session, organisation_id=organisation_id, actor=user)
    found = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
    return _render(
        request, "history.html", profile=found, revisions=revisions, labels=profile_form.LABELS
    )


@router.get("/directory/{organisation_id}/admins", response_class=HTMLResponse)
def admins(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    organisation_id: ProfileId,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Who may edit the profile, and a form to add a colleague (the profile's admins)."""
    return _admins_page(request, session, user, organisation_id, notice=NOTICES.get(saved or ""))


def _admins_page(
    request: Request,
    session: DbSession,
    user: UserPublic,
    organisation_id: int,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    listed = profile_admins.list_admins(session, organisation_id=organisation_id, actor=user)
    found = directory.get_profile(session, organisation_id=organisation_id, viewer=user)
    context.setdefault("errors", [])
    return _render(request, "admins.html", status, profile=found, admins=listed, **context)


@router.post("/directory/{organisation_id}/admins", response_class=HTMLResponse)
def add_admin(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    organisation_id: ProfileId,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Let a colleague with an account edit the profile too."""
    try:
        directory.add_admin(session, organisation_id=organisation_id, email=email, actor=user)
    except (InvalidInput, NotFound) as exc:
        messages = (
            [p.message for p in exc.problems] if isinstance(exc, InvalidInput) else [str(exc)]
        )
        problems = [Problem(message, field="email") for message in messages]
        return _admins_page(request, session, user, organisation_id, 422, errors=problems,
                            email=email)  # fmt: skip
    return _redirect(f"/directory/{organisation_id}/admins?saved=admin")


@router.get("/account/organisations", response_class=HTMLResponse)
def my_organisations(request: Request, session: DbSession, user: OptionalUser) -> Response:
    """The profiles the logged-in user administers."""
    if user is None:
        return _login_first(request)
    return _render(
        request, "mine.html", nav="account", profiles=directory.my_profiles(session, actor=user)
    )


# --- partnerships -----------------------------------------------------------------------------


@router.get("/partnerships", response_class=HTMLResponse)
def partnership_list(request: Request, session: DbSession) -> HTMLResponse:
    """Every partnership with its member count."""
    return _render(
        request, "partnerships.html", partnerships=partnerships.list_partnerships(session)
    )


@router.get("/partnerships/{key}", response_class=HTMLResponse)
def partnership(
    request: Request, session: DbSession, catalogues: DirCatalogues, key: PartnershipKey
) -> HTMLResponse:
    """A partnership and its member profiles."""
    return _render(
        request,
        "partnership.html",
        partnership=partnerships.get_partnership(session, key=key),
        clusters=catalogues.clusters,
    )
