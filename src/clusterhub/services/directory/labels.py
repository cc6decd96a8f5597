"""Cluster management excellence labels: the queue of declared labels, and their review.

Anyone who edits a profile may state its label (bronze, silver, gold, valid until a date), and
imports may too; such a label is *declared*. A programme officer or site admin *verifies* it
after seeing evidence of the certificate (a link to the label registry, or a note on the
document), or *rejects* it with a reason. Who decided and when is stored on the profile and in
its history; editing the label or its date afterwards makes it declared again
(``directory._redeclare``). Pages, search and the eligibility checklist count only verified
labels as labels.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.facts import label_status
from clusterhub.services.directory.schemas import LabelReview, OrganisationSummary
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store import generations
from clusterhub.store.models import Organisation, OrganisationAdmin, OrganisationRevision, utcnow

REVIEW_ROLE = Role.PROGRAMME_OFFICER
MAX_NOTE = 2000
#: Most profiles the queue shows at once (those changed longest ago first).
QUEUE_SIZE = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QueuedLabel(BaseModel):
    """A label to review, with what a reviewer needs to look it up."""

    profile: OrganisationSummary
    label_valid_until: date | None
    website: str | None
    version: int = Field(description="The profile's version: a review of an older one is refused.")
    changed_at: UtcDatetime = Field(description="When the profile was last changed.")


class LabelQueue(BaseModel):
    """The oldest waiting labels (at most ``QUEUE_SIZE``) and how many wait in all."""

    items: list[QueuedLabel]
    total: int


def queue(session: Session, *, actor: UserPublic | None) -> LabelQueue:
    """Declared labels that are still valid, the profiles changed longest ago first (a label
    waits at least that long); officers and admins. Expired labels are left out: there is
    nothing left to verify."""
    require(session, actor=actor, minimum=REVIEW_ROLE)
    waiting = (
        Organisation.label.is_not(None),
        Organisation.label_review == LabelReview.DECLARED.value,
        Organisation.label_valid_until >= utcnow().date(),  # every label has its date
    )
    total = session.scalar(select(func.count()).select_from(Organisation).where(*waiting)) or 0
    rows = session.scalars(
        select(Organisation)
        .where(*waiting)
        .order_by(Organisation.updated_at, Organisation.id)
        .limit(QUEUE_SIZE)
    )
    return LabelQueue(items=[_queued(org) for org in rows], total=total)


def one(session: Session, *, organisation_id: int, actor: UserPublic | None) -> QueuedLabel:
    """One profile's label to review, whatever its review so far (a verified label whose
    certificate was withdrawn, a rejected one whose evidence arrived late)."""
    require(session, actor=actor, minimum=REVIEW_ROLE)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no profile with id {organisation_id}")
    if org.label is None or label_status(org.label, org.label_valid_until) == "expired":
        raise Conflict("this profile has no valid label to review")
    return _queued(org)


def _queued(org: Organisation) -> QueuedLabel:
    return QueuedLabel(
        profile=directory.summary(org),
        label_valid_until=org.label_valid_until,
        website=org.website,
        version=org.version,
        changed_at=org.updated_at,
    )


def verify(
    session: Session,
    *,
    organisation_id: int,
    expected_version: int,
    evidence: str,
    actor: UserPublic | None,
) -> OrganisationSummary:
    """Mark the profile's label verified, with the evidence seen (officers and admins)."""
    return _review(
        session, organisation_id=organisation_id, expected_version=expected_version,
        note=_note(evidence, "evidence"), actor=actor, outcome=LabelReview.VERIFIED,
    )  # fmt: skip


def reject(
    session: Session,
    *,
    organisation_id: int,
    expected_version: int,
    reason: str,
    actor: UserPublic | None,
) -> OrganisationSummary:
    """Mark the profile's label rejected, with the reason (officers and admins)."""
    return _review(
        session, organisation_id=organisation_id, expected_version=expected_version,
        note=_note(reason, "reason"), actor=actor, outcome=LabelReview.REJECTED,
    )  # fmt: skip


def _note(text: str, field: str) -> str:
    clean = text.strip()
    if not clean:
        what = (
            "a link or note about the certificate"
            if field == "evidence"
            else "why the label is rejected"
        )
        raise InvalidInput.single(f"say {what}", field=field)
    if len(clean) > MAX_NOTE or _CONTROL.search(clean):
        raise InvalidInput.single(
            f"at most {MAX_NOTE} characters, no control characters", field=field
        )
    return clean


def _review(
    session: Session,
    *,
    organisation_id: int,
    expected_version: int,
    note: str,
    actor: UserPublic | None,
    outcome: LabelReview,
) -> OrganisationSummary:
    user = require(session, actor=actor, minimum=REVIEW_ROLE)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no profile with id {organisation_id}")
    _check_reviewable(session, org, user.id, expected_version)
    before = org.label_review
    org.label_review = outcome.value
    org.label_reviewed_by = user.id
    org.label_reviewed_at = utcnow()
    org.label_review_note = note
    session.flush()  # raises the version (the optimistic lock)
    session.add(
        OrganisationRevision(
            organisation_id=org.id, version=org.version, user_id=user.id,
            source=f"label.{'verify' if outcome is LabelReview.VERIFIED else 'reject'}",
            changes={"label_review": [before, outcome.value]},
        )
    )  # fmt: skip
    generations.bump(session, items=[org.id])  # search shows the new state
    audit.record(
        session, actor_id=user.id,
        action="label.verify" if outcome is LabelReview.VERIFIED else "label.reject",
        entity_type="organisation", entity_id=org.id,
        details={"label": org.label, "valid_until": _iso(org), "note": note},
    )  # fmt: skip
    return directory.summary(org)


def _check_reviewable(session: Session, org: Organisation, user_id: int, expected: int) -> None:
    if org.version != expected:
        raise Conflict(
            "this profile changed since the queue was shown (its label may have changed): "
            "reload the queue and review it again",
            details={"current_version": org.version},
        )
    if org.label is None:
        raise Conflict("this profile states no label")
    if label_status(org.label, org.label_valid_until) == "expired":
        raise Conflict("this label has expired: there is nothing left to verify")
    if session.get(OrganisationAdmin, {"organisation_id": org.id, "user_id": user_id}):
        raise PermissionDenied(
            "you administer this profile: another programme officer or site admin must "
            "review its label"
        )


def _iso(org: Organisation) -> str | None:
    return org.label_valid_until.isoformat() if org.label_valid_until else None
