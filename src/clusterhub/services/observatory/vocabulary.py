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
