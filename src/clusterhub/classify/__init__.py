"""Codes and taxonomies: NACE, NAICS, NUTS, the NAICS→NACE crosswalk and cluster definitions.

The bottom layer: it reads the files it is given (locating or downloading them is another
module's job) and turns them into small objects and Polars frames that the engine joins on.
"""

from clusterhub.classify.clusters import (
    KINDS,
    Classification,
    Taxonomy,
    aggregate_to_level,
    class_members,
    derive_nace,
    load_cmp_traded,
)
from clusterhub.classify.crosswalk import (
    FALLBACK_PREFIXES,
    MatchHow,
    NaceMatch,
    NaicsToNace,
    load_crosswalk,
)
from clusterhub.classify.nace import CLASS, DIVISION, GROUP, SECTION, NaceHierarchy, load_nace
from clusterhub.classify.naics import is_naics, naics_parent, naics_prefixes, normalise_naics
from clusterhub.classify.nuts_changes import read_change_table
from clusterhub.classify.nuts_versions import (
    CURRENT,
    Lineage,
    NutsHistory,
    RecodePlan,
    Successor,
    load_matrices,
)
from clusterhub.classify.regions import (
    EXTRA_REGIO,
    MALFORMED,
    RegionCatalogue,
    RegionMatch,
    is_extra_regio,
    iso_country,
    load_regions,
    nuts_level,
)
from clusterhub.classify.taxonomy_files import load_taxonomy_file
from clusterhub.classify.us_geography import US_SHAPES, us_geojson

__all__ = [
    "CLASS",
    "CURRENT",
    "DIVISION",
    "EXTRA_REGIO",
    "FALLBACK_PREFIXES",
    "GROUP",
    "KINDS",
    "MALFORMED",
    "SECTION",
    "US_SHAPES",
    "Classification",
    "Lineage",
    "MatchHow",
    "NaceHierarchy",
    "NaceMatch",
    "NaicsToNace",
    "NutsHistory",
    "RecodePlan",
    "RegionCatalogue",
    "RegionMatch",
    "Successor",
    "Taxonomy",
    "aggregate_to_level",
    "class_members",
    "derive_nace",
    "is_extra_regio",
    "is_naics",
    "iso_country",
    "load_cmp_traded",
    "load_crosswalk",
    "load_matrices",
    "load_nace",
    "load_regions",
    "load_taxonomy_file",
    "naics_parent",
    "naics_prefixes",
    "normalise_naics",
    "nuts_level",
    "read_change_table",
    "us_geojson",
]
