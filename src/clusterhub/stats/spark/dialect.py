"""The formulas' operations as Spark columns (see ``stats.dialect`` for the contract)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add

from pyspark.sql import Column, Window
from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

from clusterhub.stats.dialect import NullKind, Scalar


class SparkDialect:
    """Spark's spelling of each operation, with Polars' null semantics where they differ."""

    def col(self, name: str) -> Column:
        """A column by name."""
        return F.col(name)

    def lit(self, value: Scalar) -> Column:
        """A constant (``None`` is null)."""
        return F.lit(value)

    def null(self, kind: NullKind) -> Column:
        """A typed null: a column a layout does not have."""
        return F.lit(None).cast("string" if kind == "text" else "double")

    def when(self, condition: Column, then: Column, otherwise: Column | None = None) -> Column:
        """``then`` where ``condition`` holds, else ``otherwise`` (null when None)."""
        chosen = F.when(condition, then)
        return chosen if otherwise is None else chosen.otherwise(otherwise)

    def coalesce(self, *exprs: Column) -> Column:
        """The first non-null of ``exprs``."""
        return F.coalesce(*exprs)

    def is_null(self, expr: Column) -> Column:
        """True where ``expr`` is null."""
        return expr.isNull()

    def round_even(self, expr: Column) -> Column:
        """Halves to even (``bround``): Spark's ``round`` rounds halves up, Polars' does not."""
        return F.bround(expr, 0)

    def power(self, expr: Column, exponent: float) -> Column:
        """``expr ** exponent``."""
        return F.pow(expr, F.lit(exponent))

    def clip(self, expr: Column, lower: float, upper: float) -> Column:
        """``expr`` within ``lower..upper``; null stays null (``greatest`` would skip it)."""
        held = F.least(F.greatest(expr, F.lit(lower)), F.lit(upper))
        return F.when(expr.isNotNull(), held)

    def text_length(self, expr: Column) -> Column:
        """Characters in a text."""
        return F.char_length(expr)

    def prefixed(self, prefix: str, expr: Column) -> Column:
        """``prefix`` followed by ``expr`` as text."""
        return F.concat(F.lit(prefix), expr.cast("string"))

    def extract(self, expr: Column, pattern: str) -> Column:
        """``regexp_extract`` gives "" where nothing matches; Polars gives null."""
        return F.when(expr.rlike(pattern), F.regexp_extract(expr, pattern, 1))

    def is_in(self, expr: Column, values: Sequence[str]) -> Column:
        """True where ``expr`` is one of ``values``."""
        return expr.isin(list(values))

    def replace(self, expr: Column, pattern: str, replacement: str) -> Column:
        """``pattern`` replaced by ``replacement`` (groups as ``$1``) in a text."""
        return F.regexp_replace(expr, pattern, replacement)

    def number(self, expr: Column) -> Column:
        """A text of digits read as a float (null where it is not one, as Polars)."""
        return expr.try_cast("double")

    def int8(self, expr: Column) -> Column:
        """A small count (star counts)."""
        return expr.cast("tinyint")

    def index(self, expr: Column) -> Column:
        """A rank or position (Spark has no unsigned integers; the seam casts on collect)."""
        return expr.cast("int")

    def total(self, exprs: Sequence[Column]) -> Column:
        """Row-wise sum ignoring nulls, as Polars' ``sum_horizontal``."""
        return reduce(add, (F.coalesce(e, F.lit(0)) for e in exprs))

    def peer_quantile(self, expr: Column, q: float, peers: Sequence[str]) -> Column:
        """``percentile`` interpolates linearly between closest ranks: the R-7 quantile."""
        return F.percentile(expr, q).over(Window.partitionBy(*peers))

    def peer_sum(self, expr: Column, peers: Sequence[str]) -> Column:
        """Sum over the peer group; 0, as in Polars, where every value is null."""
        return F.coalesce(F.sum(expr).over(Window.partitionBy(*peers)), F.lit(0.0))

    def peer_count(self, expr: Column, peers: Sequence[str]) -> Column:
        """Non-null values of ``expr`` in the peer group."""
        return F.count(expr).over(Window.partitionBy(*peers))

    def peer_at_or_below(self, expr: Column, peers: Sequence[str]) -> Column:
        """A range frame up to the current value holds every tie: the "max" rank."""
        frame = (
            Window.partitionBy(*peers)
            .orderBy(expr)
            .rangeBetween(Window.unboundedPreceding, Window.currentRow)
        )
        return F.when(expr.isNotNull(), F.count(expr).over(frame))

    def peer_any(self, condition: Column, peers: Sequence[str]) -> Column:
        """True where ``condition`` holds for any row of the peer group."""
        return F.coalesce(F.bool_or(condition).over(Window.partitionBy(*peers)), F.lit(False))


SPARK = SparkDialect()
