"""Every year of Eurostat's regional business statistics, as one series.

The European map's default source is two Eurostat data sets, read and joined here
(``stats.series``):

* ``sbs_r_nuts06_r2`` (2008-2020): data set ``eurostat-sbs``; the official download is the
  whole bulk TSV, every year; a mirror holds either that file or a one-year extract (2015);
* ``sbs_r_nuts2021`` (from 2021): ``eurostat:sbs_r_nuts2021``, the same persons employed in
  local units (``EMP_LOC_NR``) under the European Business Statistics Regulation.

Both come through ``clusterhub.datasets.fetch`` with its usual rules (mirror, else cache,
else the official download). The newer data set is optional: when it cannot be had (a
mirror without it, no network) the map is built from the older one and its notes say what is
missing and the command that fetches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clusterhub.errors import DataSourceError
from clusterhub.services.missing_sources import FETCH_COMMAND
from clusterhub.stats.series import JoinedSeries, SeriesPart, join_series
from clusterhub.stats.sources import ReadReport, read_eurostat_tsv


@dataclass(frozen=True)
class SeriesSource:
    """One data set of the series: where it comes from and how its employment is read."""

    name: str
    dataset: str
    #: The first year it publishes when it continues an older data set (said when missing).
    continues_from: int | None = None
    #: The reader of its file, by shape when None (extract CSV or bulk TSV of the old series).
    reader: Callable[[Path], tuple[pl.DataFrame, ReadReport]] | None = None


def _read_ebs(path: Path) -> tuple[pl.DataFrame, ReadReport]:
    """``sbs_r_nuts2021``: persons employed in local units, indicator dimension indic_sbs."""
    return read_eurostat_tsv(path, indicator=EBS_EMPLOYMENT, dimension="indic_sbs")


#: Persons employed in local units, the regional employment of sbs_r_nuts2021 (V16110 of the
#: older data set counted the persons employed of the local units in a region too).
EBS_EMPLOYMENT = "EMP_LOC_NR"
#: The series, oldest first: the first is required, the others continue it when available.
SBS_SERIES = (
    SeriesSource("sbs_r_nuts06_r2", "eurostat-sbs"),
    SeriesSource("sbs_r_nuts2021", "eurostat:sbs_r_nuts2021", 2021, _read_ebs),
)


@dataclass(frozen=True, eq=False)
class SeriesRead:
    """The joined series, the files it was read from (oldest first) and the notes on
    reading each (one per file, and one per data set that could not be had)."""

    series: JoinedSeries
    paths: tuple[Path, ...]
    read_notes: tuple[str, ...]


def read_sbs_series(
    fetch: Callable[[str], Path],
    read_by_shape: Callable[[Path], tuple[pl.DataFrame, ReadReport]],
    describe: Callable[[ReadReport], str],
    sources: tuple[SeriesSource, ...] = SBS_SERIES,
) -> SeriesRead:
    """Fetch and read every data set of ``sources`` that can be had, and join them.

    Parameters
    ----------
    fetch
        Local path of a data set key (``ReferenceData.fetch``); raises ``DataSourceError``
        when it cannot be had.
    read_by_shape
        The reader of a source without its own (extract CSV, bulk TSV or SDMX-CSV).
    describe
        A read report as the note a map carries.

    Raises
    ------
    DataSourceError
        If the first data set cannot be had (the map has nothing to show).
    """
    parts, paths, notes = [], [], []
    for index, source in enumerate(sources):
        try:
            path = fetch(source.dataset)
        except DataSourceError:
            if index == 0:
                raise
            # Said without the error's paths: the note is shown to readers of the platform.
            notes.append(
                f"{source.name} (the series from {source.continues_from}) not available (not "
                "in the data mirror, or not reachable), so the years it publishes are not "
                f"shown; `{FETCH_COMMAND} {source.dataset}` fetches it"
            )
            continue
        cells, report = (source.reader or read_by_shape)(path)
        parts.append(SeriesPart(source.name, cells))
        paths.append(path)
        notes.append(describe(report))
    return SeriesRead(join_series(parts), tuple(paths), tuple(notes))
