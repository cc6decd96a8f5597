"""Events and their participants from files, for the operator's command line
(``clusterhub events create``, ``clusterhub events import-participants``).

The YAML format is ``EventInput``'s fields (docs/reference/events.md), except that the
organiser may be named by its directory key (``organiser: cmp:1234``) instead of its id. Every
problem names the file and the line of the top-level key it concerns.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, load_yaml, read_rows
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.events.access import find_event, require_status
from clusterhub.services.events.events import EventPublic, create_event_as_operator
from clusterhub.services.events.registration import RegistrationInput
from clusterhub.services.posts.board import parse_input
from clusterhub.store.events import Event, EventParticipant
from clusterhub.store.models import Organisation, User


def _key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key of a YAML mapping."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if found:
            lines.setdefault(found.group(1), number)
    return lines


def create_event_from_file(session: Session, *, by: Actor, path: Path) -> EventPublic:
    """Create the draft event ``path`` describes, or ``InvalidInput`` naming file and line."""
    name = str(path)
    document = load_yaml(path, expected="a mapping describing one event")
    if not isinstance(document, dict):
        raise InvalidInput.single("the file must hold a mapping of the event's fields",
                                  file=name, line=1)  # fmt: skip
    lines = _key_lines(path.read_text(encoding="utf-8-sig"))
    data = dict(document)
    key = data.pop("organiser", None)
    if key is not None:
        found = session.scalar(select(Organisation.id).where(Organisation.key == str(key)))
        if found is None:
            raise InvalidInput.single("no directory profile with this key", file=name,
                                      line=lines.get("organiser"), field="organiser",
                                      value=str(key))  # fmt: skip
        data["organiser_id"] = found
    try:
        return create_event_as_operator(session, by=by, data=data)
    except InvalidInput as error:
        located = [replace(p, file=name, line=lines.get((p.field or "").split(".")[0]
                                                        .split("[")[0]))
                   for p in error.problems]  # fmt: skip
        raise InvalidInput(located, summary=error.summary, total=error.total) from None


#: Columns of a participants file; ``offer`` and ``seek`` may be left out.
PARTICIPANT_COLUMNS = ("email", "organisation", "participant_type", "offer", "seek")
_REQUIRED = PARTICIPANT_COLUMNS[:3]


def import_participants(session: Session, *, by: Actor, event_id: int, path: Path) -> int:
    """Register the people a CSV file lists (existing accounts, on behalf of directory profiles
    named by key) for a draft or published event: all rows or none, every bad row named by its
    line and field. Returns how many were registered."""
    event = find_event(session, event_id)
    require_status(event, ("draft", "published"), "import participants")
    name = str(path)
    problems = ProblemList()
    table = read_rows(path, problems=problems, name=name, expected="participants")
    problems.raise_if_any(f"{name} cannot be read")
    missing = [c for c in _REQUIRED if c not in table.header]
    if missing:
        raise InvalidInput.single(f"missing columns: {', '.join(missing)}", file=name, line=1,
                                  field=missing[0])  # fmt: skip
    taken = set(session.scalars(select(EventParticipant.user_id).where(
        EventParticipant.event_id == event.id, EventParticipant.active.is_(True))))  # fmt: skip
    people: list[EventParticipant] = []
    for row in table.rows:
        cells = dict(zip(table.header, row.cells, strict=True))
        found = _participant(session, event, cells, taken)
        if isinstance(found, Problem):
            problems.append(replace(found, file=name, line=row.line))
        else:
            taken.add(found.user_id)
            people.append(found)
    problems.raise_if_any(f"{name} was not imported")
    session.add_all(people)
    session.flush()
    audit.record(session, actor=by, action="events.import_participants", entity_type="event",
                 entity_id=event.id, details={"participants": len(people)})  # fmt: skip
    return len(people)


def _participant(
    session: Session, event: Event, cells: dict[str, str], taken: set[int]
) -> EventParticipant | Problem:
    """The registration a row describes, or its first problem."""
    email = cells["email"].strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return Problem("no account with this e-mail", field="email", value=email)
    if user.id in taken:
        return Problem("registered for this event already", field="email", value=email)
    org = session.scalar(select(Organisation).where(Organisation.key == cells["organisation"]))
    if org is None:
        return Problem("no directory profile with this key", field="organisation",
                       value=cells["organisation"])  # fmt: skip
    data = {"organisation_id": org.id, "participant_type": cells["participant_type"],
            "offer": cells.get("offer", ""), "seek": cells.get("seek", "")}  # fmt: skip
    try:
        clean = parse_input(RegistrationInput, data)
    except InvalidInput as error:
        return error.problems[0]
    return EventParticipant(event_id=event.id, user_id=user.id, organisation_id=org.id,
                            participant_type=clean.participant_type, offer=clean.offer,
                            seek=clean.seek, unavailable_slots=[], status="registered",
                            active=True)  # fmt: skip
