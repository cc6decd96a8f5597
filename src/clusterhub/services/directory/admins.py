"""Who administers a profile: the list its admins see on the profile's admin page.

(Adding an admin is ``profiles.add_admin``; this module only reads.)
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound, PermissionDenied
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.directory import profiles
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.models import Organisation, OrganisationAdmin, User


class ProfileAdmin(BaseModel):
    """An admin of a profile as its fellow admins see them."""

    display_name: str
    email: str
    added_at: UtcDatetime


def list_admins(
    session: Session, *, organisation_id: int, actor: UserPublic | None
) -> list[ProfileAdmin]:
    """The profile's admins by name (only its admins and site admins may see them)."""
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"no profile with id {organisation_id}")
    if not profiles.can_edit(session, actor=actor, organisation_id=organisation_id):
        raise PermissionDenied("only this profile's admins may see who administers it")
    rows = session.execute(
        select(User.display_name, User.email, OrganisationAdmin.added_at)
        .join(OrganisationAdmin, OrganisationAdmin.user_id == User.id)
        .where(OrganisationAdmin.organisation_id == organisation_id)
        .order_by(User.display_name)
    )
    return [ProfileAdmin(display_name=n, email=e, added_at=a) for n, e, a in rows]
