"""Partnerships profiles belong to (e.g. the "Clusters Go International" ESCP-4i actions).

Partnership records are loaded by the imports; this module only reads them for the pages and
the API: a list, and one partnership with its member profiles.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound
from clusterhub.services import directory
from clusterhub.services.schemas import (
    PartnershipListed,
    PartnershipMemberPublic,
    PartnershipPublic,
    PartnershipSummary,
)
from clusterhub.store.models import Organisation, Partnership, PartnershipMember


def list_partnerships(session: Session) -> list[PartnershipListed]:
    """Every partnership by name, with its member count (one query)."""
    counts = (
        select(PartnershipMember.partnership_id, func.count().label("n"))
        .group_by(PartnershipMember.partnership_id)
        .subquery()
    )
    rows = session.execute(
        select(Partnership, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.partnership_id == Partnership.id)
        .order_by(Partnership.name)
    )
    return [_listed(p, int(n)) for p, n in rows]


def _listed(partnership: Partnership, member_count: int) -> PartnershipListed:
    base = PartnershipSummary.model_validate(partnership).model_dump()
    return PartnershipListed(
        **base,
        start_year=partnership.start_year,
        end_year=partnership.end_year,
        member_count=member_count,
    )


def get_partnership(session: Session, *, key: str) -> PartnershipPublic:
    """One partnership with its members (lead partners first, then by name)."""
    partnership = session.scalar(select(Partnership).where(Partnership.key == key))
    if partnership is None:
        raise NotFound(f"no partnership with key {key!r}")
    rows = session.execute(
        select(Organisation, PartnershipMember.role)
        .join(PartnershipMember, PartnershipMember.organisation_id == Organisation.id)
        .where(PartnershipMember.partnership_id == partnership.id)
        .order_by(PartnershipMember.role != "lead", Organisation.name)
    ).all()
    members = [
        PartnershipMemberPublic(role=role, organisation=directory.summary(org))
        for org, role in rows
    ]
    return PartnershipPublic(
        **_listed(partnership, len(members)).model_dump(),
        cluster_codes=partnership.cluster_codes,
        description=partnership.description,
        website=partnership.website,
        source=partnership.source,
        members=members,
    )
