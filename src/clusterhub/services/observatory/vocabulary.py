"""The closed word sets of the observatory's requests, in a module that imports nothing heavy.

The command line lists them in its help texts and checks what people type against them;
kept apart from the use cases (which import Polars and Plotly) so that ``clusterhub --help``
prints them without loading those.
"""

from __future__ import annotations

from typing import Literal, get_args

#: Kinds of input a cluster map is built from (``analytics.MapRequest``).
Source = Literal["eurostat-sbs", "cmp-states", "long"]
SOURCES: tuple[Source, ...] = get_args(Source)

#: What a choropleth can show, with its legend title (``maps``).
Measure = Literal["stars", "lq", "employment", "size_share", "growth", "wage_per_employee"]
MEASURE_LABELS: dict[str, str] = {
    "stars": "Stars",
    "lq": "Location quotient",
    "employment": "Employment",
    "size_share": "Share of cluster employment",
    "growth": "Annual growth",
    "wage_per_employee": "Wage per employee",
}

#: Region types in words: NUTS levels, and the U.S. Cluster Mapping Project's region types
#: (``region_type_t`` of its files).
REGION_TYPE_LABELS = {
    "nuts0": "NUTS 0 (country)",
    "nuts1": "NUTS 1",
    "nuts2": "NUTS 2",
    "nuts3": "NUTS 3",
    "state": "U.S. state",
    "county": "U.S. county",
    "msa": "U.S. metropolitan or micropolitan area",
    "economic": "U.S. economic area",
}

#: NUTS levels the SBS regional data is published at (``complexity.complexity_of_sbs``).
SBS_REGION_TYPES = ("nuts0", "nuts1", "nuts2")

#: Regions relatedness between clusters is measured on (``relatedness``), and what they are.
RelatedSource = Literal["cmp-states", "eurostat-sbs"]
RELATED_SOURCES: tuple[RelatedSource, ...] = get_args(RelatedSource)
REGION_LEVEL = {"cmp-states": "U.S. states", "eurostat-sbs": "EU NUTS 2 regions"}

#: Colours of star counts, shared by the maps' colour bar and the pages' star legend so the two
#: read alike. "No star" is a neutral grey, outside the blue ramp of earned stars, and a region
#: whose stars are withheld (mostly estimated) is sand: neither "no star" nor a rating.
NO_STAR_COLOUR = "#bdbdbd"  # darker than "no data" (#e6e6e6) of the maps
WITHHELD_COLOUR = "#f0d9a8"
#: Regions with a polygon but no data (lighter than "no star"; the printed maps' too).
NO_DATA_COLOUR = "#e6e6e6"
STAR_BLUES = ("#9ecae1", "#4292c6", "#08519c", "#08306b")


def star_colours(possible: int) -> list[str]:
    """The colour of 0..``possible`` stars (at least one starred level): grey, then blues."""
    levels = max(possible, 1)
    last = len(STAR_BLUES) - 1
    blues = [STAR_BLUES[round(i * last / (levels - 1)) if levels > 1 else 1] for i in range(levels)]
    return [NO_STAR_COLOUR, *blues]
