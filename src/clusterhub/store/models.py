"""Database tables (SQLAlchemy 2 typed mappings). Schemas for the outside world live in services.

Tables change only through Alembic migrations (``store/migrations``); a test compares these
mappings with the migrated schema so that the two cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
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


class UserSession(Base):
    """A server-side login session; the cookie holds a random token, we keep only its hash."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship(lazy="joined")


class PasswordResetToken(Base):
    """A one-time password reset token (hash only), valid for a short time."""

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed logins, counted per key (e-mail or client address) to rate-limit guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who wrote what, when: one row per write, kept forever."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
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
