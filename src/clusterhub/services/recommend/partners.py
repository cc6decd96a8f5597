"""Suggested partners of a directory profile, as pages, the API and the command line show them.

The fitted model (``models``) ranks new partners of the organisation: by its collaboration
history when it took part in stored projects, else as a newcomer from its profile
(``stored.profile_of``). The suggestions are then told in the platform's words: partners by
name, shared partners by name, and the observatory's and S3's reasons (``regional``) added to
the model's own.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import NotFound
from clusterhub.services.directory.profiles import summary
from clusterhub.services.directory.schemas import OrganisationSummary, is_unpublished_name
from clusterhub.services.embeddings import Embedder, load_embedder
from clusterhub.services.observatory.relatedness import published_related
from clusterhub.services.recommend.files import write_rows
from clusterhub.services.recommend.models import ModelStatus, fit_stored
from clusterhub.services.recommend.reasons import Reason, shared_partners_text
from clusterhub.services.recommend.recommender import Recommendation
from clusterhub.services.recommend.regional import RegionalLens
from clusterhub.services.recommend.stored import profile_of, stored_vector
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.schemas import UtcDatetime
from clusterhub.store.models import Organisation

TOP = 10
BASIS_TEXT = {
    "history": "learned from its Horizon 2020 projects: who its partners worked with, and what "
    "organisations like it went on to do",
    "profile": "from its profile only (it has no Horizon 2020 projects here): its type, country "
    "and the programme parts its description matches",
}


class NamedOrganisation(BaseModel):
    """An organisation a reason is about."""

    id: int
    name: str


class ReasonPublic(BaseModel):
    """One reason for a suggestion, in plain words, with its evidence."""

    kind: str = Field(description="shared_partners, network, programme_parts, country, "
                      "new_country, country_ties, recent, type, shared_strength, "
                      "complementary_cluster or shared_s3_priority.")  # fmt: skip
    text: str
    value: float = Field(description="The evidence's size (e.g. the number of shared partners).")
    organisations: list[NamedOrganisation] = Field(default_factory=list)


class PartnerSuggestion(BaseModel):
    """A suggested new partner, best first."""

    rank: int
    score: float = Field(description="The ranker's score: comparable within one list only.")
    partner: OrganisationSummary
    reasons: list[ReasonPublic]


class LearnedFrom(BaseModel):
    """What the model answering was learned from."""

    participations: int
    last_year: int
    fitted_at: UtcDatetime


class SuggestedPartners(BaseModel):
    """Suggested new partners of one organisation, or why there are none yet."""

    organisation_id: int
    ready: bool = Field(description="False while the model is learning or cannot be learned.")
    learning: bool = Field(False, description="True while a model is being (re)learned.")
    message: str = ""
    basis: Literal["history", "profile"] | None = None
    basis_text: str = ""
    learned_from: LearnedFrom | None = None
    items: list[PartnerSuggestion] = Field(default_factory=list)


def suggest_partners(
    session: Session,
    *,
    organisation_id: int,
    status: ModelStatus,
    lens: RegionalLens,
    top: int = TOP,
    among: set[int] | None = None,
    embedder: Embedder | None = None,
) -> SuggestedPartners:
    """The organisation's ``top`` suggested new partners, each with its reasons (``among``:
    only those organisations, e.g. an event's participants; ``embedder``: the sentence model
    whose stored embedding of a newcomer's profile may place it, see ``programme_parts``).

    Raises
    ------
    NotFound
        If there is no such organisation.
    """
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    model = status.model
    if model is None:
        return SuggestedPartners(organisation_id=org.id, ready=False, learning=status.learning,
                                 message=status.message)  # fmt: skip
    recommender, key = model.recommender, str(org.id)
    basis: Literal["history", "profile"] = (
        "history" if key in recommender.context.graph.index else "profile"
    )
    profiles = None
    if basis == "profile":
        vector = stored_vector(session, org.id, embedder) if embedder else None
        profiles = {key: profile_of(org, lens.cluster_names, vector, embedder)}
    within = None if among is None else {str(o) for o in among}
    found = recommender.recommend([key], top=top, profiles=profiles, among=within)[key]
    learned = LearnedFrom(participations=model.state.participations, last_year=model.last_year,
                          fitted_at=model.fitted_at)  # fmt: skip
    items = _told(session, org, found, lens)
    message = "" if items else _none_found(basis, recommender.newcomer is None)
    return SuggestedPartners(
        organisation_id=org.id, ready=True, learning=status.learning, message=message, basis=basis,
        basis_text=BASIS_TEXT[basis], learned_from=learned, items=items,
    )  # fmt: skip


def _none_found(basis: str, no_newcomer_model: bool) -> str:
    if basis == "profile" and no_newcomer_model:
        return ("The stored projects had no newcomer to learn from, so a profile alone cannot "
                "be matched yet.")  # fmt: skip
    return "No new partner could be suggested from what is stored."


def _told(
    session: Session, org: Organisation, found: list[Recommendation], lens: RegionalLens
) -> list[PartnerSuggestion]:
    """The recommendations with the partners' profiles, names in the reasons and the regional
    reasons; a partner deleted since the model learned is left out."""
    ids = {int(r.partner) for r in found} | {
        int(o) for r in found for reason in r.reasons for o in reason.organisations
    }
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    ours = lens.place(org.nuts_code, org.country)
    served = {c.cluster_code for c in org.clusters}
    told: list[PartnerSuggestion] = []
    for rec in found:
        partner = orgs.get(int(rec.partner))
        if partner is None or partner.id == org.id:
            continue
        theirs = lens.place(partner.nuts_code, partner.country)
        reasons = [_named(r, orgs) for r in rec.reasons]
        reasons[1:1] = [_public(r, orgs) for r in lens.reasons(ours, served, theirs)]
        told.append(PartnerSuggestion(rank=len(told) + 1, score=round(rec.score, 4),
                                      partner=summary(partner), reasons=reasons))  # fmt: skip
    return told


def _named(reason: Reason, orgs: dict[int, Organisation]) -> ReasonPublic:
    """A model reason about organisations named by id, told with their names."""
    if reason.kind == "shared_partners":
        known = [orgs[int(o)].name for o in reason.organisations if int(o) in orgs]
        # a partner CORDIS does not name says little in a sentence: named ones first
        names = tuple(sorted(known, key=is_unpublished_name))
        reason = replace(reason, text=shared_partners_text(names))
    return _public(reason, orgs)


def _public(reason: Reason, orgs: dict[int, Organisation]) -> ReasonPublic:
    named = [NamedOrganisation(id=int(o), name=orgs[int(o)].name) for o in reason.organisations
             if int(o) in orgs]  # fmt: skip
    return ReasonPublic(kind=reason.kind, text=reason.text, value=round(reason.value, 4),
                        organisations=named)  # fmt: skip


def regional_lens(
    session: Session, reference: ReferenceData, catalogues: Catalogues
) -> RegionalLens:
    """The observatory's and S3's evidence for the reasons, from the database and the
    published related cluster pairs."""
    return RegionalLens.load(session, published_related(reference), catalogues.clusters)


def suggest_now(
    session: Session, *, organisation_id: int, reference: ReferenceData, top: int = TOP,
    seed: int = 0,
) -> SuggestedPartners:  # fmt: skip
    """Learn from the stored projects now, then suggest (the command line: no server holds a
    model for it).

    Raises
    ------
    NotFound
        If there is no such organisation.
    InvalidInput
        If there is nothing to learn from.
    """
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"no organisation {organisation_id}")
    model = fit_stored(session, seed=seed)
    lens = regional_lens(session, reference, Catalogues.from_reference(reference))
    return suggest_partners(session, organisation_id=organisation_id, status=ModelStatus(model),
                            lens=lens, top=top, embedder=load_embedder())  # fmt: skip


def write_suggestions(found: SuggestedPartners, out: Path) -> None:
    """The suggestions as the file command's CSV (``partner``: the directory id)."""
    write_rows(
        ([found.organisation_id, item.rank, item.partner.id, f"{item.score:.6f}",
          "; ".join(r.text for r in item.reasons)] for item in found.items),
        out,
    )  # fmt: skip
