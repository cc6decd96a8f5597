"""Directory search on both databases: matching, ranking, facets, filters, paging, refresh."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import Role, UserPublic, create_user
from clusterhub.services.directory import facts as profile_facts
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import OrganisationInput, OrganisationSummary
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.services.search.catalogue import Rows, load
from clusterhub.services.search.queries import (
    DirectoryIndex,
    SearchMode,
    SearchRequest,
    SortOrder,
    search,
)
from clusterhub.services.search.schemas import SearchResults
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation
from tests.conftest import DB_KINDS, migrated_database

MARKER = "zephyrite"  # a made-up word, only in descriptions of the marked profiles
PLACES = [
    ("DE", "DE111", "Stuttgart"),
    ("FR", "FR101", "Paris"),
    ("NL", "NL226", "Arnhem"),
    ("ES", "ES511", "Barcelona"),
    ("PL", "PL911", "Warsaw"),
    ("FR", "FRJ23", "Toulouse"),
]
TYPES = ["cluster_organisation", "cluster_member", "project", "national_organisation"]
CLUSTERS = [["4"], ["18", "42"], ["23"], ["30", "5"], ["40"], []]
MEMBERS = [None, 8, 40, 120, 300, 900]
LABELS: list[tuple[str | None, str | None]] = [
    (None, None),
    ("gold", "2099-12-31"),
    ("silver", "2020-01-01"),
    ("bronze", "2099-01-01"),
    (None, None),
]
#: Label reviews set after the import (which only declares): verified levels, an expired label
#: that was verified (expired wins), and a rejected one; every other label stays declared.
REVIEWS = {
    "t:aero": "verified", "t:fill-01": "verified", "t:fill-03": "verified",
    "t:fill-06": "verified", "t:fill-07": "verified", "t:fill-18": "rejected",
}  # fmt: skip


def _special() -> list[dict[str, Any]]:
    """Profiles with known contents for the ranking, semantic and escaping checks."""
    return [
        {
            "key": "t:aero",
            "name": "Aerospace Valley",
            "acronym": "AV",
            "nuts_code": "FRJ23",
            "city": "Toulouse",
            "description": "Companies that design and build aeroplanes, helicopters, jet engines "
            "and satellites, with their suppliers of avionics.",
            "cluster_codes": ["1"],
            "members_total": 800,
            "label": "gold",
            "label_valid_until": "2099-12-31",
        },
        {
            "key": "t:robot-name",
            "name": "Robotics Alliance",
            "nuts_code": "DE111",
            "description": "Machine builders of the region working together.",
            "cluster_codes": ["40"],
        },
        {
            "key": "t:robot-body",
            "name": "Northern Machine Network",
            "nuts_code": "NL226",
            "description": "A network where one member also does robotics among many other "
            "things such as welding, casting and moulding of parts for machines.",
            "cluster_codes": ["40"],
        },
        {
            "key": "t:solar-both",
            "name": "Sunny Storage Group",
            "nuts_code": "ES511",
            "description": "Solar panels combined with home batteries.",
            "cluster_codes": ["14"],
        },
        {
            "key": "t:solar-one",
            "name": "Helios Panels",
            "nuts_code": "ES511",
            "description": "Solar panels for roofs.",
            "cluster_codes": ["14"],
        },
        {
            "key": "t:pv",
            "name": "Photovoltaic Cooperative",
            "nuts_code": "ES511",
            "description": "Photovoltaic modules and inverters that turn sunlight into power.",
            "cluster_codes": ["14"],
        },
        {
            "key": "t:html",
            "name": "Script Kiddies Cluster",
            "nuts_code": "PL911",
            "description": "<script>alert('x')</script> cybersecurity training for firms",
            "cluster_codes": ["23"],
        },
    ]


def _fillers() -> list[dict[str, Any]]:
    """Profiles varying every facet; every third one has the marker word."""
    records = []
    for i in range(30):
        country, nuts, city = PLACES[i % len(PLACES)]
        label, until = LABELS[i % len(LABELS)]
        words = f" {MARKER} quality" if i % 3 == 0 else ""
        records.append(
            {
                "key": f"t:fill-{i:02d}",
                "name": f"Filler {chr(ord('A') + i % 26)}{i:02d} Network",
                "profile_type": TYPES[i % len(TYPES)],
                "country": country,
                "nuts_code": nuts,
                "city": city,
                "description": f"Regional cooperation of firms{words}.",
                "cluster_codes": CLUSTERS[i % len(CLUSTERS)],
                "members_total": MEMBERS[i % len(MEMBERS)],
                "label": label,
                "label_valid_until": until,
                "is_synthetic": i % 4 == 0,
            }
        )
    return records


def _records(catalogues: Catalogues) -> list[OrganisationInput]:
    return [directory.validate(r, catalogues) for r in _special() + _fillers()]


def _load(settings: Settings, catalogues: Catalogues, embedder: Embedder) -> None:
    with transaction(make_session_factory(make_engine(settings))) as session:
        directory.upsert_profiles(
            session,
            records=_records(catalogues),
            source="test",
            catalogues=catalogues,
            embedder=embedder,
        )
        for key, review in REVIEWS.items():
            session.execute(
                update(Organisation).where(Organisation.key == key).values(label_review=review)
            )


@pytest.fixture(scope="module", params=DB_KINDS)
def loaded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    catalogues: Catalogues,
    embedder: Embedder,
) -> Iterator[Settings]:
    """A database of each kind holding the test profiles (read-only tests share it)."""
    with migrated_database(request.param, tmp_path_factory.mktemp("search")) as settings:
        _load(settings, catalogues, embedder)
        yield settings


@pytest.fixture
def session(loaded: Settings) -> Iterator[Session]:
    engine = make_engine(loaded)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def index(loaded: Settings, catalogues: Catalogues) -> DirectoryIndex:
    """One index per database, as one per process in production."""
    return DirectoryIndex(cluster_names=catalogues.clusters)


def _run(
    session: Session, index: DirectoryIndex, embedder: Embedder | None = None, **fields: Any
) -> SearchResults:
    return search(session, request=SearchRequest(**fields), index=index, embedder=embedder)


def _keys(results: SearchResults) -> list[str]:
    return [hit.key for hit in results.items]


def _all_keys(session: Session, index: DirectoryIndex, **fields: Any) -> list[str]:
    results = _run(session, index, **fields, page_size=100)
    assert results.total <= 100
    return _keys(results)


# --- keyword ----------------------------------------------------------------------------------


def test_a_name_match_outranks_a_body_match(session: Session, index: DirectoryIndex) -> None:
    keys = _keys(_run(session, index, q="robotics", mode="keyword"))
    assert keys[:2] == ["t:robot-name", "t:robot-body"]


def test_every_term_must_match(session: Session, index: DirectoryIndex) -> None:
    assert _keys(_run(session, index, q="solar batteries", mode="keyword")) == ["t:solar-both"]
    assert set(_keys(_run(session, index, q="solar panels", mode="keyword"))) == {
        "t:solar-both",
        "t:solar-one",
    }


def test_the_last_term_matches_as_a_prefix(session: Session, index: DirectoryIndex) -> None:
    assert "t:aero" in _keys(_run(session, index, q="aerosp", mode="keyword"))
    assert _run(session, index, q="aerosp ", mode="keyword").total == 0


def test_a_query_without_words_browses(session: Session, index: DirectoryIndex) -> None:
    everything = _run(session, index, q="", mode="keyword", page_size=100)
    assert everything.total == len(_special()) + len(_fillers())
    assert _run(session, index, q=" ?! -- ", mode="keyword").total == everything.total
    names = [hit.name.casefold() for hit in everything.items]
    assert names == sorted(names)


def test_highlight_escapes_html_and_marks_terms(session: Session, index: DirectoryIndex) -> None:
    results = _run(session, index, q="cybersecurity", mode="keyword")
    (hit,) = results.items
    assert hit.snippet_html is not None
    assert "<script" not in hit.snippet_html
    # SQLite shows the tag escaped; PostgreSQL's ts_headline drops markup from passages
    assert "&lt;script&gt;" in hit.snippet_html or "script" not in hit.snippet_html
    assert "<mark>cybersecurity</mark>" in hit.snippet_html
    named = _run(session, index, q="robotics", mode="keyword").items[0]
    assert named.name_html == "<mark>Robotics</mark> Alliance"


def test_hits_carry_what_the_directory_summary_says(
    session: Session, index: DirectoryIndex
) -> None:
    results = _run(session, index, q="", page_size=100)
    assert results.total == len(results.items)
    for hit in results.items:
        org = session.get(Organisation, hit.id)
        assert org is not None
        fields = set(OrganisationSummary.model_fields)
        assert OrganisationSummary(**hit.model_dump(include=fields)) == directory.summary(org)


# --- semantic and hybrid ----------------------------------------------------------------------


def test_semantic_finds_a_profile_by_meaning(
    session: Session, index: DirectoryIndex, embedder: Embedder
) -> None:
    assert _run(session, index, q="aircraft", mode="keyword").total == 0
    results = _run(session, index, embedder, q="aircraft", mode="semantic")
    assert _keys(results)[0] == "t:aero"
    assert results.total < len(_special()) + len(_fillers())  # the floor keeps out the rest
    assert results.items[0].snippet_html is None


def test_hybrid_holds_keyword_and_semantic_results(
    session: Session, index: DirectoryIndex, embedder: Embedder
) -> None:
    keyword = set(_all_keys(session, index, q="solar", mode="keyword"))
    semantic = set(_all_keys(session, index, q="solar", mode="semantic", embedder=embedder))
    hybrid = _run(session, index, embedder, q="solar", mode="hybrid", page_size=100)
    assert "t:pv" in semantic - keyword
    assert set(_keys(hybrid)) == keyword | semantic
    assert hybrid.total == len(keyword | semantic)
    assert set(_keys(hybrid)[:2]) == {"t:solar-both", "t:solar-one"}  # in both rankings


def test_semantic_without_the_model_is_refused_and_hybrid_falls_back(
    session: Session, index: DirectoryIndex
) -> None:
    with pytest.raises(InvalidInput):
        _run(session, index, q="aircraft", mode="semantic")
    results = _run(session, index, q="robotics", mode="hybrid")
    assert results.mode == SearchMode.KEYWORD
    assert _keys(results)[0] == "t:robot-name"


# --- facets and filters -----------------------------------------------------------------------


def _status(record: OrganisationInput) -> str:
    status = profile_facts.label_status(record.label, record.label_valid_until)
    if status in ("none", "expired"):
        return status
    review = REVIEWS.get(str(record.key), "declared")
    return str(record.label) if review == "verified" else review


def _facts(record: OrganisationInput) -> dict[str, list[str]]:
    nuts = record.nuts_code or ""
    return {
        "country": [record.country or ""],
        "region": [nuts[:4]] if len(nuts) >= 4 else [],
        "cluster": list(record.cluster_codes),
        "profile_type": [record.profile_type.value],
        "label": [_status(record)],
        "size_band": [profile_facts.size_band(record.members_total)],
        "synthetic": [str(record.is_synthetic)],
    }


def _brute_facets(
    records: list[OrganisationInput], filters: dict[str, set[str]]
) -> dict[str, Counter[str]]:
    """Disjunctive counts: each facet applies every filter but its own."""
    facets: dict[str, Counter[str]] = {}
    for facet in ("country", "region", "cluster", "profile_type", "label", "size_band"):
        counter: Counter[str] = Counter()
        for record in records:
            facts = _facts(record)
            if all(set(facts[f]) & wanted for f, wanted in filters.items() if f != facet):
                counter.update(v for v in facts[facet] if v)
        facets[facet] = counter
    return facets


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"country": {"FR"}},
        {"country": {"FR", "DE"}, "cluster": {"4"}},
        {"label": {"expired", "gold"}, "synthetic": {"False"}},
        {"label": {"declared", "bronze", "rejected"}},
        {"size_band": {"50–149", "unknown"}, "profile_type": {"cluster_member"}},
    ],
)
def test_facet_counts_equal_brute_force_counts(
    session: Session,
    index: DirectoryIndex,
    catalogues: Catalogues,
    filters: dict[str, set[str]],
) -> None:
    marked = [r for r in _records(catalogues) if MARKER in r.description]
    fields: dict[str, Any] = {k: sorted(v) for k, v in filters.items() if k != "synthetic"}
    if "synthetic" in filters:
        fields["synthetic"] = filters["synthetic"] == {"True"}
    results = _run(session, index, q=MARKER, mode="keyword", page_size=100, **fields)
    expected = _brute_facets(marked, filters)
    for facet, counter in expected.items():
        shown = {v.value: v.count for v in results.facets[facet] if v.count}
        assert shown == dict(counter), facet
    matching = [
        r for r in marked if all(set(_facts(r)[f]) & wanted for f, wanted in filters.items())
    ]
    assert results.total == len(matching)
    assert sorted(_keys(results)) == sorted(str(r.key) for r in matching)


def test_facet_values_have_labels_and_keep_selected_values(
    session: Session, index: DirectoryIndex
) -> None:
    results = _run(session, index, q="", country=["DE", "SE"], cluster=["1"])
    countries = {v.value: v for v in results.facets["country"]}
    assert countries["DE"].label == "Germany"
    assert countries["SE"].count == 0  # selected, no results, still listed
    cluster = {v.value: v.label for v in results.facets["cluster"]}
    assert cluster["1"] == "Aerospace Vehicles and Defense"
    counts = [v.count for v in results.facets["country"] if v.value != "SE"]
    assert counts == sorted(counts, reverse=True)


def test_region_filter_matches_nuts_prefixes(session: Session, index: DirectoryIndex) -> None:
    toulouse = set(_all_keys(session, index, region=["FRJ23"]))
    assert "t:aero" in toulouse
    assert set(_all_keys(session, index, region=["FRJ"])) == toulouse
    france = set(_all_keys(session, index, region=["FR"]))
    assert france == set(_all_keys(session, index, country=["FR"]))
    assert france > toulouse


def test_label_filter_separates_expired_declared_and_verified_labels(
    session: Session, index: DirectoryIndex
) -> None:
    expired = _run(session, index, label=["expired"], page_size=100)
    assert expired.total > 0
    assert {hit.label_status for hit in expired.items} == {"expired"}
    assert "t:fill-07" in _keys(expired)  # verified once, expired now
    gold = _run(session, index, label=["gold"], page_size=100)
    assert {(h.label, h.label_status, h.label_review) for h in gold.items} == {
        ("gold", "valid", "verified")
    }
    assert set(_keys(gold)) == {"t:aero", "t:fill-01", "t:fill-06"}
    declared = _run(session, index, label=["declared"], page_size=100)
    assert declared.total > 0
    assert {(h.label_status, h.label_review) for h in declared.items} == {("valid", "declared")}
    assert {h.label for h in declared.items} == {"gold", "bronze"}  # any level
    rejected = _run(session, index, label=["rejected"], page_size=100)
    assert _keys(rejected) == ["t:fill-18"] and rejected.items[0].label_review == "rejected"
    facet = {v.value: v.label for v in gold.facets["label"]}
    assert facet["gold"] == "Gold label, verified"
    assert facet["declared"] == "Label declared, not verified"


def test_synthetic_filter(session: Session, index: DirectoryIndex) -> None:
    real = _run(session, index, synthetic=False, page_size=100)
    fake = _run(session, index, synthetic=True, page_size=100)
    assert fake.total > 0 and real.total > 0
    assert all(hit.is_synthetic for hit in fake.items)
    assert not any(hit.is_synthetic for hit in real.items)
    assert real.total + fake.total == _run(session, index).total


# --- paging and sorting -----------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", MARKER, "network"])
def test_pages_cover_the_results_once(session: Session, index: DirectoryIndex, q: str) -> None:
    first = _run(session, index, q=q, mode="keyword", page_size=4)
    pages = [first] + [
        _run(session, index, q=q, mode="keyword", page_size=4, page=p)
        for p in range(2, -(-first.total // 4) + 2)
    ]
    assert {p.total for p in pages} == {first.total}
    keys = [k for p in pages for k in _keys(p)]
    assert len(keys) == len(set(keys)) == first.total
    assert pages[-1].items == []
    assert 0 < len(pages[-2].items) <= 4


def test_sort_orders(session: Session, index: DirectoryIndex) -> None:
    by_name = _run(session, index, sort=SortOrder.NAME, page_size=100).items
    assert [h.name.casefold() for h in by_name] == sorted(h.name.casefold() for h in by_name)
    by_members = _run(session, index, sort=SortOrder.MEMBERS, page_size=100).items
    counts = [h.members_total for h in by_members]
    known = [c for c in counts if c is not None]
    assert known == sorted(known, reverse=True)
    assert counts[len(known) :] == [None] * (len(counts) - len(known))
    relevance = _run(session, index, q=MARKER, mode="keyword", sort=SortOrder.NAME).items
    assert [h.name for h in relevance] == sorted(h.name for h in relevance)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"page": 0},
        {"page_size": 1000},
        {"page_size": 0},
        {"mode": "fuzzy"},
        {"sort": "random"},
        {"q": "x" * 501},
        {"country": ["Germany"]},
        {"region": ["FR-J"]},
        {"label": ["platinum"]},
        {"size_band": ["huge"]},
        {"profile_type": ["company"]},
        {"colour": "red"},
    ],
)
def test_invalid_requests_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SearchRequest(**fields)


def test_codes_are_normalised() -> None:
    request = SearchRequest(country=["de"], region=["frj2"])
    assert (request.country, request.region) == (["DE"], ["FRJ2"])


# --- refresh ----------------------------------------------------------------------------------


def test_index_follows_changes_made_elsewhere(
    db_settings: Settings, tmp_path: Path, catalogues: Catalogues, embedder: Embedder
) -> None:
    _load(db_settings, catalogues, embedder)
    reader = make_session_factory(make_engine(db_settings))
    writer = make_session_factory(make_engine(db_settings))
    index = DirectoryIndex()
    with reader() as session:
        before = _run(session, index, q=MARKER, mode="keyword", page_size=100)
        before_all = _run(session, index, q="", page_size=100).total
    renamed = directory.validate({**_fillers()[0], "name": "Quasar Works"}, catalogues)
    with transaction(writer) as session:
        directory.upsert_profiles(
            session, records=[renamed], source="test", catalogues=catalogues, embedder=embedder
        )
    with reader() as session:  # an edit only: rows rewritten in place
        assert _keys(_run(session, index, q="quasar", mode="keyword")) == ["t:fill-00"]
        assert _run(session, index, q="", page_size=100).total == before_all
    with transaction(writer) as session:
        extra = directory.validate(
            {"key": "t:new", "name": "Fresh Entrant", "description": f"{MARKER} newcomer"},
            catalogues,
        )
        directory.upsert_profiles(
            session, records=[extra], source="test-extra", catalogues=catalogues, embedder=None
        )
    with transaction(writer) as session:
        doomed = directory.find_by_key(session, key="t:fill-03")
        directory.delete_profile(session, organisation_id=doomed, actor=_site_admin(session))
    for idx in (index, DirectoryIndex()):
        with reader() as session:
            after = _run(session, idx, q=MARKER, mode="keyword", page_size=100)
            assert after.total == before.total  # one added, one deleted
            assert "t:new" in _keys(after) and "t:fill-03" not in _keys(after)
            assert _keys(_run(session, idx, q="quasar", mode="keyword")) == ["t:fill-00"]
            assert "t:fill-03" not in _all_keys(session, idx, q="", country=["NL"])
            assert _keys(_run(session, idx, sort=SortOrder.UPDATED))[:2] == ["t:new", "t:fill-00"]
    with reader() as session:  # what the change log brought in is what a full load reads
        _assert_same_rows(index.catalogue(session).rows, load(session, None, model=index.model))


def _assert_same_rows(kept: Rows, fresh: Rows) -> None:
    for name in Rows.__dataclass_fields__:
        if name.startswith("pair_"):
            continue
        assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name
    pairs = sorted(zip(kept.pair_ids.tolist(), kept.pair_codes.tolist(), strict=True))
    assert pairs == sorted(zip(fresh.pair_ids.tolist(), fresh.pair_codes.tolist(), strict=True))


def _site_admin(session: Session) -> UserPublic:
    return create_user(
        session,
        email="admin@example.org",
        display_name="Admin",
        password="a long enough password 1",
        role=Role.SITE_ADMIN,
    )


def test_an_index_handed_another_database_starts_over(
    loaded: Settings, db_settings: Settings, catalogues: Catalogues
) -> None:
    few = _records(catalogues)[:3]
    with transaction(make_session_factory(make_engine(db_settings))) as session:
        directory.upsert_profiles(
            session, records=few, source="test", catalogues=catalogues, embedder=None
        )  # generation 1, as in the loaded database
    index = DirectoryIndex()
    for settings, expected in ((loaded, len(_special()) + len(_fillers())), (db_settings, 3)):
        engine = make_engine(settings)
        with make_session_factory(engine)() as session:
            assert _run(session, index, page_size=100).total == expected
            assert index.catalogue(session).size == expected
        engine.dispose()


def test_unchanged_database_is_not_reloaded(loaded: Settings) -> None:
    index = DirectoryIndex()
    engine = make_engine(loaded)
    with make_session_factory(engine)() as session:
        first = index.catalogue(session)
        assert index.catalogue(session) is first
        assert first.size == len(_special()) + len(_fillers())
        assert first.has_vector.all()
    engine.dispose()


def test_dates_of_labels_are_judged_at_query_time(loaded: Settings) -> None:
    index = DirectoryIndex()
    engine = make_engine(loaded)
    with make_session_factory(engine)() as session:
        catalogue = index.catalogue(session)
        now = catalogue.labels(date(2026, 1, 1)).counts(catalogue.has_vector)
        later = catalogue.labels(date(2099, 6, 1)).counts(catalogue.has_vector)
    engine.dispose()
    assert later["expired"] > now["expired"]
    assert later.get("bronze", 0) == 0 < now["bronze"]
    assert later["declared"] < now["declared"]  # declared bronze labels ran out in 2099
