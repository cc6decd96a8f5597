"""Tables of matchmaking events (decision 0008): the event, its sessions and tables, who runs
it, who takes part, the requests and meetings between participants, schedule runs and the
outcomes reported afterwards.

Registered on ``models.Base`` (``models`` imports this module at its end), so Alembic, the
schema test, backups and ``create_all`` all see these tables. Every time is stored in UTC;
the event's ``time_zone`` (an IANA name) says how to show them.

Two portable tricks keep "at most one open X" as a plain unique constraint on SQLite and
PostgreSQL alike: a nullable flag column that is ``True`` while the row is open and ``NULL``
otherwise (NULLs never collide in a unique constraint), so closed rows can repeat freely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clusterhub.store.models import Base, utcnow


class Event(Base):
    """A brokerage event run by an organiser organisation.

    ``version`` is bumped (in SQL, ``version + 1``) by every change of a request or meeting, so a
    schedule run can tell whether what it solved is still what is stored.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="venue")
    venue: Mapped[str | None] = mapped_column(String(300))
    time_zone: Mapped[str] = mapped_column(String(64))
    registration_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registration_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: ``opt_in`` (the receiver accepts or declines) or ``auto_accept``.
    request_mode: Mapped[str] = mapped_column(String(16), default="opt_in")
    request_expiry_hours: Mapped[int] = mapped_column(Integer, default=72)
    max_meetings: Mapped[int | None] = mapped_column(Integer)
    max_opportunities: Mapped[int] = mapped_column(SmallInteger, default=3)
    #: Participants allowed per participant type (``{"sme": 40}``); a type not named is open.
    type_caps: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventSession(Base):
    """A block of meeting slots on one day (morning or afternoon); slots are derived from it."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    slot_minutes: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))


class EventTable(Base):
    """A meeting table or room; ``position`` is its number in the table plan (from 1)."""

    __tablename__ = "event_tables"
    __table_args__ = (UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(SmallInteger, default=2)


class EventAdmin(Base):
    """An account the organiser chose to manage the event with its own admins."""

    __tablename__ = "event_admins"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventParticipant(Base):
    """A person (account) taking part on behalf of a directory profile.

    ``active`` is True while registered or checked in and NULL once cancelled: one active
    registration per account and event.
    """

    __tablename__ = "event_participants"
    __table_args__ = (UniqueConstraint("event_id", "user_id", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    participant_type: Mapped[str] = mapped_column(String(32))
    offer: Mapped[str] = mapped_column(Text, default="")
    seek: Mapped[str] = mapped_column(Text, default="")
    unavailable_slots: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: ``registered``, ``cancelled`` or ``checked_in``.
    status: Mapped[str] = mapped_column(String(16), default="registered")
    active: Mapped[bool | None] = mapped_column(Boolean)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventOpportunity(Base):
    """A cooperation opportunity a participant lists in the event's marketplace."""

    __tablename__ = "event_opportunities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class MeetingRequest(Base):
    """A request to meet from one participant to another.

    ``open_pair`` is True while the request is sent or accepted and NULL after, so each ordered
    pair has at most one open request.
    """

    __tablename__ = "meeting_requests"
    __table_args__ = (
        UniqueConstraint("sender_id", "receiver_id", "open_pair"),
        Index("ix_meeting_requests_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    receiver_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    #: ``sent``, ``accepted``, ``declined``, ``withdrawn`` or ``expired``.
    status: Mapped[str] = mapped_column(String(16), default="sent")
    #: Both asked each other: the meeting is placed before any other.
    mutual: Mapped[bool] = mapped_column(Boolean, default=False)
    open_pair: Mapped[bool | None] = mapped_column(Boolean)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Meeting(Base):
    """A meeting to schedule: from an accepted request or added by the organiser.

    ``first_id`` < ``second_id`` (the pair in order); ``active`` is True until the meeting is
    cancelled (NULL after), one active meeting per pair. ``slot`` (numbered through the event)
    and ``table_id`` are the published placement; ``fixed_slot``/``fixed_table_id`` the
    organiser's, ``locked`` keeps a published meeting where it is.
    """

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id", "active"),
        Index("ix_meetings_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    first_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    second_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_requests.id", ondelete="SET NULL")
    )
    #: ``request`` (accepted), ``mutual`` (both asked) or ``organiser``.
    origin: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``any``, ``morning`` or ``afternoon``.
    session_kind: Mapped[str] = mapped_column(String(16), default="any")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    fixed_slot: Mapped[int | None] = mapped_column(Integer)
    fixed_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_tables.id", ondelete="SET NULL")
    )
    slot: Mapped[int | None] = mapped_column(Integer)
    table_id: Mapped[int | None] = mapped_column(ForeignKey("event_tables.id", ondelete="SET NULL"))
    #: ``active`` or ``cancelled``.
    status: Mapped[str] = mapped_column(String(16), default="active")
    active: Mapped[bool | None] = mapped_column(Boolean)
    #: On the day: None until known, then True (held) or False (no-show).
    held: Mapped[bool | None] = mapped_column(Boolean)
    no_show_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_participants.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MeetingPrecedence(Base):
    """Meeting ``before_id`` takes an earlier slot than ``after_id`` (organiser's rule)."""

    __tablename__ = "meeting_precedences"

    before_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    after_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ScheduleRun(Base):
    """One stored run of the scheduler and how good its schedule is."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    solver: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    meetings: Mapped[int] = mapped_column(Integer)
    scheduled: Mapped[int] = mapped_column(Integer)
    breaks: Mapped[int] = mapped_column(Integer)
    bound: Mapped[int] = mapped_column(Integer)
    gap: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    time_limit: Mapped[float] = mapped_column(Float)
    fairness: Mapped[int | None] = mapped_column(Integer)
    event_version: Mapped[int] = mapped_column(Integer)


class UnscheduledMeeting(Base):
    """Why a run left a meeting out."""

    __tablename__ = "schedule_run_reasons"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_runs.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text)


class MeetingOutcome(Base):
    """A participant's answer to the follow-up questionnaire about one meeting.

    ``outcome`` is on the established scale (``no_further_contact``, ``knowledge_gain``,
    ``valuable_contact``, ``negotiation_started``, ``agreement_reached``); ``wave`` is ``end``
    or ``six_months``. Indexed by event, organisation and date: programme KPIs count them.
    """

    __tablename__ = "meeting_outcomes"
    __table_args__ = (
        UniqueConstraint("meeting_id", "participant_id", "wave"),
        Index("ix_meeting_outcomes_event_answered", "event_id", "answered_at"),
        Index("ix_meeting_outcomes_organisation_answered", "organisation_id", "answered_at"),
        Index("ix_meeting_outcomes_partner_answered", "partner_organisation_id", "answered_at"),
        Index("ix_meeting_outcomes_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    partner_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    wave: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
