"""Database tables (SQLAlchemy 2 typed mappings). Schemas for the outside world live in services.

Tables change only through Alembic migrations (``store/migrations``); a test compares these
mappings with the migrated schema so that the two cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp is stored in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp with its UTC offset: SQLite hands them back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names stable across SQLite and PostgreSQL."""

    metadata = MetaData(naming_convention=NAMING)


# --- accounts ---------------------------------------------------------------------------------


class User(Base):
    """A person with an account. Visitors have none; roles are ordered by what they may do."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default="member")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the owner proved the address (a verification link, or a completed password reset);
    #: None until then. Accounts created by the CLI, and those older than verification, count.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A server-side login session; the cookie holds a random token, we keep only its hash."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship(lazy="joined")


class OneTimeToken(Base):
    """Columns of a token mailed in a link: stored as its SHA-256 only, used once, expiring.

    Abstract, so password reset and e-mail verification keep separate tables (a reset token
    can never verify an address or the reverse) handled by the same code.
    """

    __abstract__ = True

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordResetToken(OneTimeToken):
    """A one-time password reset token (hash only), valid for a short time."""

    __tablename__ = "password_reset_tokens"


class EmailVerificationToken(OneTimeToken):
    """A one-time token proving that its user receives mail at their address."""

    __tablename__ = "email_verification_tokens"


class LoginAttempt(Base):
    """Failed logins, counted per key (e-mail or client address) to rate-limit guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who wrote what, when: one row per write, kept forever.

    ``actor`` names who acted whatever they are: ``user:<id>`` (also in ``user_id``, which
    keeps the link to the account), ``cli:<OS user>``, ``system:<task>`` or ``anonymous``.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- observatory ------------------------------------------------------------------------------


class Dataset(Base):
    """One loaded cluster map (e.g. Eurostat SBS 2015), with what a reader must know about it."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The years with data, oldest first (null: loaded before revision 0011).
    years: Mapped[list[int] | None] = mapped_column(JSON)
    #: The period of the growth rates, in years (null: loaded before revision 0011).
    growth_years: Mapped[int | None] = mapped_column(Integer)
    #: Where the data pass from one published data set to the next:
    #: ``[{"year": 2021, "before": "sbs_r_nuts06_r2", "after": "sbs_r_nuts2021"}]``.
    series_breaks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class Region(Base):
    """A region as a data set names it (NUTS code, U.S. state FIPS code)."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("dataset_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    region_type: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(4))
    total_employment: Mapped[float | None] = mapped_column(Float)
    has_geometry: Mapped[bool] = mapped_column(Boolean, default=False)


class Cluster(Base):
    """A cluster category of a data set's taxonomy, with how much of it the data can see."""

    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("dataset_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="traded")
    visible_share: Mapped[float | None] = mapped_column(Float)


class ClusterMetric(Base):
    """One region x cluster x year of a rated cluster map (``stats.mapping.rate_clusters``)."""

    __tablename__ = "cluster_metrics"
    __table_args__ = (
        UniqueConstraint("dataset_id", "region_code", "cluster_code", "year"),
        Index("ix_cluster_metrics_cluster", "dataset_id", "cluster_code", "year", "region_type"),
        Index("ix_cluster_metrics_region", "dataset_id", "region_code", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(String(16))
    region_type: Mapped[str] = mapped_column(String(16))
    cluster_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(SmallInteger)
    employment: Mapped[float | None] = mapped_column(Float)
    establishments: Mapped[float | None] = mapped_column(Float)
    wages: Mapped[float | None] = mapped_column(Float)
    imputed_share: Mapped[float | None] = mapped_column(Float)
    apportioned_share: Mapped[float | None] = mapped_column(Float)
    estimated_share: Mapped[float | None] = mapped_column(Float)
    region_total: Mapped[float | None] = mapped_column(Float)
    size_share: Mapped[float | None] = mapped_column(Float)
    focus: Mapped[float | None] = mapped_column(Float)
    lq: Mapped[float | None] = mapped_column(Float)
    wage_per_employee: Mapped[float | None] = mapped_column(Float)
    growth: Mapped[float | None] = mapped_column(Float)
    emp_rank: Mapped[int | None] = mapped_column(Integer)
    lq_rank: Mapped[int | None] = mapped_column(Integer)
    emp_percentile: Mapped[float | None] = mapped_column(Float)
    lq_percentile: Mapped[float | None] = mapped_column(Float)
    strong: Mapped[bool | None] = mapped_column(Boolean)
    strong10: Mapped[bool | None] = mapped_column(Boolean)
    significant: Mapped[bool | None] = mapped_column(Boolean)
    qualifying: Mapped[bool | None] = mapped_column(Boolean)
    stars: Mapped[int] = mapped_column(SmallInteger, default=0)
    stars_possible: Mapped[int] = mapped_column(SmallInteger, default=0)
    star_flags: Mapped[dict[str, bool | None]] = mapped_column(JSON, default=dict)


class IndicatorValue(Base):
    """One Regional Ecosystem Scoreboard indicator value of a region (or a whole country).

    Keyed globally by region x indicator x year, not per cluster data set: indicators describe
    NUTS regions whatever cluster map is loaded. ``country_level`` rows hold a country's value
    under its country code; the scoreboard applies them to the country's regions. ``source``
    says where the value came from (``computed:cordis``, ``user:file.csv``, ``eurostat:...``).
    """

    __tablename__ = "indicator_values"
    __table_args__ = (
        UniqueConstraint("region_code", "indicator", "year"),
        Index("ix_indicator_values_indicator", "indicator", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[float] = mapped_column(Float)
    country_level: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(200), index=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: How a value given under an older NUTS code was carried to this one ("recode of FR62
    #: (NUTS 2013)", "split of PL12 ...: estimate"); null for a value given under this code.
    nuts_recode: Mapped[str | None] = mapped_column(String(200), nullable=True)


# --- directory --------------------------------------------------------------------------------


class Organisation(Base):
    """A directory profile: a cluster organisation, a member, a project partner or a partnership.

    ``key`` is the stable identity imports update by (``cmp:332``, ``cordis:998616262``, a user's
    own key), so re-importing a file changes profiles instead of duplicating them. ``version`` is
    SQLAlchemy's optimistic lock: an update whose version is stale fails instead of overwriting.
    """

    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_country_type", "country", "profile_type"),
        Index("ix_organisations_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    profile_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(60))
    country: Mapped[str | None] = mapped_column(String(2))
    nuts_code: Mapped[str | None] = mapped_column(String(8), index=True)
    city: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    nace_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    ecosystems: Mapped[list[str]] = mapped_column(JSON, default=list)
    technologies: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    s3_priorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    members_sme: Mapped[int | None] = mapped_column(Integer)
    members_large: Mapped[int | None] = mapped_column(Integer)
    members_research: Mapped[int | None] = mapped_column(Integer)
    members_public: Mapped[int | None] = mapped_column(Integer)
    members_other: Mapped[int | None] = mapped_column(Integer)
    members_total: Mapped[int | None] = mapped_column(Integer)
    management_fte: Mapped[float | None] = mapped_column(Float)
    founded_year: Mapped[int | None] = mapped_column(SmallInteger)
    label: Mapped[str | None] = mapped_column(String(16))
    label_valid_until: Mapped[date | None] = mapped_column(Date)
    #: ``declared`` (as its editor or an import stated it), ``verified`` or ``rejected`` by a
    #: programme officer or site admin; back to ``declared`` when the label or its date changes.
    label_review: Mapped[str] = mapped_column(
        String(16), default="declared", server_default="declared", index=True
    )
    label_reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    label_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The evidence of a verification (a link or note about the certificate), or the reason
    #: of a rejection.
    label_review_note: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    clusters: Mapped[list[OrganisationCluster]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrganisationCluster.cluster_code"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OrganisationCluster(Base):
    """One cluster category (51-cluster taxonomy code) a profile serves; a table so it can facet."""

    __tablename__ = "organisation_clusters"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class OrganisationAdmin(Base):
    """A user who may edit a profile (besides site admins)."""

    __tablename__ = "organisation_admins"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrganisationRevision(Base):
    """One saved change of a profile: which fields changed from what to what, by whom."""

    __tablename__ = "organisation_revisions"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OrganisationEmbedding(Base):
    """A profile text's sentence embedding; ``text_hash`` skips re-embedding unchanged text."""

    __tablename__ = "organisation_embeddings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Partnership(Base):
    """A partnership or programme action profiles belong to (e.g. an ESCP-4i partnership)."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(60))
    programme: Mapped[str] = mapped_column(String(200))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    cluster_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_year: Mapped[int | None] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(200))


class PartnershipMember(Base):
    """A profile's membership of a partnership (lead partner, partner, associated)."""

    __tablename__ = "partnership_members"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32), default="partner")


class Project(Base):
    """A funded project (a Horizon 2020 grant, by CORDIS record number): an edge set of partners."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    programme_parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    total_cost: Mapped[float | None] = mapped_column(Float)
    max_contribution: Mapped[float | None] = mapped_column(Float)


class Participation(Base):
    """A profile's role in a project; co-participations form the collaboration graph."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("project_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    contribution: Mapped[float | None] = mapped_column(Float)


class PartnerPost(Base):
    """A cooperation offer or request a profile publishes, until it expires or is closed."""

    __tablename__ = "partner_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    cluster_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PostInterest(Base):
    """Someone's "express interest" in a post; the poster is notified."""

    __tablename__ = "post_interests"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("partner_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PostFollow(Base):
    """A user following a post: they are notified of its changes and new interest."""

    __tablename__ = "post_follows"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("partner_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Base):
    """A message for a user inside the platform (mirrored by e-mail where a mailer is set)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IndexGeneration(Base):
    """A counter bumped in every transaction that changes profiles (``directory``) or the
    scoreboard's indicator values (``indicators``).

    Each process keeps its search index (vectors, facets) and the scores of each level in
    memory; reading one row tells it whether another process has changed them since, without
    scanning the table.
    """

    __tablename__ = "index_generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class IndexChange(Base):
    """Which items one generation of a counter changed (``item_id`` None: all of them).

    A process whose in-memory index is at generation *g* reads the rows after *g* and re-reads
    only those items, instead of comparing the state of every item with what it holds. Rows
    older than ``generations.KEEP`` generations are pruned; an index older than that, or a
    generation that changed everything, is rebuilt whole.
    """

    __tablename__ = "index_changes"
    __table_args__ = (Index("ix_index_changes_name_generation", "name", "generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(Integer)


# The tables of matchmaking events live in their own module, on this Base; importing it here
# registers them wherever the models are loaded (Alembic, the schema test, backups).
from clusterhub.store import events as _events  # noqa: E402, F401

# Smart Specialisation strategies, priorities and thematic partnerships, likewise.
from clusterhub.store import s3 as _s3  # noqa: E402, F401
