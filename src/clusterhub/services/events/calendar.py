"""A participant's agenda as an iCalendar file (RFC 5545), written by hand: the format needs
only a few properties, and no calendar library is among the project's dependencies.

One ``VEVENT`` per scheduled meeting with a stable ``UID`` (the meeting and the participant,
so a re-imported file updates the entries instead of duplicating them), times in UTC
(``…Z``), the other party in ``SUMMARY`` and the table and venue in ``LOCATION``. Lines end in
CRLF and are folded at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.events.access import find_event, moment_of, registration_of
from clusterhub.services.events.agenda import agenda_of

#: Octets per line before folding, as RFC 5545 §3.1 asks.
LINE_OCTETS = 75
PRODUCT = "-//clusterhub//matchmaking agenda//EN"


def agenda_ics(
    session: Session, *, viewer: UserPublic | None, event_id: int, now: datetime | None = None
) -> str:
    """The viewer's agenda for the event as the text of an ``.ics`` file (their own only)."""
    items = agenda_of(session, viewer=viewer, event_id=event_id)
    event = find_event(session, event_id)
    mine = registration_of(session, viewer.id, event.id) if viewer else None
    stamp = _utc(moment_of(now))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(event.title)}",
    ]
    for item in items:
        place = ", ".join(part for part in (item.table, event.venue or "") if part)
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{event.id}-meeting-{item.meeting_id}-p{mine.id if mine else 0}@clusterhub",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(item.starts_at)}",
            f"DTEND:{_utc(item.ends_at)}",
            f"SUMMARY:{escape(f'Meeting with {item.partner_name}')}",
            f"DESCRIPTION:{escape(f'{event.title}, slot {item.slot}')}",
        ]
        if place:
            lines.append(f"LOCATION:{escape(place)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment_of(moment).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, new lines as ``\\n``."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """A content line folded into parts of at most 75 octets, each continuation starting
    with a space; a multi-byte character is never cut."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1  # the leading space counts
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)
