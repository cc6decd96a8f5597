"""Why a partner is suggested, as data a page, an API or a CSV can show in plain words.

Each ``Reason`` has a ``kind`` (stable, for code and translations), the evidence (a number and
the organisations it is about) and a sentence. Reasons state facts of the data behind the
features the ranker used (shared partners, the wider network, programme parts, country,
recent activity); they do not claim the model's weights, which a tree ensemble does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from clusterhub.classify.countries import country_names
from clusterhub.services.recommend import programme_parts
from clusterhub.services.recommend.features import FEATURES, TYPES, Batch, Context

#: Shared partners named in a reason (the rest are counted).
NAMED = 3
TYPE_NAMES = {
    "HES": "a university or other higher-education body",
    "REC": "a research organisation",
    "PRC": "a company",
    "PUB": "a public body",
    "OTH": "an organisation of another kind",
}
#: Spectral score from which a partner without shared partners is "close in the network".
CLOSE = 0.05


@dataclass(frozen=True)
class Reason:
    """One reason for a suggestion: what kind, how much, about whom, in words."""

    kind: str
    text: str
    value: float = 0.0
    organisations: tuple[str, ...] = ()


def explain(context: Context, batch: Batch, i: int) -> tuple[Reason, ...]:
    """The reasons for pair ``i`` of ``batch``, strongest evidence first."""
    row = dict(zip(FEATURES, batch.features[i], strict=True))
    node, partner = int(batch.nodes[batch.query[i]]), int(batch.partner[i])
    profile = batch.profiles[batch.query[i]]
    found = []
    if node >= 0 and row["common"] > 0:
        found.append(_shared(context, node, partner))
    elif node >= 0 and row["spectral"] >= CLOSE:
        found.append(Reason("network", "close to your network: partners of your partners "
                            "work with their partners", float(row["spectral"])))  # fmt: skip
    shared_parts = [programme_parts.name(p) for p in _shared_parts(context, profile.parts, partner)]
    if shared_parts:
        said = ("works in programme parts that match your profile: " if profile.inferred
                else "works in the same programme parts: ")  # fmt: skip
        found.append(Reason("programme_parts", said + ", ".join(shared_parts),
                            float(row["part_overlap"])))  # fmt: skip
    found.append(_country(context, node, profile.country, partner))
    recent = float(row["partner_recent"])
    if recent > 0:
        found.append(Reason("recent", f"active recently: {int(recent)} project(s) starting in the "
                            "last two years of the data", recent))  # fmt: skip
    kind = TYPES[context.types[partner]]
    found.append(Reason("type", f"is {TYPE_NAMES[kind]}"))
    return tuple(found)


def _shared(context: Context, node: int, partner: int) -> Reason:
    """The partners both have, the closest ties first (the product of the two links' weights:
    those both sides worked with most)."""
    weights = context.graph.weights
    mine, my_weights = _row(weights, node)
    theirs, their_weights = _row(weights, partner)
    common, at_mine, at_theirs = np.intersect1d(mine, theirs, return_indices=True)
    ties = my_weights[at_mine] * their_weights[at_theirs]
    order = np.lexsort((common, -ties))
    named = tuple(context.graph.orgs[int(n)] for n in common[order])
    return Reason("shared_partners", shared_partners_text(named), float(len(named)), named)


def _row(matrix: sparse.csr_matrix, i: int) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
    """The columns and values of one row of a CSR matrix."""
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def shared_partners_text(names: tuple[str, ...]) -> str:
    """The shared-partners reason in words, naming the first ``NAMED`` (a face that knows the
    organisations' names says it again with them)."""
    shown = ", ".join(names[:NAMED]) + (
        f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    )
    return f"has worked with {len(names)} of your partners ({shown})"


def _shared_parts(context: Context, parts: tuple[str, ...], partner: int) -> list[str]:
    theirs = context.part_shares[partner]
    return [p for i, p in enumerate(context.parts) if theirs[i] > 0 and p in parts]


def _country(context: Context, node: int, country: str, partner: int) -> Reason:
    theirs = context.countries[context.country_of[partner]]
    names = country_names()
    where = f"{names[theirs]} ({theirs})" if theirs in names else theirs
    if theirs == country:
        return Reason("country", f"in your country, {where}")
    graph = context.graph
    if node >= 0:
        worked = {context.country_of[n] for n in graph.partners[node].indices}
        if context.country_of[partner] not in worked:
            return Reason("new_country", f"in {where}, a country you have not worked with yet")
    mine = context.countries.index(country) if country in context.countries else -1
    affinity = float(context.affinity[mine, context.country_of[partner]]) if mine >= 0 else 0.0
    if affinity > 0:
        mine_name = names.get(country, country)
        return Reason("country_ties", f"in {where}: organisations from {mine_name} "
                      f"and {names.get(theirs, theirs)} work together more often than their "
                      "sizes predict", affinity)  # fmt: skip
    return Reason("country", f"in {where}")


def text(reasons: tuple[Reason, ...]) -> str:
    """The reasons as one line (the CSV's ``reasons`` column)."""
    return "; ".join(r.text for r in reasons)
