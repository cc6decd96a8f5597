"""Pydantic records of Smart Specialisation: strategies, priorities, proposals, comparisons.

Every record that may hold generated demonstration data carries ``synthetic``, so a face can
never show a made-up strategy without saying so.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clusterhub.services.schemas import UtcDatetime


class CodingStatus(StrEnum):
    """Where a priority's codes come from."""

    UNCODED = "uncoded"
    IMPORTED = "imported"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"


class ClusterLink(BaseModel):
    """A cluster category reached from NACE codes, and how much of them it holds."""

    code: str
    name: str
    share: float = Field(
        description="Share of the NACE code's classes counted in the category (crosswalk "
        "weights averaged over its classes); for a priority, the largest over its codes."
    )
    via: list[str] = Field(default_factory=list, description="The NACE codes that reach it.")


class CodedName(BaseModel):
    """A code of a vocabulary and its name."""

    code: str
    name: str


class PriorityPublic(BaseModel):
    """A priority as pages, the API and the CLI show it."""

    id: int
    position: int
    title: str
    description: str
    nace: list[CodedName]
    fields_of_science: list[CodedName]
    objectives: list[CodedName]
    clusters: list[CodedName]
    clusters_added: list[str] = Field(description="Categories the officer added.")
    clusters_removed: list[str] = Field(description="Derived categories the officer removed.")
    coding_status: CodingStatus
    coded_by: str | None = Field(None, description="Who confirmed (user:<id> or cli:<name>).")
    coded_at: UtcDatetime | None = None


class StrategyPublic(BaseModel):
    """A region's strategy for one period with its priorities."""

    id: int
    region_code: str
    country: str
    title: str
    period: str
    source: str
    synthetic: bool
    priorities: list[PriorityPublic]


class StrategySummary(BaseModel):
    """A region's latest strategy in a list: what it is and how many priorities it has."""

    region_code: str
    region_name: str | None
    country: str
    title: str
    period: str
    source: str
    synthetic: bool
    priorities: int
    coded: int = Field(description="Priorities whose codes a programme officer confirmed.")


class PartnershipRegionPublic(BaseModel):
    """A region in a thematic partnership."""

    model_config = ConfigDict(from_attributes=True)

    region_code: str
    role: Literal["lead", "member"]


class S3PartnershipPublic(BaseModel):
    """A thematic S3 partnership with its regions."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    platform: str
    thematic_area: str
    description: str
    source: str
    synthetic: bool
    regions: list[PartnershipRegionPublic]


class Match(BaseModel):
    """One code proposed for a text: its score and what matched."""

    code: str
    name: str
    score: float = Field(description="Cosine similarity (semantic) or share of words (keyword).")
    matched_text: str = Field(description="The description that matched best.")
    matched_words: list[str] = Field(description="Words of the text found in that description.")


class NaceMatch(Match):
    """A NACE class proposed for a text, with its division and cluster categories."""

    division: str
    division_name: str
    clusters: list[ClusterLink]


class CodingProposal(BaseModel):
    """The assistant's proposal for a priority text: an officer confirms or edits it."""

    text: str
    method: Literal["semantic", "keyword"] = Field(
        description="semantic: MiniLM sentence embeddings; keyword: word overlap (no model)."
    )
    nace: list[NaceMatch]
    clusters: list[ClusterLink] = Field(
        description="Categories the first three proposed classes reach (coding.CLUSTERS_FROM)."
    )
    fields_of_science: list[Match]
    objectives: list[Match]


Verdict = Literal["backed", "no_cluster_base", "outside_priorities"]

VERDICT_LABELS: dict[str, str] = {
    "backed": "priority backed by a strong cluster",
    "no_cluster_base": "priority without a cluster base",
    "outside_priorities": "strong cluster outside the priorities",
}


class ComparisonRow(BaseModel):
    """One line of a region's comparison: a priority, a strong cluster, or both."""

    verdict: Verdict
    label: str
    priority: str | None = None
    priority_id: int | None = None
    clusters: list[CodedName] = Field(
        description="For a priority: the strong clusters backing it (empty: none); for a "
        "strong cluster outside the priorities: that cluster."
    )
    stars: int | None = Field(None, description="The strongest backing cluster's stars.")


class RegionComparison(BaseModel):
    """A region's priorities next to its strong clusters (``compare.compare_region``)."""

    region_code: str
    region_name: str | None
    strategy: StrategyPublic | None
    dataset: str | None = Field(description="The observatory data set the clusters are from.")
    year: int | None
    strong_clusters: list[CodedName]
    rows: list[ComparisonRow]
    synthetic: bool = Field(description="True when the strategy is generated (demonstration).")
    notes: list[str]

    def counts(self) -> dict[str, int]:
        """How many rows of each verdict the comparison has."""
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICT_LABELS}


class Reason(BaseModel):
    """Why a region is suggested as a partner, as data."""

    kind: Literal["shared_cluster", "shared_nace", "complementary_strength", "shared_partnership"]
    code: str
    name: str
    text: str


class PartnerRegion(BaseModel):
    """A region suggested as an S3 partner, ranked by its score."""

    region_code: str
    country: str
    score: float
    shared_clusters: int
    shared_nace: int
    complementary: int
    synthetic: bool = Field(description="True when its strategy is generated (demonstration).")
    reasons: list[Reason]


class ImportSummary(BaseModel):
    """What an S3 import stored (all of it, or nothing)."""

    file: str
    strategies_created: int
    strategies_replaced: int
    priorities: int
    partnerships_created: int
    partnerships_replaced: int
