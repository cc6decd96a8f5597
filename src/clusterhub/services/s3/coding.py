"""The coding assistant: codes proposed for a free-text priority, which an officer confirms.

Each NACE class is described by several short texts (``classify.nace_texts``): its title, the
titles of the NAICS 2017 industries Eurostat's correspondence links to it, and its "also
includes" notes. A priority is compared with every one of them and a class scores as its best
text, so the proposal can say *which* description matched ("Wind Electric Power Generation"),
not only that 35.11 did.

* **semantic** (the MiniLM model of ``services.embeddings``): cosine between the priority's
  embedding and each text's.
* **keyword** (no model loaded): the share of the priority's content words (lower case, accents
  and light suffixes removed, stop words dropped) that a text contains.

Fields of Science and policy objectives are proposed the same way from their names alone.
Proposals are suggestions: nothing is coded until :func:`confirm_coding` records who decided.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from clusterhub.classify.nace import DIVISION, SECTION
from clusterhub.classify.nace_texts import load_nace_texts
from clusterhub.classify.s3_axes import S3Vocabularies, Vocabulary
from clusterhub.classify.words import words
from clusterhub.errors import InvalidInput, NotFound, Problem
from clusterhub.input_files import ProblemList
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, require
from clusterhub.services.audit import Actor
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import ReferenceData
from clusterhub.services.s3.mapping import ClusterMapping, S3Codes, edited
from clusterhub.services.s3.schemas import (
    CodingProposal,
    CodingStatus,
    Match,
    NaceMatch,
    PriorityPublic,
)
from clusterhub.services.s3.strategies import priority_public
from clusterhub.store.models import utcnow
from clusterhub.store.s3 import S3Priority, S3Strategy

#: Who may have the assistant propose codes for stored priorities and confirm codings.
CODING_ROLE = Role.PROGRAMME_OFFICER
#: Classes, fields and objectives proposed by default.
TOP_NACE, TOP_FIELDS, TOP_OBJECTIVES = 8, 3, 3
#: The proposal's cluster categories are those its first few classes reach.
CLUSTERS_FROM = 3


@dataclass(eq=False)
class _Texts:
    """Descriptions of one vocabulary: ``owner[i]`` is the code ``texts[i]`` describes, and
    each code's first text is its own name."""

    owner: list[str]
    texts: list[str]
    stems: list[frozenset[str]] = field(init=False)
    rarity: dict[str, float] = field(init=False)
    vectors: npt.NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        self.stems = [frozenset(words(t)) for t in self.texts]
        counts: dict[str, int] = {}
        for stems in self.stems:
            for stem in stems:
                counts[stem] = counts.get(stem, 0) + 1
        # A word few descriptions share tells more than a common one (inverse frequency).
        self.rarity = {w: math.log(1 + len(self.texts) / n) for w, n in counts.items()}

    def scores(self, text: str, embedder: Embedder | None) -> dict[str, tuple[float, float, int]]:
        """Each code's best score, the score of its own name (to order ties) and the index of
        the text that gave the best."""
        if embedder is not None:
            if self.vectors is None:
                self.vectors = embedder.encode(self.texts)
            query = embedder.encode([" ".join(text.split())])[0]
            per_text = (self.vectors @ query).astype(np.float64).tolist()
        else:
            asked = set(words(text))
            weight = {w: self.rarity.get(w, math.log(1 + len(self.texts))) for w in asked}
            total = sum(weight.values()) or 1.0
            per_text = [sum(weight[w] for w in asked & s) / total for s in self.stems]
        best: dict[str, tuple[float, float, int]] = {}
        for index, (code, score) in enumerate(zip(self.owner, per_text, strict=True)):
            if code not in best:
                best[code] = (score, score, index)
            elif score > best[code][0]:
                best[code] = (score, best[code][1], index)
        return best


class CodingAssistant:
    """Proposes NACE classes (and through them cluster categories), Fields of Science and
    policy objectives for a text. Build once per process: the descriptions are embedded on
    first use (seconds), then each proposal costs one embedding."""

    def __init__(
        self,
        reference: ReferenceData,
        mapping: ClusterMapping,
        vocabularies: S3Vocabularies,
        embedder: Embedder | None,
    ) -> None:
        self.mapping = mapping
        self.vocabularies = vocabularies
        self.embedder = embedder
        nace = reference.nace
        texts = load_nace_texts(reference.fetch("nace-rev2"), reference.fetch("naics-nace"), nace)
        owners, pieces = [], []
        for code, described in texts.items():
            for piece in dict.fromkeys(
                (described.name, *described.naics_titles, *described.also_includes)
            ):
                owners.append(code)
                pieces.append(piece)
        self._nace = _Texts(owners, pieces)
        self._fields = _vocabulary_texts(vocabularies.fields_of_science)
        self._objectives = _vocabulary_texts(vocabularies.policy_objectives)

    @property
    def method(self) -> Literal["semantic", "keyword"]:
        """``semantic`` with a model, ``keyword`` without."""
        return "keyword" if self.embedder is None else "semantic"

    def propose(self, text: str, *, top: int = TOP_NACE) -> CodingProposal:
        """Codes for ``text``, best first, each with its score and what matched.

        Raises
        ------
        InvalidInput
            If the text is empty.
        """
        if not text.strip():
            raise InvalidInput.single("expected a priority's text to code", field="text")
        nace = self.mapping.nace
        matches = []
        for code, score, matched, shared in self._ranked(self._nace, text, top):
            division = nace.ancestor_at(code, DIVISION)
            matches.append(
                NaceMatch(
                    code=code, name=nace.name(code), score=score, matched_text=matched,
                    matched_words=shared, division=f"{nace.ancestor_at(code, SECTION)}{division}",
                    division_name=nace.name(division), clusters=self.mapping.for_code(code),
                )
            )  # fmt: skip
        return CodingProposal(
            text=text,
            method=self.method,
            nace=matches,
            clusters=self.mapping.for_codes(m.code for m in matches[:CLUSTERS_FROM]),
            fields_of_science=self._matches(
                self._fields, self.vocabularies.fields_of_science, text, TOP_FIELDS
            ),
            objectives=self._matches(
                self._objectives, self.vocabularies.policy_objectives, text, TOP_OBJECTIVES
            ),
        )

    def _ranked(
        self, texts: _Texts, text: str, top: int
    ) -> list[tuple[str, float, str, list[str]]]:
        scores = texts.scores(text, self.embedder)
        order = sorted(scores.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
        asked = words(text)
        found = []
        for code, (score, _name_score, index) in order[:top]:
            if score <= 0:
                continue
            shared = [w for w in dict.fromkeys(asked) if w in texts.stems[index]]
            found.append((code, round(score, 4), texts.texts[index], shared))
        return found

    def _matches(self, texts: _Texts, vocabulary: Vocabulary, text: str, top: int) -> list[Match]:
        return [
            Match(
                code=code,
                name=vocabulary.entries[code],
                score=score,
                matched_text=matched,
                matched_words=shared,
            )
            for code, score, matched, shared in self._ranked(texts, text, top)
        ]


def _vocabulary_texts(vocabulary: Vocabulary) -> _Texts:
    return _Texts(list(vocabulary.entries), list(vocabulary.entries.values()))


# --- writes -----------------------------------------------------------------------------------


def _priority(session: Session, priority_id: int) -> S3Priority:
    found = session.get(S3Priority, priority_id)
    if found is None:
        raise NotFound(f"no S3 priority {priority_id}")
    return found


@dataclass(frozen=True)
class PriorityCoding:
    """What an officer codes a priority from: the priority, its strategy, the last proposal."""

    priority: PriorityPublic
    region_code: str
    strategy_title: str
    synthetic: bool
    proposal: CodingProposal | None


def coding_view(
    session: Session, *, actor: UserPublic | None, priority_id: int, codes: S3Codes
) -> PriorityCoding:
    """A priority with the assistant's last proposal for it. Programme officers and site
    admins."""
    require(session, actor=actor, minimum=CODING_ROLE)
    priority = _priority(session, priority_id)
    strategy = session.get(S3Strategy, priority.strategy_id)
    assert strategy is not None  # a priority belongs to a strategy (foreign key, cascade)
    proposal = CodingProposal.model_validate(priority.proposal) if priority.proposal else None
    return PriorityCoding(
        priority_public(priority, codes.mapping, codes.vocabularies), strategy.region_code,
        strategy.title, strategy.synthetic, proposal,
    )  # fmt: skip


def record_proposal(
    session: Session, *, actor: UserPublic | None, priority_id: int, assistant: CodingAssistant
) -> CodingProposal:
    """Have the assistant propose codes for a stored priority (its title and description) and
    keep the proposal on it; an uncoded or imported priority becomes ``proposed``. Programme
    officers and site admins."""
    user = require(session, actor=actor, minimum=CODING_ROLE)
    priority = _priority(session, priority_id)
    proposal = assistant.propose(f"{priority.title}. {priority.description}".strip(" ."))
    priority.proposal = proposal.model_dump(mode="json")
    if priority.coding_status != CodingStatus.CONFIRMED:
        priority.coding_status = CodingStatus.PROPOSED.value
    audit.record(
        session, actor=Actor.of_user(user.id), action="s3.propose", entity_type="s3_priority",
        entity_id=priority.id, details={"method": proposal.method,
                                        "nace": [m.code for m in proposal.nace]},
    )  # fmt: skip
    return proposal


def confirm_coding(
    session: Session,
    *,
    actor: UserPublic | None,
    priority_id: int,
    nace: list[str],
    fields_of_science: list[str],
    objectives: list[str],
    add_clusters: list[str] | None = None,
    remove_clusters: list[str] | None = None,
    codes: S3Codes,
) -> PriorityPublic:
    """Record an officer's coding of a priority: the codes on the three axes, the cluster
    categories derived from the NACE codes with their additions and removals, and who
    confirmed when. Programme officers and site admins.

    Raises
    ------
    InvalidInput
        Every code that is not in its vocabulary (NACE Rev.2, FOS 2007, the policy
        objectives, the 51 categories), each named with its field.
    """
    user = require(session, actor=actor, minimum=CODING_ROLE)
    priority = _priority(session, priority_id)
    problems = ProblemList()
    vocabularies = codes.vocabularies
    classes = _checked(nace, codes.catalogues.nace.normalise, "nace", problems)
    fields = _checked(fields_of_science, vocabularies.fields_of_science.normalise, "fos", problems)
    aims = _checked(objectives, vocabularies.policy_objectives.normalise, "objectives", problems)
    added = _checked(add_clusters or [], codes.cluster_code, "add_clusters", problems)
    removed = _checked(remove_clusters or [], codes.cluster_code, "remove_clusters", problems)
    problems.raise_if_any(f"priority {priority_id}: the coding was not saved")
    derived = [link.code for link in codes.mapping.for_codes(classes)]
    priority.nace_codes, priority.fos_codes, priority.objectives = classes, fields, aims
    priority.cluster_codes = edited(derived, added, removed)
    priority.cluster_edits = {
        "added": sorted(set(added) - set(derived)),
        "removed": sorted(set(removed) & set(derived)),
    }
    priority.coding_status = CodingStatus.CONFIRMED.value
    priority.coded_by, priority.coded_by_actor = user.id, f"user:{user.id}"
    priority.coded_at = utcnow()
    audit.record(
        session, actor=Actor.of_user(user.id), action="s3.confirm", entity_type="s3_priority",
        entity_id=priority.id, details={"nace": classes, "clusters": priority.cluster_codes},
    )  # fmt: skip
    session.flush()
    return priority_public(priority, codes.mapping, vocabularies)


def _checked(
    values: list[str], normalise: Callable[[str], str], name: str, problems: ProblemList
) -> list[str]:
    """The values normalised, in order and once each; each refused one becomes a problem."""
    found: list[str] = []
    for value in values:
        try:
            code = normalise(value)
        except InvalidInput as error:
            message = error.problems[0].message if error.problems else str(error)
            problems.append(Problem(message, field=name, value=value))
            continue
        if code not in found:
            found.append(code)
    return found
