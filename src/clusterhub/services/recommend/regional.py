"""Reasons from the observatory and Smart Specialisation: where a partner's region is strong,
how that complements ours, and which S3 priorities the two regions share.

A *place* is what is known of where an organisation is: the strong clusters of its region
(its NUTS code, or the nearest coarser code the observatory has), or, for an organisation known
only by its country (most Horizon 2020 participants), the clusters strong in at least one of
the country's regions; and the cluster categories of the latest S3 strategy of its region (or
of a coarser code). A partner's place gives a reason when

* a cluster strong there is related (U.S. Cluster Mapping Project's published pairs,
  ``rel_all_90_v3``) to one of ours and is not ours: a *complementary* strength;
* a cluster strong there is one our profile serves: a *shared strength*;
* both regions' strategies prioritise a category (*shared S3 priority*; a synthetic
  demonstration strategy is said to be one).

These are explanations, not features the ranker learned: the Horizon 2020 data on this machine
has no participant regions, so no model could learn how much they weigh (``docs/methodology/
recommend.md``, limits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.services.observatory.schemas import MetricPublic
from clusterhub.services.observatory.strength import latest_strong_cells
from clusterhub.services.recommend.reasons import Reason
from clusterhub.services.s3.strategies import latest_strategies
from clusterhub.store.s3 import S3Strategy

#: Clusters named per kind of reason (the strongest first).
NAMED = 2


@dataclass(frozen=True)
class Place:
    """Where an organisation is, as far as the observatory and S3 know it."""

    code: str
    name: str
    strong: dict[str, int]  # cluster -> stars (region) or regions where strong (country)
    country_level: bool
    priorities: frozenset[str]
    synthetic: bool

    def where(self) -> str:
        """The place in words."""
        return f"{self.name} ({self.code})" if self.name != self.code else self.code


class RegionalLens:
    """The strong cells and S3 strategies reasons are read from, loaded once per request."""

    def __init__(
        self,
        cells: Iterable[MetricPublic],
        strategies: dict[str, S3Strategy],
        related: frozenset[tuple[str, str]],
        cluster_names: dict[str, str],
    ) -> None:
        self._regions: dict[str, dict[str, int]] = defaultdict(dict)
        self._names: dict[str, str] = {}
        for cell in cells:
            self._regions[cell.region_code][cell.cluster_code] = cell.stars
            self._names[cell.region_code] = cell.region_name or cell.region_code
        self._strategies = strategies
        self._related = related
        self.cluster_names = cluster_names

    @classmethod
    def load(
        cls, session: Session, related: frozenset[tuple[str, str]], cluster_names: dict[str, str]
    ) -> RegionalLens:
        """The default data set's latest strong cells and the latest strategies."""
        return cls(latest_strong_cells(session), latest_strategies(session), related, cluster_names)

    def place(self, nuts: str | None, country: str | None) -> Place | None:
        """The place of an organisation with this NUTS code and country (None: unknown)."""
        strategy = self._strategy(nuts or country or "")
        priorities = frozenset(c for p in strategy.priorities for c in p.cluster_codes) if (
            strategy) else frozenset()  # fmt: skip
        synthetic = bool(strategy and strategy.synthetic)
        for code in _coarser(nuts or ""):
            if code in self._regions:
                return Place(code, self._names[code], self._regions[code], False, priorities,
                             synthetic)  # fmt: skip
        if country:
            strong: dict[str, int] = defaultdict(int)
            for region, cells in self._regions.items():
                if region.startswith(country):
                    for cluster in cells:
                        strong[cluster] += 1
            if strong or priorities:
                name = country_names().get(country, country)
                return Place(country, name, dict(strong), True, priorities, synthetic)
        return None

    def _strategy(self, code: str) -> S3Strategy | None:
        return next((self._strategies[c] for c in _coarser(code) if c in self._strategies), None)

    def reasons(self, ours: Place | None, served: set[str], theirs: Place | None) -> list[Reason]:
        """Why ``theirs`` suits an organisation at ``ours`` serving the categories ``served``."""
        if theirs is None:
            return []
        mine = set(served) | (set(ours.strong) if ours and not ours.country_level else set())
        found = []
        shared = [c for c in _strongest(theirs.strong) if c in served]
        if shared:
            found.append(self._strength_reason(theirs, shared[:NAMED]))
        complement = [(c, a) for c in _strongest(theirs.strong) if c not in mine
                      for a in sorted(mine) if (c, a) in self._related][:NAMED]  # fmt: skip
        if complement:
            found.append(self._complement_reason(theirs, complement))
        if ours is not None:
            both = sorted(ours.priorities & theirs.priorities)
            if both:
                found.append(self._s3_reason(ours, theirs, both))
        return found

    def _name(self, cluster: str) -> str:
        return self.cluster_names.get(cluster, cluster)

    def _strong_in(self, place: Place, cluster: str) -> str:
        count = place.strong[cluster]
        if place.country_level:
            return f"strong in {count} region{'s' if count != 1 else ''} of {place.where()}"
        return f"strong in {place.where()} ({count} star{'s' if count != 1 else ''})"

    def _strength_reason(self, theirs: Place, clusters: list[str]) -> Reason:
        said = "; ".join(f"{self._name(c)} is {self._strong_in(theirs, c)}" for c in clusters)
        return Reason("shared_strength", f"a cluster category you serve is strong where they "
                      f"are: {said}", float(len(clusters)))  # fmt: skip

    def _complement_reason(self, theirs: Place, pairs: list[tuple[str, str]]) -> Reason:
        said = "; ".join(f"{self._name(c)}, {self._strong_in(theirs, c)}, is related to your "
                         f"{self._name(a)}" for c, a in pairs)  # fmt: skip
        return Reason("complementary_cluster", f"complementary strength where they are: {said}",
                      float(len(pairs)))  # fmt: skip

    def _s3_reason(self, ours: Place, theirs: Place, clusters: list[str]) -> Reason:
        names = ", ".join(self._name(c) for c in clusters[: NAMED + 1])
        more = f" and {len(clusters) - NAMED - 1} more" if len(clusters) > NAMED + 1 else ""
        synthetic = (" (from a SYNTHETIC demonstration strategy, not a real one)"
                     if ours.synthetic or theirs.synthetic else "")  # fmt: skip
        return Reason("shared_s3_priority", f"your region's and theirs' Smart Specialisation "
                      f"strategies both prioritise {names}{more}{synthetic}",
                      float(len(clusters)))  # fmt: skip


def _coarser(code: str) -> list[str]:
    """A NUTS code and its coarser parents down to the country (``DE111`` → DE111, DE11, DE1,
    DE)."""
    code = code.strip().upper()
    return [code[:n] for n in range(len(code), 1, -1)] if len(code) >= 2 else []


def _strongest(strong: dict[str, int]) -> list[str]:
    return sorted(strong, key=lambda c: (-strong[c], c))
