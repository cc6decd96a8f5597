"""Tables of Smart Specialisation (S3): regional strategies, their priorities coded on the
three Eye@RIS3 axes, and the thematic S3 partnerships regions form.

Registered on ``models.Base`` (``models`` imports this module at its end), like the events
tables. Codes are kept as JSON lists on the priority: a region has a dozen priorities at most,
and every use (a region's page, the partner-region search) reads whole priorities, never one
code alone.

Coding status of a priority (``coding_status``): ``uncoded`` (a title only), ``imported`` (the
codes a file stated, unchecked by an officer), ``proposed`` (the assistant's proposal, kept in
``proposal`` until someone decides) and ``confirmed`` (by ``coded_by``/``coded_by_actor`` at
``coded_at``). ``cluster_edits`` keeps the officer's additions to and removals from the
cluster categories derived from the NACE codes, so a re-derivation keeps them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clusterhub.store.models import Base, utcnow


class S3Strategy(Base):
    """A region's smart specialisation strategy for one programming period (``2014-2020``)."""

    __tablename__ = "s3_strategies"
    __table_args__ = (UniqueConstraint("region_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    title: Mapped[str] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    #: Generated for demonstrations, not a real strategy: every face must say so.
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    priorities: Mapped[list[S3Priority]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="S3Priority.position"
    )


class S3Priority(Base):
    """One priority of a strategy, coded on the Eye@RIS3 axes and mapped to cluster categories.

    ``nace_codes`` (economic domains, NACE Rev.2 in dotted form), ``fos_codes`` (scientific
    domains, Fields of Science 2007), ``objectives`` (policy objectives), ``cluster_codes``
    (the 51 traded categories: derived from the NACE codes, then the officer's edits).
    """

    __tablename__ = "s3_priorities"
    __table_args__ = (UniqueConstraint("strategy_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("s3_strategies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    nace_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    fos_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    cluster_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ``{"added": [...], "removed": [...]}``: the officer's changes to the derived clusters.
    cluster_edits: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    coding_status: Mapped[str] = mapped_column(String(16), default="uncoded", index=True)
    #: The assistant's last proposal (codes, scores and matched words), as data.
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    coded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    coded_by_actor: Mapped[str | None] = mapped_column(String(128))
    coded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class S3Partnership(Base):
    """A thematic S3 partnership of regions on a thematic platform (``Industrial
    Modernisation``), with its thematic area."""

    __tablename__ = "s3_partnerships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    platform: Mapped[str] = mapped_column(String(200), index=True)
    thematic_area: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    regions: Mapped[list[S3PartnershipRegion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="S3PartnershipRegion.region_code"
    )


class S3PartnershipRegion(Base):
    """A region in a thematic partnership: ``lead`` or ``member``."""

    __tablename__ = "s3_partnership_regions"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("s3_partnerships.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
