"""Missing and confidential cells: the two published ways of filling them, always flagged.

Statistics offices suppress small or confidential cells, and a cluster map built on the
remaining cells under-counts exactly the small regions and industries. Both observatories
filled them, differently:

* European Cluster Observatory (``parent-residual``): take the nearest available parent,
  subtract the known children, split the remainder equally among the missing children.
  clusterhub splits it in proportion to a reference structure instead (the same industries
  in the country, then in all countries of the data set; equal shares only where no
  reference exists), which the masking benchmark measured to be more accurate
  (``benchmarks/bench_imputation.py``); ``split="equal"`` keeps the published rule.
* U.S. Cluster Mapping Project (``size-class``): a suppressed County Business Patterns
  cell gets the midpoint of its employment size class.

Every filled cell carries its method in ``imputed`` and the key of its split in
``imputed_key`` (``country``, ``all-countries``, ``region-size`` or ``equal``), so
results can always say how much of a number is measured, how much is filled, and how.
See ``docs/methodology/missing-cells.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import polars as pl

from clusterhub.errors import MAX_PROBLEMS, InvalidInput, Problem
from clusterhub.stats.vocabulary import FillMethod

#: A hierarchy: a child -> parent mapping, a function giving a code's parent (None at the
#: top), or a frame whose first two columns are child and parent.
ParentOf = Mapping[str, str] | Callable[[str], str | None] | pl.DataFrame
Dimension = Literal["industry", "region"]
#: How a parent's residual is shared among its missing children (see ``fill_parent_residual``).
Split = Literal["proportional", "equal"]
#: A region's reference region for the proportional split (its country), None at the top.
ReferenceOf = Callable[[str], str | None]

#: Midpoints of the County Business Patterns employment size classes (U.S. CMP).
SIZE_CLASS_MIDPOINTS: Mapping[str, float] = {
    "A": 10.0,
    "B": 60.0,
    "C": 175.0,
    "E": 375.0,
    "F": 750.0,
    "G": 1750.0,
    "H": 3750.0,
    "I": 7500.0,
    "J": 17500.0,
    "K": 37500.0,
    "L": 75000.0,
    "M": 100000.0,
}

_CODE_COLUMN = {"industry": "industry_code", "region": "region_code"}
_KEYS = ("region_code", "industry_code", "year")
_MAX_DEPTH = 12


@dataclass(frozen=True)
class FillReport:
    """What a fill did: cells filled per pass, clamped remainders, cells still missing.

    ``filled`` is keyed by pass: ``"industry"`` and ``"region"`` for parent-residual,
    ``"size-class"`` for the midpoint method. ``skipped`` counts, per pass, the missing
    cells of codes that have no value at all in their year (left alone, see
    ``fill_parent_residual``). ``clamped`` counts parent x children groups whose known
    children already exceeded the parent (their missing children got 0).
    """

    method: str
    filled: Mapping[str, int] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)
    clamped: int = 0
    still_missing: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def total_filled(self) -> int:
        """Cells filled by all passes together."""
        return sum(self.filled.values())

    def to_json(self) -> str:
        """The report as JSON (it travels beside a year's cells from a Spark task)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FillReport:
        """A report written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(**{**data, "warnings": tuple(data["warnings"])})


def merge_reports(reports: Sequence[FillReport]) -> FillReport:
    """One report for fills run year by year, as if run at once: counts added, and warnings
    that open with a count ("27 region groups had ...") added up; others kept once each."""
    filled: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for report in reports:
        filled.update(report.filled)
        skipped.update(report.skipped)
    return FillReport(
        method=reports[0].method if reports else "none",
        filled=dict(filled),
        skipped=dict(skipped),
        clamped=sum(r.clamped for r in reports),
        still_missing=sum(r.still_missing for r in reports),
        warnings=_merged_warnings([w for r in reports for w in r.warnings]),
    )


def _merged_warnings(warnings: list[str]) -> tuple[str, ...]:
    counts: dict[str, int | None] = {}
    for warning in warnings:
        number, _, rest = warning.partition(" ")
        if number.isdigit():
            counts[rest] = (counts.get(rest) or 0) + int(number)
        else:
            counts.setdefault(warning, None)
    return tuple(text if n is None else f"{n} {text}" for text, n in counts.items())


def nuts_parent(code: str) -> str | None:
    """Return the NUTS parent of a region code: the code minus its last character.

    Countries (two letters) have no parent. This holds for every NUTS version because
    the codes are built by appending one character per level (``DE`` > ``DE2`` > ``DE21``).
    """
    return code[:-1] if len(code) > 2 else None


def nuts_country(code: str) -> str | None:
    """The country of a NUTS region (its first two letters); countries have none."""
    return code[:2] if len(code) > 2 else None


#: The reference keys of the proportional split, in the order they are tried.
INDUSTRY_KEYS = ("country", "all-countries")
REGION_KEYS = ("region-size",)


def fill_parent_residual(
    cells: pl.DataFrame,
    parent_of: ParentOf,
    *,
    dimension: Dimension = "industry",
    skip_empty: bool = True,
    split: Split = "proportional",
    reference_of: ReferenceOf | None = nuts_country,
    industry_parent: ParentOf | None = None,
) -> tuple[pl.DataFrame, FillReport]:
    """Fill missing employment from the parent's value minus the known children.

    For each parent and each combination of the other key columns, the remainder
    ``parent - sum(known children)`` is shared among the missing children; a negative
    remainder is clamped to 0 and counted. With ``split="proportional"`` each missing child
    gets the remainder in proportion to a *reported* reference value, the first key that
    exists (is reported and positive in sum) for all missing children of the group:

    * industry pass: the same industry in the region's reference region (``reference_of``,
      its country), then the sum of the same industry over all top-level regions (the
      countries of the data set);
    * region pass: the child region's size, its reported employment summed over the top
      codes of ``industry_parent`` (the NACE sections).

    Without any such key the remainder is split equally (the published rule, also chosen
    with ``split="equal"``). A filled cell's key is recorded in ``imputed_key``. The shares
    are non-negative and sum to the remainder, so a filled child never exceeds its parent.

    Levels are processed top-down so that a parent filled at one level feeds its children at
    the next. A code's parent is its nearest ancestor present in ``cells``; the remainder
    is split only among the child rows present in ``cells`` (a data set listing four of a
    division's groups shares the residual among those four).

    With ``skip_empty`` a code that has no value at all in a year (a region code listed
    without any data, such as a NUTS code replaced by a later NUTS version, or an
    extra-regio ``ZZ`` code) is not a child: it is neither known nor missing, never filled,
    and its cells are counted in ``FillReport.skipped``. Without this rule the residual of a
    country would be shared between its old and its new regions. It judges the data set as
    a whole: in a frame of one region every missing industry looks empty, so turn it off.

    Parameters
    ----------
    cells
        ``INDUSTRY_CELLS``-shaped frame (needs region_code, industry_code, year,
        employment; unique per key).
    parent_of
        The hierarchy of ``dimension``: a child -> parent mapping, a function, or a frame
        of (child, parent) columns.
    dimension
        ``"industry"`` (children are industry codes) or ``"region"``.
    skip_empty
        Leave out codes without any value in the year (see above).
    split
        ``"proportional"`` (default) or ``"equal"``.
    reference_of
        The reference region of a region code for the industry pass (NUTS: its country).
    industry_parent
        The industry hierarchy, for the region pass's key (the sections).

    Returns
    -------
    tuple[pl.DataFrame, FillReport]
        The cells with filled employment flagged ``imputed="parent-residual"`` and their
        ``imputed_key``, and counts.

    Raises
    ------
    InvalidInput
        Missing columns, duplicate keys, or a hierarchy with a cycle.
    """
    frame = _prepared(cells)
    column = _CODE_COLUMN[dimension]
    others = [k for k in _KEYS if k != column]
    parents = _present_parents(frame[column].unique().to_list(), parent_of)
    depths = _depths(parents)
    empty = _empty_codes(frame, column) if skip_empty else frame.clear().select(column, "year")
    if split == "equal":
        keys: tuple[str, ...] = ()
    elif dimension == "industry":
        keys = INDUSTRY_KEYS if reference_of is not None else ()
    else:
        keys = REGION_KEYS if industry_parent is not None else ()
    filled = clamped = 0
    for level in range(1, max(depths.values(), default=0) + 1):
        links = {child: parents[child] for child, d in depths.items() if d == level}
        references = _references(frame, keys, reference_of, industry_parent)
        frame, done, negative = _fill_level(frame, column, others, links, empty, references)
        filled, clamped = filled + done, clamped + negative
    skipped = frame.join(empty, on=[column, "year"], how="semi").height
    warnings = [
        f"{clamped} {dimension} groups had known children above their parent; their missing "
        "children were set to 0",
        f"{skipped} missing cells belong to {dimension} codes without any value in their year "
        "(e.g. codes of an older classification, extra-regio codes); left missing",
    ]
    report = FillReport(
        method="parent-residual",
        filled={dimension: filled},
        skipped={dimension: skipped},
        clamped=clamped,
        still_missing=frame["employment"].null_count(),
        warnings=tuple(w for w, count in zip(warnings, (clamped, skipped), strict=True) if count),
    )
    return frame, report


def fill_size_class(cells: pl.DataFrame) -> tuple[pl.DataFrame, FillReport]:
    """Fill suppressed employment with the midpoint of its County Business Patterns size class.

    Cells with employment keep it; cells without employment and without a size class stay
    missing. Filled cells are flagged ``imputed="size-class"``.

    Parameters
    ----------
    cells
        ``INDUSTRY_CELLS``-shaped frame with a ``size_class`` column (letters A-C, E-M).

    Returns
    -------
    tuple[pl.DataFrame, FillReport]
        The filled cells and counts.

    Raises
    ------
    InvalidInput
        A size class letter without a published midpoint (naming the cell and letter).
    """
    frame = _prepared(cells)
    size = pl.col("size_class")
    unknown = frame.filter(size.is_not_null() & ~size.is_in(list(SIZE_CLASS_MIDPOINTS)))
    if unknown.height:
        letters = ", ".join(SIZE_CLASS_MIDPOINTS)
        problems = [
            Problem(
                f"unknown size class for {r} x {i} x {y}; expected one of {letters}",
                None,
                None,
                "size_class",
                s,
            )
            for r, i, y, s in unknown.select(*_KEYS, "size_class").head(MAX_PROBLEMS).iter_rows()
        ]
        raise InvalidInput(
            problems,
            summary=f"{unknown.height} cell(s) with unknown size class",
            total=unknown.height,
        )
    use = pl.col("employment").is_null() & size.is_not_null()
    filled = frame.filter(use).height
    frame = frame.with_columns(
        employment=pl.when(use)
        .then(size.replace_strict(SIZE_CLASS_MIDPOINTS, default=None, return_dtype=pl.Float64))
        .otherwise(pl.col("employment")),
        imputed=pl.when(use).then(pl.lit("size-class")).otherwise(pl.col("imputed")),
    )
    report = FillReport(
        method="size-class",
        filled={"size-class": filled},
        still_missing=frame["employment"].null_count(),
    )
    return frame, report


def fill_missing(
    cells: pl.DataFrame,
    method: FillMethod,
    *,
    industry_parent: ParentOf | None = None,
    region_parent: ParentOf = nuts_parent,
    skip_empty: bool = True,
    split: Split = "proportional",
    reference_of: ReferenceOf | None = nuts_country,
) -> tuple[pl.DataFrame, FillReport]:
    """Fill missing cells by one of the published methods, or leave them (``"none"``).

    ``"parent-residual"`` runs along the industry hierarchy first (when ``industry_parent``
    is given; this module does not know NACE, so the caller passes it), then along the
    region hierarchy for the cells still missing; ``split`` and ``reference_of`` say how a
    residual is shared (see ``fill_parent_residual``).

    Parameters
    ----------
    cells
        ``INDUSTRY_CELLS``-shaped frame.
    method
        ``"parent-residual"`` (European Cluster Observatory), ``"size-class"`` (U.S.
        Cluster Mapping Project) or ``"none"``.
    industry_parent
        Industry hierarchy for the first parent-residual pass (child -> parent).
    region_parent
        Region hierarchy for the second pass; NUTS by default.
    skip_empty
        Leave codes without any value in a year alone (see ``fill_parent_residual``).
    split
        ``"proportional"`` to a reference structure (default) or ``"equal"`` (published).
    reference_of
        A region's reference region for the industry pass (NUTS: its country).

    Returns
    -------
    tuple[pl.DataFrame, FillReport]
        The cells and a report with the cells filled per pass and those still missing.

    Raises
    ------
    InvalidInput
        An unknown method, or what the chosen method raises.
    """
    if method == "size-class":
        return fill_size_class(cells)
    if method == "none":
        frame = _prepared(cells)
        return frame, FillReport("none", still_missing=frame["employment"].null_count())
    if method != "parent-residual":
        raise InvalidInput.single(
            "unknown fill method; expected parent-residual, size-class or none",
            field="method",
            value=str(method),
        )
    frame, clamped = cells, 0
    filled: dict[str, int] = {}
    skipped: dict[str, int] = {}
    warnings: list[str] = []
    if industry_parent is None:
        warnings.append("industry pass skipped: no industry hierarchy was given")
    passes: list[tuple[Dimension, ParentOf]] = [("region", region_parent)]
    if industry_parent is not None:
        passes.insert(0, ("industry", industry_parent))
    for dimension, parent_of in passes:
        frame, report = fill_parent_residual(
            frame,
            parent_of,
            dimension=dimension,
            skip_empty=skip_empty,
            split=split,
            reference_of=reference_of,
            industry_parent=industry_parent,
        )
        filled.update(report.filled)
        skipped.update(report.skipped)
        clamped += report.clamped
        warnings.extend(report.warnings)
    return frame, FillReport(
        method="parent-residual",
        filled=filled,
        skipped=skipped,
        clamped=clamped,
        still_missing=frame["employment"].null_count(),
        warnings=tuple(warnings),
    )


def _prepared(cells: pl.DataFrame) -> pl.DataFrame:
    """Check the key columns and their uniqueness; add ``imputed``, ``imputed_key`` and
    ``size_class`` if absent."""
    missing = [c for c in (*_KEYS, "employment") if c not in cells.columns]
    if missing:
        raise InvalidInput.single(
            f"cells lack column(s) {', '.join(missing)}", field=", ".join(missing)
        )
    repeated = cells.filter(cells.select(_KEYS).is_duplicated())
    if repeated.height:
        problems = [
            Problem(
                "duplicate cell; expected one row per region x industry x year",
                None,
                None,
                "region_code, industry_code, year",
                f"{r} x {i} x {y}",
            )
            for r, i, y in repeated.select(_KEYS).unique(maintain_order=True).head(100).iter_rows()
        ]
        raise InvalidInput(problems, summary=f"{repeated.height} duplicate cells")
    extra = [
        pl.lit(None, pl.String).alias(c)
        for c in ("imputed", "imputed_key", "size_class")
        if c not in cells.columns
    ]
    return cells.with_columns(extra) if extra else cells


def _empty_codes(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """The (code, year) pairs of ``column`` that have no value in any row."""
    has_value = pl.col("employment").is_not_null().any().alias("_has_value")
    listed = frame.group_by(column, "year").agg(has_value)
    return listed.filter(~pl.col("_has_value")).drop("_has_value")


def _present_parents(codes: list[str], parent_of: ParentOf) -> dict[str, str]:
    """Map each code to its nearest ancestor that is present among ``codes``."""
    if isinstance(parent_of, pl.DataFrame):
        parent_of = dict(parent_of.select(parent_of.columns[:2]).drop_nulls().iter_rows())
    lookup = parent_of.get if isinstance(parent_of, Mapping) else parent_of
    present = set(codes)
    parents: dict[str, str] = {}
    for code in codes:
        parent, steps = lookup(code), 0
        while parent is not None and parent not in present:
            parent, steps = lookup(parent), steps + 1
            if steps > _MAX_DEPTH:
                raise InvalidInput.single(
                    "the hierarchy does not end; expected a tree", field="parent", value=code
                )
        if parent is not None:
            parents[code] = parent
    return parents


def _depths(parents: Mapping[str, str]) -> dict[str, int]:
    """Depth of every child code below its root (roots are depth 0 and not listed)."""
    depths: dict[str, int] = {}
    for code in parents:
        chain: list[str] = []
        current = code
        while current in parents and current not in depths:
            if current in chain or len(chain) > _MAX_DEPTH:
                raise InvalidInput.single(
                    "the hierarchy has a cycle; expected a tree", field="parent", value=current
                )
            chain.append(current)
            current = parents[current]
        base = depths.get(current, 0)
        for offset, child in enumerate(reversed(chain), start=1):
            depths[child] = base + offset
    return depths


def _references(
    frame: pl.DataFrame,
    keys: tuple[str, ...],
    reference_of: ReferenceOf | None,
    industry_parent: ParentOf | None,
) -> pl.DataFrame | None:
    """Per cell, the reported reference value of each key (``_ref_0`` ..), or None.

    Only reported values are references: a value filled earlier is itself an estimate.
    """
    if not keys:
        return None
    reported = frame.filter(pl.col("employment").is_not_null() & pl.col("imputed").is_null())
    value = pl.col("employment")
    cells = frame.select(_KEYS)
    if keys == INDUSTRY_KEYS and reference_of is not None:
        codes = cells.get_column("region_code").unique().to_list()
        tops = {code: reference_of(code) for code in codes}
        cells = cells.with_columns(
            _ref_region=pl.col("region_code").replace_strict(tops, return_dtype=pl.String)
        )
        national = reported.select(
            _ref_region=pl.col("region_code"), industry_code="industry_code", year="year",
            _ref_0=value,
        )  # fmt: skip
        top = reported.filter(
            pl.col("region_code").replace_strict(tops, return_dtype=pl.String).is_null()
        )
        summed = top.group_by("industry_code", "year").agg(_ref_1=value.sum())
        return (
            cells.join(national, on=["_ref_region", "industry_code", "year"], how="left")
            .join(summed, on=["industry_code", "year"], how="left")
            .drop("_ref_region")
        )
    if industry_parent is None:
        return None
    # A region's size: its reported employment summed over the top industry codes (sections).
    industries = cells.get_column("industry_code").unique().to_list()
    linked = _present_parents(industries, industry_parent)
    sections = [code for code in industries if code not in linked]
    size = (
        reported.filter(pl.col("industry_code").is_in(sections))
        .group_by("region_code", "year")
        .agg(_ref_0=value.sum())
    )
    return cells.join(size, on=["region_code", "year"], how="left")


def _fill_level(  # noqa: PLR0917 - private, called from one place
    frame: pl.DataFrame,
    column: str,
    others: list[str],
    links: Mapping[str, str],
    empty: pl.DataFrame,
    references: pl.DataFrame | None,
) -> tuple[pl.DataFrame, int, int]:
    """Fill the missing children of one level; returns the frame, cells filled, clamps.

    ``empty`` lists (code, year) pairs that are not children at all (no value anywhere);
    ``references`` gives each cell's reference values, one column per key in order.
    """
    link = pl.DataFrame(
        {column: list(links), "_parent": list(links.values())},
        schema={column: pl.String, "_parent": pl.String},
    )
    indexed = frame.with_row_index("_row")
    parent_values = frame.select(*others, _parent=pl.col(column), _value=pl.col("employment"))
    children = (
        indexed.join(link, on=column)
        .join(empty, on=[column, "year"], how="anti")
        .join(parent_values, on=[*others, "_parent"], how="left")
    )
    refs = [] if references is None else [c for c in references.columns if c.startswith("_ref_")]
    if references is not None:
        children = children.join(references, on=list(_KEYS), how="left")
    missing = pl.col("employment").is_null()
    group = [*others, "_parent"]
    groups = (
        children.group_by(group)
        .agg(
            pl.col("employment").sum().alias("_known"),
            missing.sum().alias("_missing"),
            pl.col("_value").first(),
            *(pl.col(r).filter(missing).sum().alias(f"{r}_sum") for r in refs),
            *(pl.col(r).filter(missing).is_null().any().alias(f"{r}_gap") for r in refs),
        )
        .filter((pl.col("_missing") > 0) & pl.col("_value").is_not_null())
        .with_columns(_remainder=pl.col("_value") - pl.col("_known"))
    )
    clamped = groups.filter(pl.col("_remainder") < 0).height
    fills = (
        children.filter(missing)
        .join(groups, on=group)
        .select("_row", *_shared_out(refs, _keys_of(column)))
    )
    share = pl.col("_share")
    filled = (
        indexed.join(fills, on="_row", how="left", maintain_order="left")
        .with_columns(
            employment=pl.coalesce("employment", share),
            imputed=pl.when(share.is_not_null())
            .then(pl.lit("parent-residual"))
            .otherwise(pl.col("imputed")),
            imputed_key=pl.when(share.is_not_null())
            .then(pl.col("_key"))
            .otherwise(pl.col("imputed_key")),
        )
        .drop("_row", "_share", "_key")
    )
    return filled, fills.height, clamped


def _keys_of(column: str) -> tuple[str, ...]:
    return INDUSTRY_KEYS if column == "industry_code" else REGION_KEYS


def _shared_out(refs: list[str], names: tuple[str, ...]) -> tuple[pl.Expr, pl.Expr]:
    """``_share`` and ``_key`` of a missing child: the first usable key's proportional share
    of the (non-negative) remainder, else an equal share."""
    remainder = pl.col("_remainder").clip(lower_bound=0)
    share: pl.Expr = remainder / pl.col("_missing")
    key: pl.Expr = pl.lit("equal")
    # Built from the last key to the first, so that the first usable key wins.
    for ref, name in reversed(list(zip(refs, names[: len(refs)], strict=True))):
        usable = ~pl.col(f"{ref}_gap") & (pl.col(f"{ref}_sum") > 0)
        share = (
            pl.when(usable).then(remainder * pl.col(ref) / pl.col(f"{ref}_sum")).otherwise(share)
        )
        key = pl.when(usable).then(pl.lit(name)).otherwise(key)
    return share.alias("_share"), key.alias("_key")
