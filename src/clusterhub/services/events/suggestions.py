"""Suggested meetings for a participant, each with the reasons it is suggested.

The other participants are scored by the evidence each pair has, every piece with its reason in
words and its weight (the module's constants):

* the cluster categories their directory profiles share (``CATEGORY``, curated, so it counts
  most); words of their event offer that answer what the participant seeks, and the other way
  round (``WORD`` each); the directory's own search for what the participant seeks (``SEARCH``;
  hybrid when an embedding model is loaded, keyword otherwise);
* with the platform's partner recommender (``services.recommend``, given as ``PartnerEvidence``):
  its ranking of the participants it can rank, those with Horizon 2020 projects (``MODEL``
  times the share of the list below them), with its reasons (shared partners by name, network,
  programme parts, recent activity);
* the observatory's and S3's reasons for every pair whose regions or countries are known
  (``REGIONAL`` by kind: a complementary strength, a shared strength, a shared S3 priority).

People already requested or met are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clusterhub.errors import PermissionDenied
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.embeddings import Embedder
from clusterhub.services.events.access import find_event, registration_of
from clusterhub.services.recommend.models import ModelStatus
from clusterhub.services.recommend.partners import suggest_partners
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.services.search.queries import DirectoryIndex, SearchMode, SearchRequest
from clusterhub.store.events import EventParticipant, Meeting, MeetingRequest
from clusterhub.store.models import Organisation, OrganisationCluster

#: Weights of the kinds of evidence (a shared category counts most: it is curated).
CATEGORY, WORD, SEARCH, MODEL = 3.0, 1.0, 2.0, 3.0
REGIONAL = {"complementary_cluster": 2.0, "shared_strength": 1.0, "shared_s3_priority": 1.0}
#: The recommender's reasons shown at an event (its country and type reasons say little here).
MODEL_REASONS = ("shared_partners", "network", "programme_parts", "recent")
#: Requests that still say something about the pair (a withdrawn or expired one does not).
_SPOKEN = ("sent", "accepted", "declined")
_WORD = re.compile(r"[^\W\d_]{4,}")
_COMMON = frozenset(
    [
        "with",
        "that",
        "this",
        "from",
        "have",
        "what",
        "your",
        "their",
        "will",
        "into",
        "about",
        "other",
        "also",
        "more",
        "such",
        "than",
        "them",
        "they",
        "were",
        "been",
        "which",
        "for",
        "and",
        "the",
        "partners",
        "partner",
        "looking",
        "seek",
        "offer",
    ]
)
#: Directory queries per participant: the most telling words of what it seeks.
MAX_SEARCH_TERMS = 5


@dataclass(frozen=True)
class PartnerEvidence:
    """The platform's recommender as it stands (a model, or why there is none) and the
    observatory's and S3's evidence for regional reasons."""

    status: ModelStatus
    lens: RegionalLens


@dataclass
class Suggestion:
    """Another participant worth meeting, the score it is ranked by and why."""

    participant_id: int
    organisation_id: int
    name: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def words(text: str) -> list[str]:
    """The telling words of a text, lower case, in order, once each."""
    found = (w.lower() for w in _WORD.findall(text))
    return list(dict.fromkeys(w for w in found if w not in _COMMON))


def _excluded(session: Session, me: EventParticipant) -> set[int]:
    """Participants ``me`` has asked, been asked by, or meets already."""
    pairs = session.execute(select(MeetingRequest.sender_id, MeetingRequest.receiver_id).where(
        MeetingRequest.status.in_(_SPOKEN),
        or_(MeetingRequest.sender_id == me.id, MeetingRequest.receiver_id == me.id)))  # fmt: skip
    met = session.execute(select(Meeting.first_id, Meeting.second_id).where(
        Meeting.active.is_(True),
        or_(Meeting.first_id == me.id, Meeting.second_id == me.id)))  # fmt: skip
    return {pid for row in [*pairs, *met] for pid in row}


def _categories(session: Session, organisation_id: int) -> set[str]:
    query = select(OrganisationCluster.cluster_code).where(
        OrganisationCluster.organisation_id == organisation_id)  # fmt: skip
    return set(session.scalars(query))


def _searched(
    session: Session, index: DirectoryIndex, embedder: Embedder | None, seek: str
) -> dict[int, str]:
    """Directory profiles that match what is sought: organisation id -> what matched."""
    terms = words(seek)
    if not terms:
        return {}
    if embedder is not None:
        queries = [(seek[:500], "what you seek")]
    else:
        queries = [(t, f"“{t}”") for t in terms[:MAX_SEARCH_TERMS]]
    found: dict[int, str] = {}
    for q, what in queries:
        request = SearchRequest(q=q, mode=SearchMode.HYBRID, page_size=100)
        for hit in index.search(session, request, embedder=embedder).items:
            found.setdefault(hit.id, what)
    return found


def suggest_meetings(
    session: Session,
    *,
    viewer: UserPublic | None,
    event_id: int,
    index: DirectoryIndex,
    embedder: Embedder | None = None,
    limit: int = 10,
    partners: PartnerEvidence | None = None,
) -> list[Suggestion]:
    """The viewer's best ``limit`` suggestions at the event, best first, each explained."""
    event = find_event(session, event_id)
    me = registration_of(session, viewer.id, event.id) if viewer else None
    if me is None:
        raise PermissionDenied("suggestions are for the event's participants")
    skip = _excluded(session, me) | {me.id}
    mine = _categories(session, me.organisation_id)
    sought, offered = words(me.seek), words(me.offer)
    searched = _searched(session, index, embedder, me.seek)
    others = [o for o in session.scalars(select(EventParticipant).where(
        EventParticipant.event_id == event.id, EventParticipant.active.is_(True),
        EventParticipant.organisation_id != me.organisation_id,
    ).order_by(EventParticipant.id)) if o.id not in skip]  # fmt: skip
    mine_org = session.get(Organisation, me.organisation_id)
    learned = _learned(session, me.organisation_id, others, partners, embedder)
    ours = partners.lens.place(mine_org.nuts_code, mine_org.country) if (
        partners and mine_org) else None  # fmt: skip
    found = []
    for other in others:
        org = session.get(Organisation, other.organisation_id)
        s = Suggestion(other.id, other.organisation_id, org.name if org else "")
        both = sorted(mine & _categories(session, other.organisation_id))
        if both:
            named = [index.cluster_names.get(c, c) for c in both]
            s.score += CATEGORY * len(named)
            s.reasons.append(f"both in the {named[0]} cluster category" if len(named) == 1
                             else f"both in the cluster categories {'; '.join(named)}")  # fmt: skip
        answer = [w for w in words(other.offer) if w in sought]
        if answer:
            s.score += WORD * len(answer)
            s.reasons.append(f"their offer matches what you seek: {', '.join(answer)}")
        wanted = [w for w in words(other.seek) if w in offered]
        if wanted:
            s.score += WORD * len(wanted)
            s.reasons.append(f"they seek what you offer: {', '.join(wanted)}")
        if other.organisation_id in searched:
            s.score += SEARCH
            s.reasons.append(f"their directory profile matches {searched[other.organisation_id]}")
        weight, said = learned.get(other.organisation_id, (0.0, []))
        s.score += MODEL * weight
        s.reasons += said
        if partners is not None and org is not None:
            theirs = partners.lens.place(org.nuts_code, org.country)
            for reason in partners.lens.reasons(ours, mine, theirs):
                s.score += REGIONAL[reason.kind]
                s.reasons.append(reason.text)
        if s.reasons:
            found.append(s)
    return sorted(found, key=lambda s: (-s.score, s.participant_id))[:limit]


def _learned(
    session: Session,
    organisation_id: int,
    others: list[EventParticipant],
    partners: PartnerEvidence | None,
    embedder: Embedder | None,
) -> dict[int, tuple[float, list[str]]]:
    """The recommender's ranking of the other participants' organisations it can rank: per
    organisation, the share of the ranked list below it (1 for the first) and its reasons."""
    if partners is None or partners.status.model is None or not others:
        return {}
    among = {o.organisation_id for o in others}
    # the regional reasons are the caller's, for every pair: none from the recommender
    quiet = RegionalLens([], {}, frozenset(), partners.lens.cluster_names)
    ranked = suggest_partners(
        session, organisation_id=organisation_id, status=partners.status, lens=quiet,
        top=len(among), among=among, embedder=embedder,
    ).items  # fmt: skip
    return {
        item.partner.id: (
            1.0 - (item.rank - 1) / len(ranked),
            [r.text for r in item.reasons if r.kind in MODEL_REASONS],
        )
        for item in ranked
    }
