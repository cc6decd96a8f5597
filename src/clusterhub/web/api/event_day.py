"""The event's day and after in the JSON API under /api/v1 (issue 13): check-in at the desk,
meetings held or missed, the desk's summary, follow-up answers and suggested meetings.

Handlers parse and call ``services.events.day``, ``followup`` and ``suggestions``; rights and
rules live there (a participant may only say its own meeting was held and answer its own
follow-up; check-in is open only on the event's days), errors go to ``web/errors.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from clusterhub.services.accounts.notifications import MAX_ID
from clusterhub.services.events import day, followup, suggestions
from clusterhub.services.events.day import CheckInPublic, DaySummary
from clusterhub.services.events.followup import FollowupItem, OutcomeRecord
from clusterhub.services.events.meetings import MeetingPublic
from clusterhub.services.events.suggestions import Suggestion
from clusterhub.web.api.events import ERRORS, EventId, MeetingId, ParticipantId
from clusterhub.web.deps import DbSession, DirCatalogues, DirIndex, Partners, SentenceEmbedder
from clusterhub.web.security import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["events"], responses=ERRORS)


class CheckInInput(BaseModel):
    """Check in, or (``undo``) take a mistaken check-in back."""

    model_config = ConfigDict(extra="forbid")

    undo: bool = False


class HeldInput(BaseModel):
    """Whether the meeting took place; if not, who did not come (managers only)."""

    model_config = ConfigDict(extra="forbid")

    held: bool
    no_show_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The participant who did not come."
    )


class OutcomeInput(BaseModel):
    """One follow-up answer about a held meeting (answering again corrects it)."""

    model_config = ConfigDict(extra="forbid")

    round: followup.Round = "end"
    outcome: followup.Outcome
    note: str = Field(default="", max_length=2000)


@router.post("/event-participants/{participant_id}/check-in")
def api_check_in(
    session: DbSession,
    user: CurrentUser,
    participant_id: ParticipantId,
    body: Annotated[CheckInInput, Body()] = CheckInInput(),  # noqa: B008
) -> CheckInPublic:
    """Check a participant in at the desk (event admins, on one of the event's days)."""
    return day.check_in(session, actor=user, participant_id=participant_id, undo=body.undo)


@router.post("/meetings/{meeting_id}/held")
def api_mark_meeting(
    session: DbSession, user: CurrentUser, meeting_id: MeetingId, body: HeldInput
) -> MeetingPublic:
    """Record a scheduled meeting as held (its participants or admins) or a no-show (admins)."""
    return day.mark_meeting(session, actor=user, meeting_id=meeting_id, held=body.held,
                            no_show_id=body.no_show_id)  # fmt: skip


@router.get("/events/{event_id}/day-summary")
def api_day_summary(session: DbSession, user: CurrentUser, event_id: EventId) -> DaySummary:
    """Checked in, and scheduled meetings held / no-show / not yet recorded (event admins)."""
    return day.day_summary(session, viewer=user, event_id=event_id)


@router.post("/meetings/{meeting_id}/outcomes")
def api_record_outcome(
    session: DbSession, user: CurrentUser, meeting_id: MeetingId, body: OutcomeInput
) -> OutcomeRecord:
    """The caller's follow-up answer about its own held meeting of a held event."""
    return followup.record_outcome(session, actor=user, meeting_id=meeting_id, round=body.round,
                                   outcome=body.outcome, note=body.note)  # fmt: skip


@router.get("/events/{event_id}/followups")
def api_my_followups(
    session: DbSession, user: CurrentUser, event_id: EventId
) -> list[FollowupItem]:
    """The caller's held meetings with the rounds it may answer and its answers so far (the
    end round once the event is held; six months after its last day, the second)."""
    return followup.my_followups(session, viewer=user, event_id=event_id)


@router.get("/events/{event_id}/outcomes")
def api_outcomes(session: DbSession, user: CurrentUser, event_id: EventId) -> list[OutcomeRecord]:
    """The follow-up answers the caller may see: its own; every answer for event admins."""
    return followup.outcomes(session, viewer=user, event_id=event_id)


@router.get("/events/{event_id}/outcome-counts")
def api_outcome_counts(session: DbSession, user: CurrentUser, event_id: EventId) -> dict[str, int]:
    """How many visible answers fall on each step of the outcome scale (0 too)."""
    return followup.outcome_counts(session, viewer=user, event_id=event_id)


@router.get("/events/{event_id}/suggestions")
def api_suggestions(
    session: DbSession,
    user: CurrentUser,
    index: DirIndex,
    embedder: SentenceEmbedder,
    partners: Partners,
    catalogues: DirCatalogues,
    event_id: EventId,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[Suggestion]:
    """Participants the caller (a participant) may want to meet, best first, each with reasons
    (shared cluster categories, offer/seek words, the directory's hybrid search, the partner
    recommender's ranking, complementary and shared regional strengths, shared S3 priorities):
    the same as the suggestions page."""
    return suggestions.suggest_meetings(
        session, viewer=user, event_id=event_id, index=index, embedder=embedder, limit=limit,
        partners=partners.evidence(session, catalogues.clusters),
    )  # fmt: skip
