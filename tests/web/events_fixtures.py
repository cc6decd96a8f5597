"""A matchmaking event in the package's web app (both database kinds), built through the API.

``event_world`` (module scope in the tests that use it): the seed's Stuttgart admin organises a
published event; three new members each create a profile and register for it; the first two
have an accepted meeting and the third a request still open to the second.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from clusterhub.services.accounts import users
from clusterhub.store.db import transaction
from tests.web.directory_fixtures import PASSWORD, DirectoryWorld, csrf

#: One day in Brussels: 09:00-10:30 in 30-minute slots (1-3), 14:00-15:00 (4-5).
SESSIONS = [
    {"date": "2030-03-10", "start": "09:00", "end": "10:30", "slot_minutes": 30},
    {"date": "2030-03-10", "start": "14:00", "end": "15:00", "slot_minutes": 30},
]


@dataclass
class EventWorld:
    """The event's id, its organiser and participants (browsers with the CSRF header)."""

    world: DirectoryWorld
    organiser: TestClient
    event_id: int
    people: list[TestClient] = field(default_factory=list)
    participant_ids: list[int] = field(default_factory=list)
    request_ids: list[int] = field(default_factory=list)

    def close(self) -> None:
        for browser in (self.organiser, *self.people):
            browser.close()


def member(world: DirectoryWorld, name: str) -> TestClient:
    """A new verified member, logged in, sending the CSRF header."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    with transaction(world.app.state.sessions) as session:
        users.create_user(session, email=email, display_name=name, password=PASSWORD)
    browser = world.logged_in(email)
    browser.headers["X-CSRF-Token"] = csrf(browser)
    return browser


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def build_event(world: DirectoryWorld, **fields: Any) -> EventWorld:
    """The published event with three participants, one accepted and one open request."""
    organiser = world.logged_in(world.admin_email)
    organiser.headers["X-CSRF-Token"] = csrf(organiser)
    body = {
        "title": f"Battery brokerage {uuid.uuid4().hex[:6]}",
        "organiser_id": world.ids[world.owned_key],
        "venue": "Messe Stuttgart, Hall 4",
        "sessions": SESSIONS,
        "table_count": 2,
        **fields,
    }
    event = ok(organiser.post("/api/v1/events", json=body), 201)
    ok(organiser.post(f"/api/v1/events/{event['id']}/status", json={"status": "published"}))
    built = EventWorld(world, organiser, event["id"])
    for name in ("Ada", "Bruno", "Chiara"):
        browser = member(world, name)
        profile = world.create(browser, name=f"{name} Batteries {uuid.uuid4().hex[:6]}")
        registration = {
            "organisation_id": profile["id"],
            "participant_type": "sme",
            "offer": f"{name}'s cells",
            "seek": "recyclers",
            "opportunities": [{"kind": "seek", "title": "Pilot site"}],
        }
        mine = ok(
            browser.post(f"/api/v1/events/{event['id']}/participants", json=registration), 201
        )
        built.people.append(browser)
        built.participant_ids.append(mine["id"])
    ada, bruno, chiara = built.people
    a, b, c = built.participant_ids
    first = ok(
        ada.post(
            f"/api/v1/events/{event['id']}/requests",
            json={"receiver_id": b, "message": "Meet about cells?"},
        ),
        201,
    )
    ok(bruno.post(f"/api/v1/event-requests/{first['id']}/accept"))
    second = ok(
        chiara.post(
            f"/api/v1/events/{event['id']}/requests",
            json={"receiver_id": b, "message": "Recycling, ours"},
        ),
        201,
    )
    built.request_ids = [first["id"], second["id"]]
    assert a and c
    return built


def event_world_fixture(directory_world: DirectoryWorld) -> Iterator[EventWorld]:
    built = build_event(directory_world)
    yield built
    built.close()
