"""The platform's own collaboration graph and profiles, as the recommender reads them.

``read_stored`` builds ``Collaborations`` from the ``projects`` and ``participations`` tables
(what ``clusterhub directory import --source cordis`` wrote), naming each organisation by its
directory id, so a recommendation points straight at a profile. ``profile_of`` describes a
profile for the newcomer ranker: a Horizon 2020 participant by its CORDIS type and programme
parts; a directory profile that never took part (a cluster organisation, a member) by a type
its kind implies and the programme parts its own text matches (``programme_parts``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clusterhub.services.embeddings import Embedder, Vectors, from_blob
from clusterhub.services.recommend import programme_parts
from clusterhub.services.recommend.collaborations import Collaborations, from_frames
from clusterhub.services.recommend.features import TYPES, Profile
from clusterhub.store.models import Organisation, OrganisationEmbedding, Participation, Project

#: The CORDIS type a directory profile outside CORDIS most resembles: cluster organisations
#: and national bodies take part as "other" or "public" bodies, members mostly as companies.
TYPE_OF_KIND = {
    "cluster_organisation": "OTH",
    "cluster_member": "PRC",
    "project": "OTH",
    "national_organisation": "PUB",
    "project_partner": "OTH",
}


@dataclass(frozen=True)
class StoredState:
    """What identifies the stored graph: a fitted model is stale once this changes."""

    participations: int
    last_id: int


def stored_state(session: Session) -> StoredState:
    """The number of participations and the highest participation id (one cheap query)."""
    count, last = session.execute(
        select(func.count(Participation.id), func.coalesce(func.max(Participation.id), 0))
    ).one()
    return StoredState(int(count), int(last))


def read_stored(session: Session) -> Collaborations:
    """Every stored participation as ``Collaborations`` (organisations named by directory id;
    a project without a start date has no year, so no time cut keeps it)."""
    rows = session.execute(
        select(
            Participation.project_id, Participation.organisation_id, Project.start_date,
            Organisation.country, Organisation.facts,
        )
        .join(Project, Project.id == Participation.project_id)
        .join(Organisation, Organisation.id == Participation.organisation_id)
    ).all()  # fmt: skip
    frame = pl.DataFrame(
        {
            "project": [r[0] for r in rows],
            "org": [str(r[1]) for r in rows],
            "year": [r[2].year if r[2] else None for r in rows],
            "type": [_cordis_type(r[4]) for r in rows],
            "country": [r[3] or "" for r in rows],
        },
        schema={"project": pl.Int64, "org": pl.Utf8, "year": pl.Int32, "type": pl.Utf8,
                "country": pl.Utf8},
    )  # fmt: skip
    projects = session.execute(select(Project.id, Project.programme_parts)).all()
    parts = pl.DataFrame(
        [(pid, part) for pid, listed in projects for part in listed or []],
        schema={"project": pl.Int64, "part": pl.Utf8},
        orient="row",
    )
    return from_frames(frame, parts)


def _cordis_type(facts: dict[str, object] | None) -> str:
    kind = (facts or {}).get("type")
    return kind if isinstance(kind, str) and kind in TYPES else "OTH"


def profile_of(
    organisation: Organisation,
    clusters: dict[str, str],
    vector: Vectors | None = None,
    embedder: Embedder | None = None,
) -> Profile:
    """The newcomer profile of a directory profile: CORDIS type and parts where it has them,
    else the type of its kind and the programme parts its text matches (``clusters`` names
    its cluster categories, part of that text; ``vector``, its sentence embedding by
    ``embedder``, is the fallback when no part's themes share its words)."""
    facts = organisation.facts or {}
    kind = facts.get("type")
    if isinstance(kind, str) and kind in TYPES:
        shown = facts.get("programme_parts")
        parts = tuple(sorted(shown)) if isinstance(shown, dict) and shown else ()
        if parts:
            return Profile(kind, organisation.country or "", parts)
    else:
        kind = TYPE_OF_KIND.get(organisation.profile_type, "OTH")
    matched = programme_parts.matching(_profile_text(organisation, clusters), vector, embedder)
    inferred = programme_parts.by_kind(organisation.profile_type)
    parts = tuple(dict.fromkeys([*matched, *inferred]))
    return Profile(kind, organisation.country or "", parts, inferred=True)


def stored_vector(session: Session, organisation_id: int, embedder: Embedder) -> Vectors | None:
    """The profile's stored sentence embedding by ``embedder``'s model, if it has one."""
    blob = session.scalar(
        select(OrganisationEmbedding.vector).where(
            OrganisationEmbedding.organisation_id == organisation_id,
            OrganisationEmbedding.model == embedder.name,
        )
    )
    return from_blob(blob) if blob is not None else None


def _profile_text(organisation: Organisation, clusters: dict[str, str]) -> str:
    """What a profile says it does: description, activities and cluster categories."""
    names = [clusters.get(c.cluster_code, "") for c in organisation.clusters]
    return " ".join(
        [organisation.description or "", *organisation.technologies, *organisation.keywords,
         *organisation.ecosystems, *organisation.s3_priorities, *names]
    )  # fmt: skip
