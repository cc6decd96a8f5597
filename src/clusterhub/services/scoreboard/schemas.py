"""Pydantic records of the Regional Ecosystem Scoreboard that services return and the API
serialises (kept beside ``schemas`` so the scoreboard's shapes read in one place)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PeerPublic(BaseModel):
    """A region the scored region is compared with."""

    code: str
    name: str | None = None
    chosen_by: Literal["default", "user"]
    similarity: float | None = Field(
        None, description="Cosine similarity of cluster employment shares (default peers)."
    )
    size_ratio: float | None = Field(
        None, description="Peer's total employment / the region's (default peers)."
    )


class IndicatorScore(BaseModel):
    """One indicator of the region: its latest value, normalised score and the peer median."""

    code: str
    name: str
    dimension: str
    subdimension: str
    unit: str
    direction: int
    source: str
    year: int
    value: float
    score: float | None = Field(description="Null when the value cannot be scored; see note.")
    note: str | None = None
    country_level: bool = Field(
        description="True when the value is the country's, applied to each of its regions."
    )
    peer_median_score: float | None = None
    peer_median_value: float | None = None


class SubdimensionScore(BaseModel):
    """A sub-dimension composite (mean of its indicators' scores)."""

    code: str
    name: str
    score: float | None
    available: int


class DimensionScore(BaseModel):
    """A dimension composite of the region against its peers, with the bottleneck verdict."""

    code: str
    name: str
    score: float | None = Field(description="Null when coverage is too low; see note.")
    available: int = Field(description="Indicators of the dimension with a value here.")
    in_use: int = Field(description="Indicators of the dimension loaded for any region.")
    country_level_share: float | None = Field(
        description="Share of the available indicators that are country-level values."
    )
    peer_median: float | None
    peers_scored: int
    gap: float | None = Field(description="Score minus peer median.")
    bottleneck: bool | None = Field(description="Null when not assessed (see note).")
    note: str | None
    drivers: list[str] = Field(description="Indicator codes more than the margin below peers.")
    country_level_only: bool = Field(
        description="The bottleneck rests only on country-level values."
    )
    subdimensions: list[SubdimensionScore]


class ScorecardPublic(BaseModel):
    """A region's Regional Ecosystem Scoreboard: six dimensions, peers and bottlenecks."""

    region: str
    name: str | None = None
    level: str = Field(description="NUTS level compared against, e.g. nuts2.")
    nuts_version: str = Field(
        description="NUTS version of the codes compared: the loaded cluster data set's."
    )
    method: str = Field(description="Normalisation: minmax (0-100) or zscore.")
    margin: float = Field(description="Bottleneck margin below the peer median.")
    compared: int = Field(description="Regions of the level with at least one value.")
    peers: list[PeerPublic]
    dimensions: list[DimensionScore]
    indicators: list[IndicatorScore]
    notes: list[str]


class ImportResult(BaseModel):
    """What an indicator import stored."""

    file: str
    source: str
    rows: int
    indicators: list[str]
    regions: int
    nuts_version: str = Field(description="NUTS version of the codes the scorecards compare.")
    not_compared: list[str] = Field(
        default_factory=list,
        description="Region codes stored but not compared: codes of another NUTS version or "
        "not in the loaded statistics (the regions of the cluster data set the scoreboard uses).",
    )
    skipped_aggregates: int = Field(
        0, description="Eurostat aggregate rows skipped (EU27_2020...)."
    )
    skipped_extra_regio: int = Field(0, description="Extra-Regio rows skipped (DEZZ...).")
    recoded: dict[str, int] = Field(
        default_factory=dict,
        description="Values stored under NUTS 2021 codes that the file gave under older codes, "
        "by how: recode (a code change, exact), split (part of an old region, its value kept: "
        "estimate), mean (several old regions, population-weighted: estimate).",
    )
    recoded_summary: str | None = Field(
        None, description="The recoded counts as one sentence, for pages and the CLI."
    )
