"""The scorecard as a flat table: the rows of the CSV / XLSX downloads and of
``clusterhub scoreboard --csv``."""

from __future__ import annotations

from clusterhub.services.scoreboard.schemas import ScorecardPublic

#: Columns of the scorecard table. ``method`` is the normalisation (minmax / zscore) of every
#: score; ``unit`` is the indicator's unit (empty on dimension rows); ``country_level_share``
#: is the share of the row's indicators that are country-level values (1 or 0 on an
#: indicator row), ``country_level`` whether the row rests on country-level values only.
SCORECARD_COLUMNS = [
    "region", "kind", "code", "name", "dimension", "year", "value", "unit", "method", "score",
    "peer_median", "country_level", "country_level_share", "bottleneck", "drivers", "note",
]  # fmt: skip


def scorecard_rows(card: ScorecardPublic) -> list[dict[str, object]]:
    """The scorecard flattened: one row per dimension, then one per indicator."""
    rows: list[dict[str, object]] = [
        {
            "region": card.region, "kind": "dimension", "code": d.code, "name": d.name,
            "dimension": d.code, "year": None, "value": None, "unit": None,
            "method": card.method, "score": d.score, "peer_median": d.peer_median,
            "country_level": None if d.country_level_share is None
            else d.country_level_share == 1.0,
            "country_level_share": d.country_level_share, "bottleneck": d.bottleneck,
            "drivers": " ".join(d.drivers),
            "note": f"{d.note}; country-level values only" if d.country_level_only else d.note,
        }
        for d in card.dimensions
    ]  # fmt: skip
    rows += [
        {
            "region": card.region, "kind": "indicator", "code": i.code, "name": i.name,
            "dimension": i.dimension, "year": i.year, "value": i.value, "unit": i.unit,
            "method": card.method, "score": i.score, "peer_median": i.peer_median_score,
            "country_level": i.country_level, "country_level_share": float(i.country_level),
            "bottleneck": None, "drivers": "", "note": i.note,
        }
        for i in card.indicators
    ]  # fmt: skip
    return rows
