"""Keeping the search indexes in step with the profiles.

Every profile write calls :func:`index_profiles` in its own transaction: the keyword index gets
the new text, the embedding is recomputed only when the text it was made from changed (its hash
is stored), and the directory's generation counter is bumped so that every process refreshes its
in-memory search catalogue on its next query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.services.directory.schemas import ProfileType, is_unpublished_name
from clusterhub.services.embeddings import Embedder, Vectors, text_hash, to_blob
from clusterhub.store import fts, generations
from clusterhub.store.models import Organisation, OrganisationEmbedding

if TYPE_CHECKING:
    from clusterhub.services.reference import Catalogues

#: Called with the number of profiles just embedded (drives progress bars).
Progress = Callable[[int], None]
_CHUNK = 900


def _cluster_names(org: Organisation, catalogues: Catalogues) -> list[str]:
    """Names in code order, as the database lists them: a profile just imported holds its
    clusters in the order they were added, and its texts must not depend on that."""
    codes = sorted(c.cluster_code for c in org.clusters)
    return [catalogues.clusters.get(code, code) for code in codes]


def _nace_names(org: Organisation, catalogues: Catalogues) -> list[str]:
    return [catalogues.nace.name(code) for code in org.nace_codes if catalogues.nace.contains(code)]


def _place(org: Organisation) -> str:
    country = country_names().get(org.country or "", org.country or "")
    return ", ".join(p for p in (org.city, country) if p)


def document(org: Organisation, catalogues: Catalogues) -> fts.Document:
    """The keyword-index entry: name and acronym weighted apart from everything else."""
    body = " ".join(
        [
            ProfileType(org.profile_type).label,
            _place(org),
            " ".join(_cluster_names(org, catalogues)),
            " ".join(_nace_names(org, catalogues)),
            " ".join(org.ecosystems + org.technologies + org.keywords + org.s3_priorities),
            org.description,
        ]
    )
    return fts.Document(org.id, org.name, org.acronym or "", body)


def embedding_text(org: Organisation, catalogues: Catalogues) -> str:
    """What the sentence model reads: the most telling fields first (it sees 256 tokens).

    Research project partners (Horizon 2020 participants) are described by figures; their
    meaning is their name where CORDIS publishes one, their type, place and activity lists.
    Leaving out the description and the stand-in of the unnamed makes thousands of those share
    one text, embedded once.
    """
    if org.profile_type == ProfileType.PROJECT_PARTNER:
        named = not is_unpublished_name(org.name)
        return ". ".join(
            p
            for p in (
                (f"{org.name} ({org.acronym})" if org.acronym else org.name) if named else "",
                f"{ProfileType(org.profile_type).label} in {_place(org)}",
                _listed("Clusters", _cluster_names(org, catalogues)),
                _listed("Activities", org.keywords + org.technologies),
            )
            if p
        )
    parts = [
        f"{org.name} ({org.acronym})" if org.acronym else org.name,
        f"{ProfileType(org.profile_type).label} in {_place(org)}" if _place(org) else "",
        _listed("Clusters", _cluster_names(org, catalogues)),
        _listed("Technologies", org.technologies),
        _listed("Keywords", org.keywords),
        _listed("Ecosystems", org.ecosystems),
        _listed("Activities", _nace_names(org, catalogues)),
        org.description,
    ]
    return ". ".join(p for p in parts if p)


def _listed(title: str, values: Sequence[str]) -> str:
    return f"{title}: {', '.join(values)}" if values else ""


def index_profiles(
    session: Session,
    orgs: Sequence[Organisation],
    *,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: Progress | None = None,
) -> None:
    """Re-index ``orgs`` (already flushed, so they have ids) for keyword and semantic search."""
    if not orgs:
        return
    fts.upsert(session, [document(org, catalogues) for org in orgs])
    if embedder is not None:
        _embed(session, orgs, catalogues, embedder, progress)
    generations.bump(session, items=[org.id for org in orgs])


def _embed(
    session: Session,
    orgs: Sequence[Organisation],
    catalogues: Catalogues,
    embedder: Embedder,
    progress: Progress | None,
) -> None:
    texts = {org.id: embedding_text(org, catalogues) for org in orgs}
    hashes = {org_id: text_hash(text) for org_id, text in texts.items()}
    ids = list(texts)
    stored: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(OrganisationEmbedding.organisation_id, OrganisationEmbedding.text_hash)
            .where(OrganisationEmbedding.organisation_id.in_(ids[start : start + _CHUNK]))
            .where(OrganisationEmbedding.model == embedder.name)
        )
        stored.update({int(row[0]): str(row[1]) for row in rows})
    todo = {org_id: texts[org_id] for org_id in ids if stored.get(org_id) != hashes[org_id]}
    if todo:
        vectors = embedder.encode(list(todo.values()), progress=progress)
        store_embeddings(session, todo, vectors, model=embedder.name)


def store_embeddings(
    session: Session, texts: Mapping[int, str], vectors: Vectors, *, model: str
) -> None:
    """Keep ``vectors`` (in the order of ``texts``) as the profiles' embeddings by ``model``,
    replacing older ones; each remembers the hash of the text it was made from."""
    ids = list(texts)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(
            delete(OrganisationEmbedding).where(OrganisationEmbedding.organisation_id.in_(chunk))
        )
    session.add_all(
        OrganisationEmbedding(
            organisation_id=org_id, model=model, text_hash=text_hash(text), vector=to_blob(v)
        )
        for (org_id, text), v in zip(texts.items(), vectors, strict=True)
    )
    session.flush()


def unindex(session: Session, organisation_ids: list[int]) -> None:
    """Drop profiles from the keyword index (embeddings go with the profile's row)."""
    fts.delete(session, organisation_ids)
    generations.bump(session, items=organisation_ids)


def rebuild_keyword_index(session: Session, *, catalogues: Catalogues) -> int:
    """Empty the keyword index and index every profile again; returns how many.

    A restore calls this rather than keep the index it restored: the index is derived data,
    its layout differs per database (a logical backup carries none), and a fresh build from
    the profiles cannot disagree with them. Profiles are read a chunk at a time.
    """
    fts.clear(session)
    ids = list(session.scalars(select(Organisation.id).order_by(Organisation.id)))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        orgs = session.scalars(select(Organisation).where(Organisation.id.in_(chunk))).all()
        fts.upsert(session, [document(org, catalogues) for org in orgs])
        session.expunge_all()
    return len(ids)
