"""Roles, in a module that imports nothing heavy: ``clusterhub users create --help`` lists
them without loading the database layer. ``users`` re-exports them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person may do, in increasing order: each role may do all the ones before it."""

    VISITOR = "visitor"
    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    PROGRAMME_OFFICER = "programme_officer"
    SITE_ADMIN = "site_admin"

    @property
    def rank(self) -> int:
        """Position in the order (visitor 0 ... site admin 4)."""
        return list(Role).index(self)

    @property
    def label(self) -> str:
        """Name for people."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.VISITOR: "Visitor",
    Role.MEMBER: "Member",
    Role.ORG_ADMIN: "Organisation admin",
    Role.PROGRAMME_OFFICER: "Programme officer",
    Role.SITE_ADMIN: "Site admin",
}
