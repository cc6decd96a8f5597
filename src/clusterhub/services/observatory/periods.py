"""The period of a growth rate, said where the rate is read.

A growth rate without its period cannot be read: "+3 %" from 2015 to 2020 is another number
than from 2016 to 2021, and one that compares two published data sets (a series break) is
another kind of number. Every table with growth names its period from here, and a table
without growth says why not (one year only, or the start year missing) instead of a blank.
"""

from __future__ import annotations

from clusterhub.services.observatory.schemas import DatasetPublic, GrowthPeriodPublic
from clusterhub.stats.series import year_span


def growth_period(dataset: DatasetPublic, year: int) -> GrowthPeriodPublic:
    """The growth period that ends in ``year`` in ``dataset``, and how it reads."""
    years = dataset.growth_years
    start = year - years
    label = f"{start}–{year} CAGR"
    within = next((b for b in dataset.series_breaks if start < b.year <= year), None)
    available = start in dataset.years
    if not available:
        explanation = _unavailable(dataset, year, start)
    else:
        explanation = (
            f"Growth {label}: compound annual growth rate of employment from {start} to "
            f"{year}, (E{year} / E{start})^(1/{years}) − 1; none where the cluster had no "
            f"employment in the region in {start}."
        )
        if within is not None:
            explanation += (
                f" The period spans the series break of {within.year} ({within.before} up to "
                f"{within.year - 1}, {within.after} from {within.year}): both count persons "
                "employed in local units, under different regulations, so part of the change "
                "may come from the change of source."
            )
    return GrowthPeriodPublic(
        start=start,
        end=year,
        label=label,
        available=available,
        series_break=within,
        explanation=explanation,
    )


def _unavailable(dataset: DatasetPublic, year: int, start: int) -> str:
    """Why there is no growth rate for ``year``, and which years have one."""
    held = dataset.years
    if len(held) <= 1:
        return (
            f"Growth cannot be computed: it compares {year} with {start}, and "
            f"{dataset.title} has figures for {year_span(held) or year} only."
        )
    possible = [y for y in held if y - dataset.growth_years in held]
    pick = f" Pick {year_span(possible)} to see it." if possible else ""
    return (
        f"Growth cannot be computed for {year}: it compares with {start}, which "
        f"{dataset.title} does not have (its years: {year_span(held)}).{pick}"
    )
