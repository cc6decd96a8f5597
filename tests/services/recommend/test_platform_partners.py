"""The recommender on the platform's own database (SQLite and PostgreSQL): the stored graph
reads back as the world it was written from, suggestions are new partners with named reasons,
directory profiles outside CORDIS are matched by their text, and the app's model learns in the
background and again when the projects change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.recommend.collaborations import Collaborations
from clusterhub.services.recommend.models import (
    NO_DATA,
    SWITCHED_OFF,
    FittedModels,
    ModelStatus,
    fit_stored,
)
from clusterhub.services.recommend.partners import suggest_partners
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.services.recommend.stored import profile_of, read_stored
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, Participation, Project
from tests.services.recommend.stored_world import PARTS, store_world
from tests.services.recommend.world import community_of, world

NO_LENS = RegionalLens([], {}, frozenset(), {})


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def data() -> Collaborations:
    return world(seed=3)


def _newcomer(session: Session) -> Organisation:
    """A cluster organisation outside CORDIS whose text speaks of transport (part SC4) and
    batteries (energy, SC3)."""
    org = Organisation(
        key="cmp:newcomer", source="demo", profile_type="cluster_organisation",
        name="Electric Mobility Cluster", country="DE", nuts_code="DE11",
        description="Car makers, automotive suppliers and logistics firms building electric "
        "vehicles and the charging of their batteries.",
    )  # fmt: skip
    session.add(org)
    session.flush()
    return org


def test_the_stored_graph_reads_back_as_the_world_it_was_written_from(
    factory: sessionmaker[Session], data: Collaborations
) -> None:
    with transaction(factory) as session:
        ids = store_world(session, data)
    with factory() as session:
        stored = read_stored(session)
    name_of = {str(i): o for o, i in ids.items()}
    back = stored.rows.with_columns(pl.col("org").replace_strict(name_of)).sort("project", "org")
    original = data.rows.sort("project", "org")
    assert back.select("org", "year", "type", "country").equals(
        original.select("org", "year", "type", "country")
    )
    assert sorted(stored.parts["part"].unique().to_list()) == sorted(PARTS.values())


def test_suggestions_are_new_partners_with_named_reasons_for_members_and_newcomers(
    factory: sessionmaker[Session], data: Collaborations
) -> None:
    with transaction(factory) as session:
        ids = store_world(session, data)
        newcomer = _newcomer(session)
    with factory() as session:
        model = fit_stored(session, seed=1)
        status = ModelStatus(model)
        query = "c1-o05"
        found = suggest_partners(session, organisation_id=ids[query], status=status,
                                 lens=NO_LENS, top=10)  # fmt: skip
        assert found.ready and found.basis == "history" and len(found.items) == 10
        partners = {
            o for p in data.rows.filter(pl.col("org") == query)["project"]
            for o in data.rows.filter(pl.col("project") == p)["org"]
        }  # fmt: skip
        by_id = {i: o for o, i in ids.items()}
        suggested = [by_id[item.partner.id] for item in found.items]
        assert query not in suggested and not partners & set(suggested)
        # the world's answer: mostly its own community
        assert sum(community_of(o) == 1 for o in suggested) >= 8
        shared = [r for item in found.items for r in item.reasons if r.kind == "shared_partners"]
        assert shared and all("World organisation" in r.text for r in shared)
        assert all(o.name.startswith("World organisation") for r in shared for o in r.organisations)
        # only those asked for
        among = {i for o, i in ids.items() if community_of(o) == 2}
        limited = suggest_partners(session, organisation_id=ids[query], status=status,
                                   lens=NO_LENS, top=10, among=among)  # fmt: skip
        assert {item.partner.id for item in limited.items} <= among
        # a directory profile outside CORDIS: matched by its text to transport (community 0)
        org = session.get(Organisation, newcomer.id)
        assert org is not None
        profile = profile_of(org, {})
        assert profile.inferred and profile.type == "OTH"
        assert "SC4" in profile.parts and "Innovation in SMEs" in profile.parts
        fresh = suggest_partners(session, organisation_id=newcomer.id, status=status,
                                 lens=NO_LENS, top=5)  # fmt: skip
        assert fresh.basis == "profile" and fresh.items
        matched = {int(c[1]) for c, part in PARTS.items() if part in profile.parts}
        assert 0 in matched and len(matched) < 4
        assert all(community_of(by_id[item.partner.id]) in matched for item in fresh.items)
        assert any("match your profile" in r.text for r in fresh.items[0].reasons)
        with pytest.raises(NotFound):
            suggest_partners(session, organisation_id=10**6, status=status, lens=NO_LENS)


def test_the_apps_model_learns_in_the_background_and_again_when_projects_change(
    factory: sessionmaker[Session], data: Collaborations
) -> None:
    models = FittedModels(factory, seed=1)
    empty = models.current()
    assert empty.model is None and empty.message == NO_DATA and not empty.learning
    with transaction(factory) as session:
        ids = store_world(session, data)
    started = models.current()
    assert started.model is None and started.learning
    models.wait(120)
    ready = models.current()
    assert ready.model is not None and not ready.learning
    assert ready.model.state.participations == data.rows.height
    with transaction(factory) as session:  # one more participation: the model is stale
        project = session.query(Project).first()
        assert project is not None
        session.add(Participation(project_id=project.id, organisation_id=ids["c3-o01"],
                                  role="participant"))  # fmt: skip
    stale = models.current()
    assert stale.model is ready.model and stale.learning  # the old one answers meanwhile
    models.wait(120)
    assert models.current().model is not ready.model
    off = FittedModels(factory, enabled=False).current()
    assert off.model is None and off.message == SWITCHED_OFF


def test_too_little_to_learn_from_is_said_not_raised_by_the_background_model(
    factory: sessionmaker[Session], data: Collaborations
) -> None:
    with transaction(factory) as session:  # one year only: nothing formed after any cut
        store_world(session, data.during(2014, 2014))
    with factory() as session, pytest.raises(InvalidInput):
        fit_stored(session)
    models = FittedModels(factory)
    models.current()
    models.wait(60)
    said = models.current()
    assert said.model is None and said.message.startswith("No suggestions can be learned yet")


def test_a_start_on_a_database_without_tables_is_logged_not_raised(tmp_path: Path) -> None:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    FittedModels(make_session_factory(engine)).start()  # no participations table: no error
    engine.dispose()
