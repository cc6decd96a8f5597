"""Pydantic records of the directory: profiles as entered and as shown, partnerships, revisions."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from clusterhub.services.schemas import UtcDatetime

ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class ProfileType(StrEnum):
    """The profile types of the European Cluster Collaboration Platform, plus project partners."""

    CLUSTER_ORGANISATION = "cluster_organisation"
    CLUSTER_MEMBER = "cluster_member"
    PROJECT = "project"
    NATIONAL_ORGANISATION = "national_organisation"
    PROJECT_PARTNER = "project_partner"

    @property
    def label(self) -> str:
        """Name for people."""
        return PROFILE_TYPE_LABELS[self]


PROFILE_TYPE_LABELS = {
    ProfileType.CLUSTER_ORGANISATION: "Cluster organisation",
    ProfileType.CLUSTER_MEMBER: "Cluster member",
    ProfileType.PROJECT: "Cluster-related project or partnership",
    ProfileType.NATIONAL_ORGANISATION: "National cluster organisation",
    ProfileType.PROJECT_PARTNER: "Research and innovation project partner",
}


#: What a Horizon 2020 participant whose name CORDIS's open data does not give is called: the
#: participations export lists only its participant identification code (PIC), and a name is
#: never made up. Pages, search hits and the API show this text; ``is_unpublished_name`` knows it.
UNPUBLISHED_NAME = "Name not published (CORDIS PIC {pic})"
_UNPUBLISHED_PREFIX = UNPUBLISHED_NAME.split("{", 1)[0]


def is_unpublished_name(name: str) -> bool:
    """Whether ``name`` is the stand-in of a participant CORDIS does not name."""
    return name.startswith(_UNPUBLISHED_PREFIX)


class Label(StrEnum):
    """Cluster management excellence labels (ESCA, now EUCLES)."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class LabelReview(StrEnum):
    """Whether a label was checked: its editor (or an import) declares it; a programme officer
    or site admin verifies it against evidence of the certificate, or rejects it."""

    DECLARED = "declared"
    VERIFIED = "verified"
    REJECTED = "rejected"


class OrganisationInput(BaseModel):
    """A profile as people and import files write it. Shape is checked here; codes (country,
    NUTS, NACE, cluster, language) are checked by ``services.directory.profiles`` against the
    catalogues.

    HTML in text fields is kept as typed and escaped wherever it is shown.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str | None = Field(
        default=None,
        max_length=120,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$",
        description="Stable identity for re-imports; generated when left out.",
    )
    profile_type: ProfileType = ProfileType.CLUSTER_ORGANISATION
    name: str = Field(min_length=1, max_length=300)
    acronym: str | None = Field(default=None, max_length=60)
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 (EL, UK as Eurostat).")
    nuts_code: str | None = Field(default=None, max_length=8)
    city: str | None = Field(default=None, max_length=120)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    website: str | None = Field(default=None, max_length=500)
    description: str = Field(default="", max_length=10_000)
    cluster_codes: list[str] = Field(default_factory=list, max_length=51)
    nace_codes: list[str] = Field(default_factory=list, max_length=60)
    ecosystems: list[ShortText] = Field(default_factory=list, max_length=30)
    technologies: list[ShortText] = Field(default_factory=list, max_length=30)
    keywords: list[ShortText] = Field(default_factory=list, max_length=30)
    s3_priorities: list[ShortText] = Field(default_factory=list, max_length=30)
    languages: list[str] = Field(default_factory=list, max_length=30)
    target_countries: list[str] = Field(default_factory=list, max_length=250)
    members_sme: int | None = Field(default=None, ge=0, le=1_000_000)
    members_large: int | None = Field(default=None, ge=0, le=1_000_000)
    members_research: int | None = Field(default=None, ge=0, le=1_000_000)
    members_public: int | None = Field(default=None, ge=0, le=1_000_000)
    members_other: int | None = Field(default=None, ge=0, le=1_000_000)
    members_total: int | None = Field(default=None, ge=0, le=5_000_000)
    management_fte: float | None = Field(default=None, ge=0, le=10_000)
    founded_year: int | None = Field(default=None, ge=1800, le=2100)
    label: Label | None = None
    label_valid_until: date | None = None
    contact_name: str | None = Field(default=None, max_length=120)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()./ -]{3,40}$")
    is_synthetic: bool = False


class EligibilityCheck(BaseModel):
    """One rule of the European platform's registration criteria, computed from the profile."""

    code: str
    requirement: str
    passed: bool | None = Field(description="None when the profile lacks the data to decide.")
    detail: str


class PartnershipSummary(BaseModel):
    """A partnership in lists and on member profiles."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    acronym: str | None
    programme: str
    sectors: list[str]
    role: str | None = None


class OrganisationSummary(BaseModel):
    """A profile in lists and search results."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    acronym: str | None
    profile_type: ProfileType
    country: str | None
    nuts_code: str | None
    city: str | None
    cluster_codes: list[str]
    label: Label | None
    label_status: str | None = Field(description="valid, expired or none.")
    label_review: LabelReview | None = Field(
        None,
        description="declared (by its editor or an import, not checked), verified (by a "
        "programme officer or site admin, against evidence) or rejected; none without a label.",
    )
    members_total: int | None
    size_band: str
    is_synthetic: bool
    source: str


class OrganisationPublic(OrganisationSummary):
    """A full profile. Contacts are filled only for logged-in members."""

    website: str | None
    description: str
    latitude: float | None
    longitude: float | None
    nace_codes: list[str]
    ecosystems: list[str]
    technologies: list[str]
    keywords: list[str]
    s3_priorities: list[str]
    languages: list[str]
    target_countries: list[str]
    members_sme: int | None
    members_large: int | None
    members_research: int | None
    members_public: int | None
    members_other: int | None
    management_fte: float | None
    founded_year: int | None
    label_valid_until: date | None
    label_reviewed_at: UtcDatetime | None = Field(
        None, description="When the label was verified or rejected."
    )
    label_review_note: str | None = Field(
        None,
        description="The evidence of a verification (public), or the reason of a rejection "
        "(shown to the profile's admins, programme officers and site admins only).",
    )
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    facts: dict[str, object]
    eligibility: list[EligibilityCheck]
    partnerships: list[PartnershipSummary]
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PartnershipListed(PartnershipSummary):
    """A partnership in the list, with its period and how many profiles belong to it."""

    start_year: int | None
    end_year: int | None
    member_count: int


class PartnershipMemberPublic(BaseModel):
    """A member profile and its role in the partnership (lead partner, partner, ...)."""

    role: str
    organisation: OrganisationSummary


class PartnershipPublic(PartnershipListed):
    """A partnership with everything known about it and its member profiles."""

    model_config = ConfigDict(from_attributes=True)

    cluster_codes: list[str]
    description: str
    website: str | None
    source: str
    members: list[PartnershipMemberPublic]


class RevisionPublic(BaseModel):
    """One saved change of a profile (visible to its admins)."""

    version: int
    at: UtcDatetime
    user: str | None
    source: str
    changes: dict[str, list[object]] = Field(description="field -> [before, after]")
