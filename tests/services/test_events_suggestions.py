"""Suggested meetings on SQLite and PostgreSQL: shared cluster categories and matching
offers are explained, people already requested are left out, and the best come first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clusterhub.errors import PermissionDenied
from clusterhub.services.events import requests
from clusterhub.services.events.suggestions import suggest_meetings, words
from clusterhub.services.search.queries import DirectoryIndex
from clusterhub.store.events import EventParticipant
from clusterhub.store.models import OrganisationCluster
from tests.conftest import DB_KINDS
from tests.services.events_world import EventWorld, event_world


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
    _profile(world, a, "composite wing testing", "drone avionics suppliers", ("aerospace",))
    _profile(world, b, "avionics for drone makers", "wing testing", ("aerospace",))
    _profile(world, c, "bakery ovens", "flour", ("food",))
    _profile(world, d, "drone batteries", "", ())
    index = DirectoryIndex(cluster_names={"aerospace": "Aerospace"})
    with world.tx() as session:
        found = suggest_meetings(session, viewer=ana, event_id=event_id, index=index)
    assert [s.participant_id for s in found] == [b, d]
    assert "both in the Aerospace cluster category" in found[0].reasons
    assert "their offer matches what you seek: avionics, drone" in found[0].reasons
    assert "they seek what you offer: wing, testing" in found[0].reasons
    assert found[1].reasons == ["their offer matches what you seek: drone"]
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
