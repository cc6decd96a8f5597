"""Pydantic records of diversification paths, as services return them and the API serves them."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
