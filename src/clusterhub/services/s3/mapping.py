"""From a priority's NACE codes to the 51 traded cluster categories.

The categories are defined in NAICS (U.S. Cluster Mapping Project); ``classify.derive_nace``
translates them into NACE classes with weights through Eurostat's NAICS → NACE correspondence
(``docs/methodology/taxonomies.md``). A NACE code reaches a category with the average of the
category's weights over the code's classes: 35.11 is wholly in "Electric Power Generation and
Transmission" (share 1), division 35 only half (its gas and steam classes are not traded
clusters). A category is kept when that share is at least :data:`MIN_CLUSTER_SHARE`, so a
code is not tied to every category that owns a sliver of it; an officer adds or removes
categories by hand, and :func:`edited` keeps those edits apart from the derivation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from clusterhub.classify.nace import NaceHierarchy
from clusterhub.classify.s3_axes import S3Vocabularies, default_vocabularies
from clusterhub.errors import InvalidInput
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.s3.schemas import ClusterLink

#: Least share of a NACE code's classes that must lie in a category for the code to reach it.
MIN_CLUSTER_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class ClusterMapping:
    """NACE classes' weights in each traded cluster category, and the categories' names."""

    nace: NaceHierarchy
    weights: dict[str, dict[str, float]]
    names: dict[str, str]
    _cache: dict[str, list[ClusterLink]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_reference(cls, reference: ReferenceData) -> ClusterMapping:
        """The CMP traded clusters in NACE classes, as the observatory derives them."""
        taxonomy = reference.nace_clusters
        weights: defaultdict[str, dict[str, float]] = defaultdict(dict)
        for cluster, code, weight in taxonomy.members.iter_rows():
            weights[code][cluster] = weight
        traded = taxonomy.clusters.filter(kind="traded")
        names = dict(traded.select("cluster_code", "cluster_name").iter_rows())
        return cls(reference.nace, dict(weights), names)

    def for_code(self, code: str) -> list[ClusterLink]:
        """The categories ``code`` (any level, any accepted spelling) reaches, largest first."""
        normal = self.nace.normalise(code)
        if normal not in self._cache:
            classes = self.nace.classes_under(normal)
            shares: defaultdict[str, float] = defaultdict(float)
            for cls in classes:
                for cluster, weight in self.weights.get(cls, {}).items():
                    shares[cluster] += weight / len(classes)
            self._cache[normal] = sorted(
                (
                    ClusterLink(code=c, name=self.names[c], share=round(s, 4), via=[normal])
                    for c, s in shares.items()
                    if s >= MIN_CLUSTER_SHARE and c in self.names
                ),
                key=lambda link: (-link.share, link.code),
            )
        return [link.model_copy(deep=True) for link in self._cache[normal]]

    def for_codes(self, codes: Iterable[str]) -> list[ClusterLink]:
        """The categories several codes reach: each once, with its largest share and every
        code that reaches it."""
        merged: dict[str, ClusterLink] = {}
        for code in codes:
            for link in self.for_code(code):
                known = merged.get(link.code)
                if known is None:
                    merged[link.code] = link
                else:
                    known.share = max(known.share, link.share)
                    known.via = sorted({*known.via, *link.via})
        return sorted(merged.values(), key=lambda link: (-link.share, link.code))

    def name(self, cluster: str) -> str:
        """A category's name (its code when it is not a traded category)."""
        return self.names.get(cluster, cluster)


def edited(derived: Iterable[str], added: Iterable[str], removed: Iterable[str]) -> list[str]:
    """The derived categories with an officer's additions and removals applied, in code order
    (numeric where codes are numbers)."""
    gone = set(removed)
    codes = {c for c in derived if c not in gone} | set(added)
    return sorted(codes, key=lambda c: (len(c), c))


@dataclass(frozen=True, eq=False)
class S3Codes:
    """Every code list S3 records are checked against: NUTS regions, NACE and the cluster
    categories (``catalogues``), the NACE → cluster mapping, FOS and policy objectives."""

    catalogues: Catalogues
    mapping: ClusterMapping
    vocabularies: S3Vocabularies

    @classmethod
    def from_reference(
        cls, reference: ReferenceData, catalogues: Catalogues | None = None
    ) -> S3Codes:
        """The lists from the reference data (``catalogues`` reused when given)."""
        return cls(
            catalogues or Catalogues.from_reference(reference),
            ClusterMapping.from_reference(reference),
            default_vocabularies(),
        )

    def cluster_code(self, value: str) -> str:
        """A category's code from its number or exact name.

        Raises
        ------
        InvalidInput
            If it is neither.
        """
        code = self.catalogues.cluster_code(value)
        if code is None:
            raise InvalidInput.single(
                "not one of the 51 traded cluster categories; expected its number (1-51) or "
                "its exact name",
                field="clusters",
                value=value,
            )
        return code
