"""The few column operations the observatory's formulas need, for each engine that runs them.

A formula (a location quotient, a star criterion, a share of estimated employment) is written
once, as a function of a :class:`Dialect`, and yields a Polars expression or a Spark column
depending on which dialect it is given. Arithmetic, comparisons and ``& | ~`` are the operators
both libraries overload alike; everything they spell differently (conditionals, windows over a
peer group, rounding, casts) goes through a dialect method. So the two engines cannot drift
apart in what they compute: only the relational skeleton around the formulas (which frames are
joined and grouped) is written per engine, in ``stats.mapping``/``stats.metrics`` and in
``stats.spark``. See ``docs/decisions/0010-one-definition-two-engines.md``.

The Spark dialect lives in ``stats.spark.dialect`` so that importing the engine never imports
pyspark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import polars as pl

#: A Polars expression or a Spark column: the formulas use only what both overload alike.
Expr = Any
#: A literal a formula may use.
Scalar = float | int | bool | str | None
#: The types of the typed nulls a formula may need.
NullKind = Literal["text", "number"]


class Dialect(Protocol):
    """What a formula may ask of an engine, beyond the shared operators."""

    def col(self, name: str) -> Expr:
        """A column by name."""

    def lit(self, value: Scalar) -> Expr:
        """A constant (``None`` is null)."""

    def null(self, kind: NullKind) -> Expr:
        """A typed null: a column a layout does not have."""

    def when(self, condition: Expr, then: Expr, otherwise: Expr | None = None) -> Expr:
        """``then`` where ``condition`` holds, else ``otherwise`` (null when None)."""

    def coalesce(self, *exprs: Expr) -> Expr:
        """The first non-null of ``exprs``."""

    def is_null(self, expr: Expr) -> Expr:
        """True where ``expr`` is null."""

    def round_even(self, expr: Expr) -> Expr:
        """Round to the nearest integer, halves to even (the same rule on every engine)."""

    def power(self, expr: Expr, exponent: float) -> Expr:
        """``expr ** exponent``."""

    def clip(self, expr: Expr, lower: float, upper: float) -> Expr:
        """``expr`` held within ``lower..upper``."""

    def text_length(self, expr: Expr) -> Expr:
        """Characters in a text."""

    def prefixed(self, prefix: str, expr: Expr) -> Expr:
        """``prefix`` followed by ``expr`` as text."""

    def extract(self, expr: Expr, pattern: str) -> Expr:
        """The first group of ``pattern`` in a text; null where it does not match."""

    def is_in(self, expr: Expr, values: Sequence[str]) -> Expr:
        """True where ``expr`` is one of ``values``."""

    def replace(self, expr: Expr, pattern: str, replacement: str) -> Expr:
        """``pattern`` replaced by ``replacement`` (groups as ``$1``) in a text."""

    def number(self, expr: Expr) -> Expr:
        """A text of digits read as a float (null where empty)."""

    def int8(self, expr: Expr) -> Expr:
        """A small count (star counts)."""

    def index(self, expr: Expr) -> Expr:
        """A rank or position (unsigned where the engine has unsigned integers)."""

    def total(self, exprs: Sequence[Expr]) -> Expr:
        """Row-wise sum of ``exprs``."""

    def peer_quantile(self, expr: Expr, q: float, peers: Sequence[str]) -> Expr:
        """The R-7 (linear) quantile of ``expr`` over rows with the same ``peers`` values."""

    def peer_sum(self, expr: Expr, peers: Sequence[str]) -> Expr:
        """Sum of ``expr`` over the peer group."""

    def peer_count(self, expr: Expr, peers: Sequence[str]) -> Expr:
        """Non-null values of ``expr`` in the peer group."""

    def peer_at_or_below(self, expr: Expr, peers: Sequence[str]) -> Expr:
        """Peers whose value is at or below this row's (null where the row's value is)."""

    def peer_any(self, condition: Expr, peers: Sequence[str]) -> Expr:
        """True where ``condition`` holds for any row of the peer group."""


class PolarsDialect:
    """The formulas as Polars expressions (the default engine)."""

    def col(self, name: str) -> pl.Expr:
        """A column by name."""
        return pl.col(name)

    def lit(self, value: Scalar) -> pl.Expr:
        """A constant (``None`` is null)."""
        return pl.lit(value)

    def null(self, kind: NullKind) -> pl.Expr:
        """A typed null: a column a layout does not have."""
        return pl.lit(None, pl.String if kind == "text" else pl.Float64)

    def when(self, condition: pl.Expr, then: pl.Expr, otherwise: pl.Expr | None = None) -> pl.Expr:
        """``then`` where ``condition`` holds, else ``otherwise`` (null when None)."""
        return pl.when(condition).then(then).otherwise(otherwise)

    def coalesce(self, *exprs: pl.Expr) -> pl.Expr:
        """The first non-null of ``exprs``."""
        return pl.coalesce(*exprs)

    def is_null(self, expr: pl.Expr) -> pl.Expr:
        """True where ``expr`` is null."""
        return expr.is_null()

    def round_even(self, expr: pl.Expr) -> pl.Expr:
        """Round to the nearest integer, halves to even (Polars' default rule)."""
        return expr.round(mode="half_to_even")

    def power(self, expr: pl.Expr, exponent: float) -> pl.Expr:
        """``expr ** exponent``."""
        return expr.pow(exponent)

    def clip(self, expr: pl.Expr, lower: float, upper: float) -> pl.Expr:
        """``expr`` held within ``lower..upper``."""
        return expr.clip(lower, upper)

    def text_length(self, expr: pl.Expr) -> pl.Expr:
        """Characters in a text."""
        return expr.str.len_chars()

    def prefixed(self, prefix: str, expr: pl.Expr) -> pl.Expr:
        """``prefix`` followed by ``expr`` as text."""
        return pl.format(prefix + "{}", expr)

    def extract(self, expr: pl.Expr, pattern: str) -> pl.Expr:
        """The first group of ``pattern`` in a text; null where it does not match."""
        return expr.str.extract(pattern, 1)

    def is_in(self, expr: pl.Expr, values: Sequence[str]) -> pl.Expr:
        """True where ``expr`` is one of ``values``."""
        return expr.is_in(list(values))

    def replace(self, expr: pl.Expr, pattern: str, replacement: str) -> pl.Expr:
        """``pattern`` replaced by ``replacement`` (groups as ``$1``) in a text."""
        return expr.str.replace(pattern, replacement)

    def number(self, expr: pl.Expr) -> pl.Expr:
        """A text of digits read as a float (null where empty)."""
        return expr.cast(pl.Float64, strict=False)

    def int8(self, expr: pl.Expr) -> pl.Expr:
        """A small count (star counts)."""
        return expr.cast(pl.Int8)

    def index(self, expr: pl.Expr) -> pl.Expr:
        """A rank or position."""
        return expr.cast(pl.UInt32)

    def total(self, exprs: Sequence[pl.Expr]) -> pl.Expr:
        """Row-wise sum of ``exprs``."""
        return pl.sum_horizontal(exprs)

    def peer_quantile(self, expr: pl.Expr, q: float, peers: Sequence[str]) -> pl.Expr:
        """The R-7 (linear) quantile of ``expr`` over the peer group."""
        return expr.quantile(q, interpolation="linear").over(peers)

    def peer_sum(self, expr: pl.Expr, peers: Sequence[str]) -> pl.Expr:
        """Sum of ``expr`` over the peer group."""
        return expr.sum().over(peers)

    def peer_count(self, expr: pl.Expr, peers: Sequence[str]) -> pl.Expr:
        """Non-null values of ``expr`` in the peer group."""
        return expr.count().over(peers)

    def peer_at_or_below(self, expr: pl.Expr, peers: Sequence[str]) -> pl.Expr:
        """Peers at or below this row: the "max" rank, which ties share."""
        return expr.rank("max").over(peers)

    def peer_any(self, condition: pl.Expr, peers: Sequence[str]) -> pl.Expr:
        """True where ``condition`` holds for any row of the peer group."""
        return condition.any().over(peers)


POLARS = PolarsDialect()
