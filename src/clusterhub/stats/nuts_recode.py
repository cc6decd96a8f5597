"""Recode industry cells from an older NUTS version to the current one, flagging each cell.

Statistics lag behind the NUTS revisions (Eurostat's 2015 business statistics use NUTS 2013
codes, the polygons and names are NUTS 2021), so a cell is carried to the region it lies in now:

* ``recode``: the region only changed its code (FR62 → FRJ2), the value is kept exactly;
* ``merge``: the new region is the union of whole old regions, the values are summed exactly;
* ``split:<weight>``: part of an old region went to the new one; that part gets the share of the
  old value given by the weight (population in 2018 by default, from the JRC conversion
  matrices) and is an estimate, counted in ``estimated_employment``.

A new region made of a whole old region plus a piece of another is ``split`` too, with only
the piece counted as estimated. The function is pure: the conversion (which old region goes
where, with which share) is an argument, built by ``classify.nuts_versions``. See
``docs/methodology/nuts-recoding.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.stats.schema import INDUSTRY_CELLS, conform

#: The columns a conversion frame must have: one row per piece of an old region.
CONVERSION: dict[str, type[pl.DataType] | pl.DataType] = {
    "from_code": pl.String,
    "to_code": pl.String,
    "share": pl.Float64,
}
#: Measures that are sums over a region (so a piece of a region carries its share of them).
ADDITIVE = ("employment", "establishments", "wages")
#: A share this close to 1 is a whole region (the matrices' shares are sums of floats).
_WHOLE = 1 - 1e-9


@dataclass(frozen=True)
class RecodeReport:
    """What the recode did, per new region: ``methods`` maps new code → method, ``sources``
    new code → the old codes it was made from."""

    methods: dict[str, str]
    sources: dict[str, tuple[str, ...]]

    def count(self, method_prefix: str) -> int:
        """Number of new regions whose method starts with ``method_prefix``."""
        return sum(1 for m in self.methods.values() if m.startswith(method_prefix))


def check_conversion(conversion: pl.DataFrame) -> pl.DataFrame:
    """The conversion with its columns typed, after checking that every old region's shares
    sum to 1 (a split neither creates nor loses employment).

    Raises
    ------
    InvalidInput
        If a column is missing, a share is not in (0, 1], or an old region's shares do not
        sum to 1 (within 1e-6).
    """
    missing = [c for c in CONVERSION if c not in conversion.columns]
    if missing:
        raise InvalidInput.single(
            f"a NUTS conversion needs columns {', '.join(CONVERSION)}; missing {', '.join(missing)}"
        )
    frame = conversion.select(pl.col(c).cast(t) for c, t in CONVERSION.items())
    bad = frame.filter((pl.col("share") <= 0) | (pl.col("share") > 1) | pl.col("share").is_null())
    if not bad.is_empty():
        code, share = bad.row(0)[0], bad.row(0)[2]
        raise InvalidInput.single(
            "expected a share above 0 and at most 1", field="share", value=f"{code}: {share}"
        )
    sums = frame.group_by("from_code").agg(pl.col("share").sum())
    off = sums.filter((pl.col("share") - 1).abs() > 1e-6)
    if not off.is_empty():
        code, total = off.row(0)
        raise InvalidInput.single(
            "the shares of an old region must sum to 1", field="share", value=f"{code}: {total}"
        )
    return frame


def recode_cells(
    cells: pl.DataFrame, conversion: pl.DataFrame, *, weight: str = "pop18"
) -> tuple[pl.DataFrame, RecodeReport]:
    """Carry cells of old region codes to the current ones; other cells pass unchanged.

    Parameters
    ----------
    cells
        ``INDUSTRY_CELLS`` (missing cells already filled on the old version's hierarchy, whose
        parent links the recode would break).
    conversion
        ``from_code, to_code, share`` rows for the old regions to recode (an unchanged region
        needs no row). A new region that also exists in ``cells`` under its own code and gets
        pieces from elsewhere must list itself (``NL31 → NL31, 1``) so both are summed.
    weight
        The name of the weight the shares come from, recorded in the ``split:`` flag.

    Returns
    -------
    tuple[pl.DataFrame, RecodeReport]
        ``INDUSTRY_CELLS``: one row per new region x industry x year. A sum is null when any of
        its parts is null (unknown is not zero). ``imputed`` and ``imputed_key`` keep the fill
        method and key of the first filled part; ``estimated_employment`` is the employment of
        split pieces plus that of filled parts (null for cells the recode did not touch).
    """
    frame = conform(cells, INDUSTRY_CELLS, what="industry cells")
    conv = check_conversion(conversion)
    moved = frame.join(conv, left_on="region_code", right_on="from_code", how="inner")
    kept = frame.join(conv, left_on="region_code", right_on="from_code", how="anti")
    clash = set(kept.get_column("region_code").unique().to_list()) & set(
        conv.get_column("to_code").unique().to_list()
    )
    if clash:
        raise InvalidInput.single(
            "a region of the data is also the target of a recode without a conversion row of "
            "its own; list it as its own source so its values are summed, not duplicated",
            field="to_code",
            value=", ".join(sorted(clash)[:10]),
        )
    methods, sources = _methods(conv, weight)
    whole = pl.col("share") >= _WHOLE
    estimated = (
        pl.when(pl.col("employment").is_null())
        .then(None)
        .when(~whole | pl.col("imputed").is_not_null())
        .then(pl.col("employment"))
        .otherwise(0.0)
    )
    recoded = (
        moved.with_columns(pl.col(m) * pl.col("share") for m in ADDITIVE)
        .with_columns(_estimated=estimated)
        .group_by(pl.col("to_code").alias("region_code"), "industry_code", "year")
        .agg(
            *(_strict_sum(m) for m in (*ADDITIVE, "_estimated")),
            pl.col("size_class").drop_nulls().first(),
            pl.col("imputed").drop_nulls().first(),
            pl.col("imputed_key").drop_nulls().first(),
        )
        .with_columns(
            nuts_recode=pl.col("region_code").replace_strict(methods, return_dtype=pl.String),
            estimated_employment=pl.col("_estimated"),
        )
    )
    out = pl.concat(
        [
            conform(kept, INDUSTRY_CELLS, what="industry cells"),
            conform(recoded, INDUSTRY_CELLS, what="recoded cells"),
        ]
    ).sort("region_code", "industry_code", "year")
    return out, RecodeReport(methods, sources)


def _strict_sum(column: str) -> pl.Expr:
    """Sum of the parts, null when any part is null."""
    return pl.when(pl.col(column).null_count() == 0).then(pl.col(column).sum()).alias(column)


def _methods(conv: pl.DataFrame, weight: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Method of each new region: recode (one whole old region under a new code), merge (whole
    old regions), split:<weight> (at least one piece of an old region), or unchanged."""
    methods: dict[str, str] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for to_code, group in conv.group_by("to_code", maintain_order=True):
        olds = tuple(group.get_column("from_code").to_list())
        shares = group.get_column("share").to_list()
        code = str(to_code[0])
        sources[code] = olds
        if min(shares) < _WHOLE:
            methods[code] = f"split:{weight}"
        elif len(olds) > 1:
            methods[code] = "merge"
        else:
            methods[code] = "unchanged" if olds[0] == code else "recode"
    return methods, sources


def prefer(cells: pl.DataFrame, better: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``cells`` with each row replaced by the row of ``better`` with the same key, where that
    one has a value (a cell ``better`` cannot give keeps its own value).

    The recode uses it to put exact sums in place of population-share estimates: a NUTS 1
    region rebuilt from pieces of old NUTS 1 regions can often be summed exactly from the
    whole old NUTS 2 regions it consists of (FRJ = FR62 + FR81).

    Returns
    -------
    tuple[pl.DataFrame, int]
        The cells, and how many were replaced.
    """
    frame = conform(cells, INDUSTRY_CELLS, what="industry cells")
    keys = ["region_code", "industry_code", "year"]
    known = conform(better, INDUSTRY_CELLS, what="better cells").filter(
        pl.col("employment").is_not_null()
    )
    rest = frame.join(known.select(keys), on=keys, how="anti")
    return pl.concat([rest, known]).sort(keys), frame.height - rest.height


#: What an indicator value recoded from an older NUTS version is, by kind (the start of its
#: ``nuts_recode`` text, counted on the import result).
INDICATOR_RECODES = ("recode", "split", "mean")


def recode_indicator_values(values: pl.DataFrame, pieces: pl.DataFrame) -> pl.DataFrame:
    """Carry indicator values under older NUTS codes to NUTS 2021, saying how in a new
    ``nuts_recode`` column (null for values left as they were).

    Scoreboard indicators are intensive (rates, shares, indices, per-inhabitant values), so a
    value describes every part of its region alike:

    * ``recode of FR62 (NUTS 2013)``: one whole old region is the new one; the value is exact;
    * ``split of PL12 (NUTS 2013): value kept, estimate``: the new region is part of one old
      region and takes its value unchanged;
    * ``mean of FI13, FI1A (NUTS 2006) by population: estimate``: the new region is made of
      (parts of) several old ones; their values are averaged weighted by the population of the
      piece each gave (``weight``), over those of the old regions the file has values for
      ("1 of 2" said when not all).

    A value the file also gives under the new code itself wins over a recoded one.

    Parameters
    ----------
    values
        ``stats.indicator_sources.INDICATOR_VALUES`` rows.
    pieces
        ``from_code, version, to_code, weight`` (``classify.NutsHistory.pieces_into_current``):
        every piece of each new region involved, also of old regions the file lacks.
    """
    feeders: dict[str, list[str]] = {}
    targets: dict[str, int] = {}
    for from_code, _version, to_code, _weight in pieces.iter_rows():
        feeders.setdefault(to_code, []).append(from_code)
        targets[from_code] = targets.get(from_code, 0) + 1
    old = pl.col("region_code").is_in(list(targets)) & ~pl.col("country_level")
    kept = values.filter(~old).with_columns(nuts_recode=pl.lit(None, dtype=pl.String))
    joined = values.filter(old).join(pieces, left_on="region_code", right_on="from_code")
    sums: dict[tuple[str, str, int], list[tuple[str, str, float, float]]] = {}
    for code, indicator, year, value, _, version, to_code, weight in joined.iter_rows():
        sums.setdefault((to_code, indicator, year), []).append((code, version, value, weight))
    direct = set(kept.select("region_code", "indicator", "year").iter_rows())
    rows = []
    for (to_code, indicator, year), parts in sorted(sums.items()):
        if (to_code, indicator, year) in direct:
            continue
        total = sum(w for *_, w in parts)
        value = (
            sum(v * w for _, _, v, w in parts) / total
            if total > 0
            else sum(v for _, _, v, _ in parts) / len(parts)
        )
        rows.append(
            (to_code, indicator, year, value, False, _method(parts, feeders[to_code], targets))
        )
    recoded = pl.DataFrame(rows, schema=kept.schema, orient="row")
    return pl.concat([kept, recoded])


def _method(
    parts: list[tuple[str, str, float, float]], feeders: list[str], targets: dict[str, int]
) -> str:
    """The ``nuts_recode`` text of one recoded value (see ``recode_indicator_values``)."""
    codes = sorted({code for code, *_ in parts})
    version = parts[0][1]
    if len(feeders) == 1:
        if targets[codes[0]] == 1:
            return f"recode of {codes[0]} (NUTS {version})"
        return f"split of {codes[0]} (NUTS {version}): value kept, estimate"
    some = f"{len(codes)} of {len(feeders)}: " if len(codes) < len(feeders) else ""
    return f"mean of {some}{', '.join(codes)} (NUTS {version}) by population: estimate"
