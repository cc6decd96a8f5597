"""Suggested meetings on SQLite and PostgreSQL: shared cluster categories and matching
offers are explained, people already requested are left out, and the best come first; the
partner recommender and the regions add their evidence and reasons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from clusterhub.errors import PermissionDenied
from clusterhub.services.events import meetings, requests
from clusterhub.services.events.suggestions import PartnerEvidence, suggest_meetings, words
from clusterhub.services.observatory.schemas import MetricPublic
from clusterhub.services.recommend.models import ModelStatus, fit_stored
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.services.search.queries import DirectoryIndex
from clusterhub.store.events import EventParticipant
from clusterhub.store.models import Organisation, OrganisationCluster, Participation, Project
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world
from tests.services.recommend.stored_world import store_world
from tests.services.recommend.world import world as recommender_world


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventWorld]:
    yield from event_world(request.param, tmp_path_factory.mktemp("suggest"))


def _profile(world: EventWorld, pid: int, offer: str, seek: str, codes: tuple[str, ...]) -> None:
    with world.tx() as session:
        p = session.get(EventParticipant, pid)
        assert p is not None
        p.offer, p.seek = offer, seek
        session.add_all(OrganisationCluster(organisation_id=p.organisation_id, cluster_code=c)
                        for c in codes)  # fmt: skip


def test_suggestions_are_explained_ranked_and_exclude_requested(world: EventWorld) -> None:
    _organiser, event_id = world.event(status="published")
    (ana, a), (_ben, b), (_cy, c), (_dan, d) = (world.join(event_id) for _ in range(4))
    _profile(world, a, "composite wing testing", "drone avionics suppliers", ("aerospace", "space"))
    _profile(world, b, "avionics for drone makers", "wing testing", ("aerospace", "space"))
    _profile(world, c, "bakery ovens", "flour", ("food",))
    _profile(world, d, "drone batteries", "", ("space",))
    index = DirectoryIndex(cluster_names={"aerospace": "Aerospace", "space": "Space"})
    with world.tx() as session:
        found = suggest_meetings(session, viewer=ana, event_id=event_id, index=index)
    assert [s.participant_id for s in found] == [b, d]
    assert "both in the cluster categories Aerospace; Space" in found[0].reasons
    assert "their offer matches what you seek: avionics, drone" in found[0].reasons
    assert "they seek what you offer: wing, testing" in found[0].reasons
    assert found[1].reasons == [
        "both in the Space cluster category",
        "their offer matches what you seek: drone",
    ]
    with world.tx() as session:
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
    stranger = world.user()
    with world.tx() as session:
        again = suggest_meetings(session, viewer=ana, event_id=event_id, index=index)
        assert [s.participant_id for s in again] == [d]
        with pytest.raises(PermissionDenied):
            suggest_meetings(session, viewer=stranger, event_id=event_id, index=index)


def test_words_drop_short_and_common_ones() -> None:
    assert words("We seek partners for Drone drone R&D with 5G") == ["drone"]


def _in_projects(world: EventWorld, pid: int, projects: list[int], nuts: str | None) -> int:
    """Give a participant's organisation Horizon 2020 projects (and a region); its id."""
    with world.tx() as session:
        p = session.get(EventParticipant, pid)
        assert p is not None
        org = session.get(Organisation, p.organisation_id)
        assert org is not None
        org.nuts_code = nuts
        session.add_all(Participation(project_id=project, organisation_id=org.id,
                                      role="participant") for project in projects)  # fmt: skip
        return org.id


def test_the_recommender_and_the_regions_add_their_evidence(world: EventWorld) -> None:
    with world.tx() as session:
        ids = store_world(session, recommender_world(seed=3))
        rows = session.execute(
            select(Participation.project_id, Participation.organisation_id)
            .join(Project)
            .where(Project.start_date < date(2020, 1, 1))
        ).all()
    projects_of: dict[int, list[int]] = {}
    for project, org in rows:
        projects_of.setdefault(org, []).append(project)
    hub = ids["c1-o03"]  # A and B each join one of its projects: it becomes their shared partner
    first, second = projects_of[hub][:2]
    far = projects_of[ids["c3-o05"]][0]
    organiser, event_id = world.event(status="published")
    (ana, a), (_b, b), (_c, c), (_d, d) = (world.join(event_id) for _ in range(4))
    _profile(world, a, "", "", ("4",))
    _in_projects(world, a, [first], "DE11")
    _in_projects(world, b, [second], None)
    _in_projects(world, c, [far], None)
    _in_projects(world, d, [], "FR10")
    with world.factory() as session:
        model = fit_stored(session, seed=1)
    lens = RegionalLens(
        [MetricPublic.model_construct(region_code="FR10", region_name="Ile-de-France",
                                      cluster_code="37", stars=2)],
        {}, frozenset({("37", "4"), ("4", "37")}), {"4": "Automotive", "37": "Plastics"},
    )  # fmt: skip
    index = DirectoryIndex(cluster_names={"4": "Automotive"})
    with world.tx() as session:
        learned = PartnerEvidence(ModelStatus(model), lens)
        found = suggest_meetings(session, viewer=ana, event_id=event_id, index=index,
                                 partners=learned)  # fmt: skip
        unlearned = PartnerEvidence(ModelStatus(None, "learning"), lens)
        bare = suggest_meetings(session, viewer=ana, event_id=event_id, index=index,
                                partners=unlearned)  # fmt: skip
    by_id = {s.participant_id: s for s in found}
    assert b in by_id and all(s.reasons for s in found)  # C: ranked, but nothing to say
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert any(r.startswith("has worked with ") and "World organisation c1-o03" in r
               for r in by_id[b].reasons)  # fmt: skip
    assert by_id[d].reasons == [
        "complementary strength where they are: Plastics, strong in Ile-de-France (FR10) "
        "(2 stars), is related to your Automotive"
    ]
    assert b not in {s.participant_id for s in bare}  # without the model B has no evidence
    assert d in {s.participant_id for s in bare}  # the regional reason needs no model
    with world.tx() as session:  # asked or met: never suggested, whatever the evidence
        requests.send_request(session, actor=ana, event_id=event_id, receiver_id=b)
        meetings.add_meeting(session, actor=organiser, event_id=event_id, first_id=a, second_id=d)
        spoken = suggest_meetings(session, viewer=ana, event_id=event_id, index=index,
                                  partners=learned)  # fmt: skip
    assert {s.participant_id for s in spoken} == {s.participant_id for s in found} - {b, d}
