"""Establishment registers (firm-level data) to the region x industry cells the engine maps.

``layouts`` names the published layouts (INSEE's SIRENE ``StockEtablissement`` and a generic
one), ``bands`` the employee size bands and their midpoints, ``places`` the location-to-NUTS
correspondences Eurostat publishes, and ``cells`` the one query from establishments to cells,
with every row that cannot be placed counted by reason. See docs/methodology/registers.md.
"""
