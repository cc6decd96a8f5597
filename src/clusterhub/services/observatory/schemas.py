"""Pydantic records of the observatory (data sets, measures, regions, clusters, diversification
paths), as its services return them and the API serves them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from clusterhub.services.observatory.terms import TERMS
from clusterhub.services.schemas import UtcDatetime


def _said(term: str) -> str:
    """A field's description: the definition the pages show for the same measure."""
    return TERMS[term].definition


class SeriesBreakPublic(BaseModel):
    """Where a data set's figures pass from one published data set to the next."""

    year: int = Field(description="The first year of the newer data set.")
    before: str = Field(description="The data set up to the year before, e.g. sbs_r_nuts06_r2.")
    after: str = Field(description="The data set from this year on, e.g. sbs_r_nuts2021.")


class DatasetPublic(BaseModel):
    """A loaded cluster map and the notes a reader must know to trust it."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    source: str
    notes: list[str]
    loaded_at: UtcDatetime = Field(description="When the data set was loaded (UTC, with offset).")
    years: list[int] = Field(
        default=[], description="The years with data, oldest first; pick one with `year`."
    )
    growth_years: int = Field(
        default=5, description="The period of the growth rates (CAGR), in years."
    )
    series_breaks: list[SeriesBreakPublic] = Field(
        default=[],
        description="Years where the figures pass from one published data set to the next: "
        "a growth rate over a period that spans one compares two data sets.",
    )


class GrowthPeriodPublic(BaseModel):
    """The growth rate of a table: its period, whether the data has it, and how to read it."""

    start: int = Field(description="The year growth is measured from.")
    end: int = Field(description="The year shown, which growth is measured to.")
    label: str = Field(description='The period as pages show it, e.g. "2015–2020 CAGR".')
    available: bool = Field(
        description="Whether the data set has the start year (else growth cannot be computed)."
    )
    series_break: SeriesBreakPublic | None = Field(
        default=None, description="The series break within the period, if any."
    )
    explanation: str = Field(description="How the growth rate of this period reads, in words.")


class MetricPublic(BaseModel):
    """Measures and ratings of one region x cluster x year."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    region_code: str
    region_name: str | None = None
    region_type: str
    cluster_code: str
    cluster_name: str | None = None
    year: int
    employment: float | None = Field(description=_said("employment"))
    establishments: float | None
    wages: float | None
    imputed_share: float | None = Field(
        description="Share of employment from filled (confidential or missing) industry cells."
    )
    apportioned_share: float | None = Field(
        default=None,
        description="Share of employment from industry codes shared among the cluster's "
        "classes by a key (e.g. a NACE division apportioned to its classes).",
    )
    estimated_share: float | None = Field(
        default=None,
        description="Share of employment that is an estimate (filled or apportioned; a cell "
        "both filled and apportioned counts once). Null for data loaded before it existed.",
    )
    size_share: float | None = Field(description=_said("size_share"))
    focus: float | None = Field(description=_said("focus"))
    lq: float | None = Field(description=_said("lq"))
    wage_per_employee: float | None = Field(description=_said("wage_per_employee"))
    growth: float | None = Field(description=_said("growth"))
    growth_from: int | None = Field(
        default=None,
        description="The year growth is measured from (to `year`); null where there is none.",
    )
    emp_rank: int | None
    lq_rank: int | None
    emp_percentile: float | None
    lq_percentile: float | None
    strong: bool | None = Field(description=_said("us_rule"))
    strong10: bool | None = Field(description="As strong, with the 90th LQ percentile.")
    significant: bool | None
    qualifying: bool | None
    stars: int = Field(description=_said("stars") + " 0 where withheld (see stars_withheld).")
    stars_possible: int = Field(description="Star criteria the data can assess for this cell.")
    stars_withheld: bool = Field(
        default=False,
        description="True where the cell earned stars but is mostly estimated (estimated_share "
        "above max_estimated, default 0.5): stars are then 0 unless estimated_stars is asked.",
    )
    mostly_estimated: bool = Field(
        default=False,
        description="True where estimated_share is above max_estimated (stars withheld "
        "unless estimated_stars is asked).",
    )
    star_flags: dict[str, bool | None]


class RegionSummary(BaseModel):
    """A region in lists and search results."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    code: str
    name: str | None
    region_type: str
    country: str | None
    total_employment: float | None
    has_geometry: bool
    formerly: str | None = Field(
        default=None,
        description="In search results: the former name and code that found the region when "
        'its own did not, e.g. "formerly Midi-Pyrénées (FR62)".',
    )
    towns: list[str] = Field(
        default=[],
        description="In search results: the towns (GeoNames, 50,000 people or more) whose "
        "name was typed and that lie in the region.",
    )


class RegionPublic(RegionSummary):
    """A region with its clusters (strongest first) in one year."""

    year: int
    years: list[int] = Field(default=[], description="The years the data set has.")
    growth_period: GrowthPeriodPublic | None = None
    clusters: list[MetricPublic]


class ClusterSummary(BaseModel):
    """A cluster category in lists and search results."""

    model_config = ConfigDict(from_attributes=True)

    dataset: str
    code: str
    name: str
    kind: str
    visible_share: float | None


class ClusterPublic(ClusterSummary):
    """A cluster with its regions (strongest first) in one year and the star distribution."""

    year: int
    years: list[int] = Field(default=[], description="The years the data set has.")
    growth_period: GrowthPeriodPublic | None = None
    region_type: str
    star_counts: dict[int, int]
    withheld_regions: int = Field(
        default=0,
        description="Regions counted under 0 stars because their earned stars are withheld "
        "(mostly estimated cells; see estimated_stars).",
    )
    regions: list[MetricPublic]


# --- directory --------------------------------------------------------------------------------


class NeighbourPublic(BaseModel):
    """A cluster the region is specialised in, close to the path's cluster."""

    cluster_code: str
    cluster_name: str | None
    proximity: float = Field(description="Proximity to the path's cluster (0-1).")


class RegionStrengthPublic(BaseModel):
    """A region elsewhere specialised in the path's cluster: a candidate partner."""

    code: str
    name: str | None
    country: str | None
    rca: float = Field(description="Its revealed comparative advantage (LQ) in the cluster.")
    employment: float | None


class ClusterPositionPublic(BaseModel):
    """Where the region stands in one cluster."""

    cluster_code: str
    cluster_name: str | None
    employment: float | None = Field(description="As published; null when suppressed.")
    lq: float | None = Field(description="The stored location quotient of the cluster map.")
    rca: float = Field(description="RCA among the clusters and regions compared.")
    density: float = Field(description="Relatedness density of the region for the cluster.")


class DiversificationPathPublic(ClusterPositionPublic):
    """A cluster the region is not specialised in, with what makes it reachable."""

    cog: float = Field(description="Complexity outlook gain of a specialisation in it.")
    pci: float | None = Field(description="Complexity of the cluster (null if undefined).")
    neighbours: list[NeighbourPublic] = Field(
        description="Up to 3 of the region's specialisations closest to the cluster."
    )
    strong_elsewhere: list[RegionStrengthPublic] = Field(
        description="Up to 5 regions in other countries (other states) specialised in it."
    )


class DiversificationPublic(BaseModel):
    """A region's diversification paths in one data set and year."""

    dataset: str
    region_code: str
    region_name: str | None
    region_type: str
    country: str | None
    year: int
    regions_compared: int = Field(description="Regions of the same type in the matrix.")
    clusters_compared: int
    eci: float | None = Field(description="Economic complexity of the region among them.")
    specialisations: list[ClusterPositionPublic] = Field(
        description="Clusters the region is specialised in (RCA >= 1), highest RCA first."
    )
    paths: list[DiversificationPathPublic] = Field(
        description="Clusters it is not specialised in, by density, then COG, then code."
    )
    notes: list[str]
