"""Partnerships profiles belong to (e.g. the "Clusters Go International" ESCP-4i actions).

Partnership records are loaded by the imports; this module only reads them for the pages and
the API: a list, one partnership with its member profiles, and every partnership with its
members (the programme officers' overview).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import (
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
    return _public(partnership, _members(session, [partnership.id]).get(partnership.id, []))


def with_members(session: Session) -> list[PartnershipPublic]:
    """Every partnership by name with its members (two queries, whatever their number)."""
    found = list(session.scalars(select(Partnership).order_by(Partnership.name)))
    members = _members(session, [p.id for p in found])
    return [_public(p, members.get(p.id, [])) for p in found]


def _members(
    session: Session, partnership_ids: list[int]
) -> dict[int, list[PartnershipMemberPublic]]:
    """Members by partnership: lead partners first, then by name."""
    rows = session.execute(
        select(PartnershipMember.partnership_id, Organisation, PartnershipMember.role)
        .join(Organisation, PartnershipMember.organisation_id == Organisation.id)
        .where(PartnershipMember.partnership_id.in_(partnership_ids))
        .order_by(PartnershipMember.role != "lead", Organisation.name)
    ).all()
    members: dict[int, list[PartnershipMemberPublic]] = {}
    for partnership_id, org, role in rows:
        members.setdefault(partnership_id, []).append(
            PartnershipMemberPublic(role=role, organisation=directory.summary(org))
        )
    return members


def _public(partnership: Partnership, members: list[PartnershipMemberPublic]) -> PartnershipPublic:
    return PartnershipPublic(
        **_listed(partnership, len(members)).model_dump(),
        cluster_codes=partnership.cluster_codes,
        description=partnership.description,
        website=partnership.website,
        source=partnership.source,
        members=members,
    )
