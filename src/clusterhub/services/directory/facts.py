"""Facts derived from a profile's data: its size band, its label's status, and whether it meets
the European Cluster Collaboration Platform's registration criteria (where a label counts only
once a programme officer or site admin has verified it).

They are computed, never stored, so they cannot go stale: a label expires on its date without
anyone editing the profile.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from clusterhub.services.directory.schemas import EligibilityCheck, LabelReview, ProfileType
from clusterhub.store.models import Organisation

#: Member-count bands of the size facet (lower bounds); the platform's mean is ~170 members.
SIZE_BANDS = ((500, "500+"), (150, "150–499"), (50, "50–149"), (15, "15–49"), (1, "1–14"))
UNKNOWN_SIZE = "unknown"
MIN_MANAGEMENT_FTE = 0.5
MIN_MEMBERS = 15
MIN_MEMBER_TYPES = 2
MEMBER_FIELDS = (
    "members_sme",
    "members_large",
    "members_research",
    "members_public",
    "members_other",
)


def size_band(members_total: int | None) -> str:
    """The size facet's band of a member count."""
    if members_total:
        for lower, band in SIZE_BANDS:
            if members_total >= lower:
                return band
    return UNKNOWN_SIZE


def label_status(label: str | None, valid_until: date | None, today: date | None = None) -> str:
    """``valid`` until the label's date has passed, then ``expired``; ``none`` without a label."""
    if label is None:
        return "none"
    today = today or datetime.now(UTC).date()
    return "expired" if valid_until is not None and valid_until < today else "valid"


def eligibility(org: Organisation) -> list[EligibilityCheck]:
    """The European platform's registration criteria for cluster organisations, from the data.

    Other profile types have no criteria (an empty list).
    """
    if org.profile_type not in {
        ProfileType.CLUSTER_ORGANISATION,
        ProfileType.NATIONAL_ORGANISATION,
    }:
        return []
    fte = org.management_fte
    types = [getattr(org, name) for name in MEMBER_FIELDS]
    known_types = [t for t in types if t is not None]
    with_members = sum(1 for t in known_types if t > 0)
    total = org.members_total
    return [
        EligibilityCheck(
            code="management",
            requirement=f"A management team of at least {MIN_MANAGEMENT_FTE} full-time equivalent",
            passed=None if fte is None else fte >= MIN_MANAGEMENT_FTE,
            detail="not stated" if fte is None else f"{fte:g} FTE",
        ),
        EligibilityCheck(
            code="members",
            requirement=f"At least {MIN_MEMBERS} committed members",
            passed=None if total is None else total >= MIN_MEMBERS,
            detail="not stated" if total is None else f"{total} members",
        ),
        EligibilityCheck(
            code="member_types",
            requirement=f"Members of at least {MIN_MEMBER_TYPES} types (SMEs, large firms, "
            "research and education, public bodies, others)",
            passed=None if not known_types else with_members >= MIN_MEMBER_TYPES,
            detail="not stated" if not known_types else f"{with_members} types",
        ),
        EligibilityCheck(
            code="website",
            requirement="A website showing the cluster's activity",
            passed=bool(org.website),
            detail=org.website or "none",
        ),
        _label_check(org),
    ]


def _label_check(org: Organisation) -> EligibilityCheck:
    """Met by a verified, unexpired label only; a declared one is unknown until reviewed."""
    status = label_status(org.label, org.label_valid_until)
    review = org.label_review
    if org.label is None:
        passed, detail = False, "none"
    elif status == "expired":
        assert org.label_valid_until is not None  # only a dated label expires
        passed, detail = False, f"{org.label} label expired on {org.label_valid_until}"
    elif review == LabelReview.VERIFIED:
        passed, detail = True, f"{org.label} label, verified"
    elif review == LabelReview.REJECTED:
        passed, detail = False, f"{org.label} label, rejected on review"
    else:
        passed, detail = None, f"{org.label} label declared, not verified yet"
    return EligibilityCheck(
        code="label",
        requirement="A cluster management excellence label (bronze, silver or gold), verified "
        "by a programme officer: a plus, not a condition of registration",
        passed=passed,
        detail=detail,
    )
