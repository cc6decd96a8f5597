"""Cluster taxonomies as data: which industry codes, with which weight, make up each cluster.

A cluster category is a set of industry codes. When one code belongs only partly to a
category (a NACE class reached from several U.S. industries, or a division of which a cluster
holds a few classes) it carries a ``weight`` in (0, 1]: the share of the code's employment
counted in the cluster. The engine multiplies and sums, so weights are the whole interface
between a taxonomy and the statistics.

The U.S. Cluster Mapping Project (CMP) defines its 51 traded clusters in NAICS; European data is
in NACE Rev.2, often only at division level. :func:`derive_nace` and :func:`aggregate_to_level`
translate the definition and report how much of each cluster survives each step, because a
cluster that the data cannot see must be reported as such, not shown as weak. The rules are
explained with worked examples in ``docs/methodology/taxonomies.md``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from clusterhub.classify.crosswalk import NaicsToNace
from clusterhub.classify.nace import NaceHierarchy
from clusterhub.classify.naics import is_naics
from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import ProblemList, read_rows

Classification = Literal["naics", "nace"]
CLASSIFICATIONS: tuple[Classification, ...] = ("naics", "nace")
KINDS = ("traded", "local", "emerging")

CLUSTERS_SCHEMA = {"cluster_code": pl.String, "cluster_name": pl.String, "kind": pl.String}
MEMBERS_SCHEMA = {"cluster_code": pl.String, "code": pl.String, "weight": pl.Float64}

#: Tolerance when asking whether a summed weight is whole (1) or within (0, 1].
TOLERANCE = 1e-9

_CMP_COLUMNS = ("cluster_code", "cluster_name", "naics")
_LEVEL_NAMES = {1: "sections", 2: "divisions", 3: "groups", 4: "classes"}


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """A named set of clusters and their member codes.

    Attributes
    ----------
    key
        Short identifier (``"cmp-traded"``), used in file names and URLs.
    name
        Human title, with its source.
    classification
        ``"naics"`` or ``"nace"``: the code system of ``members.code``.
    clusters
        ``cluster_code, cluster_name, kind`` (kind is ``traded``, ``local`` or ``emerging``).
    members
        ``cluster_code, code, weight``; weight in (0, 1] is the share of the code's activity
        counted in the cluster.
    """

    key: str
    name: str
    classification: Classification
    clusters: pl.DataFrame
    members: pl.DataFrame


def load_cmp_traded(path: Path) -> Taxonomy:
    """Read the CMP's 51 traded cluster definitions (NAICS 6-digit, each with weight 1).

    Parameters
    ----------
    path
        CSV with columns ``cluster_code, cluster_name, naics`` (a ``note`` column is ignored).

    Raises
    ------
    InvalidInput
        Listing, with line and field, every non-6-digit code, repeated code, or cluster code
        given two names.
    """
    problems = ProblemList()
    file = read_rows(path, problems=problems, expected=", ".join(_CMP_COLUMNS))
    missing = [c for c in _CMP_COLUMNS if c not in file.header]
    if missing:
        raise InvalidInput.single(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(_CMP_COLUMNS)}",
            file=str(path),
            line=1,
        )
    rows = [(r.line, dict(zip(file.header, r.cells, strict=True))) for r in file.rows]
    names = _cmp_problems(rows, path, problems)
    problems.raise_if_any(f"{path}: not a usable CMP cluster definition")
    return Taxonomy(
        key="cmp-traded",
        name="U.S. Cluster Mapping Project traded clusters (Delgado, Porter & Stern 2016)",
        classification="naics",
        clusters=pl.DataFrame(
            [(code, name, "traded") for code, name in names.items()],
            schema=CLUSTERS_SCHEMA,
            orient="row",
        ),
        members=pl.DataFrame(
            [(row["cluster_code"].strip(), row["naics"].strip(), 1.0) for _, row in rows],
            schema=MEMBERS_SCHEMA,
            orient="row",
        ),
    )


def _cmp_problems(
    rows: list[tuple[int, dict[str, str]]], path: Path, problems: ProblemList
) -> dict[str, str]:
    """Each cluster code's name (in first-seen order); the rows' defects go to ``problems``."""
    names: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for line, row in rows:
        code, name, naics = (row[c].strip() for c in _CMP_COLUMNS)
        if len(naics) != 6 or not is_naics(naics):
            problems.append(
                Problem("expected a 6-digit NAICS code", str(path), line, "naics", naics)
            )
        if names.setdefault(code, name) != name:
            expected = f"expected {names[code]!r}, as on earlier rows"
            problems.append(Problem(expected, str(path), line, "cluster_name", name))
        if (code, naics) in seen:
            problems.append(
                Problem("code repeated in this cluster", str(path), line, "naics", naics)
            )
        seen.add((code, naics))
    return names


def derive_nace(taxonomy: Taxonomy, crosswalk: NaicsToNace) -> tuple[Taxonomy, pl.DataFrame]:
    """Translate a NAICS taxonomy into NACE Rev.2 classes with split weights.

    Each NAICS code is matched to the correspondence (exactly, else through its longest
    covered prefix) and becomes a set of NAICS 2017 table codes, each claimed with the member's
    weight. Exact claims override prefix guesses; claims on one table code are scaled down in
    proportion when they add up to more than 1. A cluster's weight on a NACE class is then the
    (shared) number of correspondence links from its table codes to the class divided by the
    number of links from all NAICS 2017 codes to the class. Weights of a class therefore sum to
    at most 1 over the clusters; the rest is the part of the class outside the taxonomy.

    Parameters
    ----------
    taxonomy
        A ``naics`` taxonomy, such as :func:`load_cmp_traded` returns.
    crosswalk
        The NAICS 2017 → NACE Rev.2 correspondence.

    Returns
    -------
    tuple of (Taxonomy, polars.DataFrame)
        The ``nace`` taxonomy (class codes) and one report row per cluster: ``cluster_code,
        cluster_name, naics_codes, exact, by_prefix, unmatched, nace_classes, weight_sum``.
    """
    if taxonomy.classification != "naics":
        raise InvalidInput.single(
            "expected a NAICS taxonomy", field="classification", value=taxonomy.classification
        )
    matches = crosswalk.match_all(taxonomy.members["code"].unique().sort())
    claims = (
        taxonomy.members.select("cluster_code", "code", "weight")
        .join(matches, left_on="code", right_on="naics", how="left")
        .explode("via")
        .drop_nulls("via")
        .filter(pl.col("how").eq("exact").any().over("via").not_() | pl.col("how").eq("exact"))
        .group_by("cluster_code", "via")
        .agg(pl.col("weight").sum().alias("claims"))
        .with_columns(
            share=pl.col("claims") / pl.max_horizontal(pl.col("claims").sum().over("via"), 1.0)
        )
    )
    members = (
        claims.join(crosswalk.links, left_on="via", right_on="naics")
        .group_by("cluster_code", "nace")
        .agg(pl.col("share").sum())
        .join(crosswalk.links_per_class(), on="nace")
        .select(
            "cluster_code",
            pl.col("nace").alias("code"),
            (pl.col("share") / pl.col("links")).alias("weight"),
        )
        .sort("cluster_code", "code")
    )
    derived = Taxonomy(
        key=f"{taxonomy.key}-nace",
        name=f"{taxonomy.name}, in NACE Rev.2 classes",
        classification="nace",
        clusters=taxonomy.clusters,
        members=_ordered_like(members, taxonomy.clusters),
    )
    return derived, _derive_report(taxonomy, matches, members)


def _derive_report(
    taxonomy: Taxonomy, matches: pl.DataFrame, members: pl.DataFrame
) -> pl.DataFrame:
    """Per cluster: how its NAICS codes were matched and what NACE weight came out."""
    how = taxonomy.members.join(matches, left_on="code", right_on="naics", how="left")
    counts = how.group_by("cluster_code").agg(
        pl.len().alias("naics_codes"),
        pl.col("how").eq("exact").sum().alias("exact"),
        pl.col("how").str.starts_with("prefix").sum().alias("by_prefix"),
        pl.col("how").eq("none").sum().alias("unmatched"),
    )
    weights = members.group_by("cluster_code").agg(
        pl.len().alias("nace_classes"), pl.col("weight").sum().alias("weight_sum")
    )
    return (
        taxonomy.clusters.select("cluster_code", "cluster_name")
        .join(counts, on="cluster_code", how="left")
        .join(weights, on="cluster_code", how="left")
        .with_columns(pl.col("nace_classes").fill_null(0), pl.col("weight_sum").fill_null(0.0))
    )


def aggregate_to_level(
    taxonomy: Taxonomy,
    nace: NaceHierarchy,
    level: int,
    *,
    available_codes: Collection[str] | None = None,
) -> tuple[Taxonomy, pl.DataFrame]:
    """Re-express a NACE taxonomy at a coarser level (1 section, 2 division, 3 group, 4 class).

    Data such as Eurostat SBS has no class-level employment, so each class is assumed to hold
    an equal share of its coarse code: the weight of coarse code ``d`` for cluster ``c`` is
    the sum of ``c``'s class weights within ``d`` divided by the number of classes in ``d``.
    Member codes coarser than classes are first spread over their classes at their weight,
    which this rule inverts exactly.

    Parameters
    ----------
    taxonomy
        A ``nace`` taxonomy.
    nace
        The hierarchy, for class counts and ancestors.
    level
        Target level: 1, 2 or 3; 4 only spreads coarser member codes over their classes.
    available_codes
        Codes a data set has, in any spelling :meth:`NaceHierarchy.normalise` accepts
        (``"C20"``); aggregates that are not NACE codes are ignored. When given, only coarse
        codes among them are kept, and coverage reports how much of each cluster the data can
        see.

    Returns
    -------
    tuple of (Taxonomy, polars.DataFrame)
        The coarse taxonomy, and coverage per cluster: ``cluster_code, cluster_name,
        class_weight`` (sum of class weights), ``codes`` (coarse codes reached),
        ``exact_share`` (share of class weight in coarse codes wholly in the cluster),
        ``mean_weight`` (of its coarse codes), ``visible_codes`` and ``visible_share`` (share
        of class weight in available coarse codes; null without ``available_codes``).
    """
    if level not in _LEVEL_NAMES:
        raise InvalidInput.single(
            "expected a NACE level: 1 section, 2 division, 3 group or 4 class",
            field="level",
            value=str(level),
        )
    classes = class_members(taxonomy, nace)
    ancestors = {code: nace.ancestor_at(code, level) for code in classes["code"].unique()}
    classes = classes.with_columns(coarse=pl.col("code").replace_strict(ancestors))
    visible = _visible(nace, level, available_codes)
    coarse = _coarse_weights(classes, nace, visible)
    coverage = _coverage(taxonomy, classes, coarse, assessed=visible is not None)
    members = coarse.filter("visible").select(
        "cluster_code", pl.col("coarse").alias("code"), "weight"
    )
    result = Taxonomy(
        key=f"{taxonomy.key}-l{level}",
        name=f"{taxonomy.name}, at NACE {_LEVEL_NAMES[level]}",
        classification="nace",
        clusters=taxonomy.clusters,
        members=_ordered_like(members.sort("cluster_code", "code"), taxonomy.clusters),
    )
    return result, coverage


def _coarse_weights(
    classes: pl.DataFrame, nace: NaceHierarchy, visible: set[str] | None
) -> pl.DataFrame:
    """``cluster_code, coarse, weight, exact, visible``: equal-split weight per coarse code."""
    sizes = {code: len(nace.classes_under(code)) for code in classes["coarse"].unique()}
    size = pl.col("coarse").replace_strict(sizes, return_dtype=pl.Float64)
    return (
        classes.group_by("cluster_code", "coarse")
        .agg(pl.col("weight").sum())
        .with_columns((pl.col("weight") / size).clip(upper_bound=1.0).alias("weight"))
        .with_columns(
            exact=pl.col("weight") >= 1.0 - TOLERANCE,
            visible=pl.lit(True) if visible is None else pl.col("coarse").is_in(sorted(visible)),
        )
    )


def class_members(taxonomy: Taxonomy, nace: NaceHierarchy) -> pl.DataFrame:
    """Members spread over NACE classes (``cluster_code, code, weight``); a class reached
    twice in one cluster is an error."""
    if taxonomy.classification != "nace":
        raise InvalidInput.single(
            "expected a NACE taxonomy", field="classification", value=taxonomy.classification
        )
    rows = [
        (cluster, cls, weight)
        for cluster, code, weight in taxonomy.members.iter_rows()
        for cls in nace.classes_under(code)
    ]
    frame = pl.DataFrame(rows, schema=MEMBERS_SCHEMA, orient="row")
    twice = frame.filter(pl.struct("cluster_code", "code").is_duplicated())
    if not twice.is_empty():
        raise InvalidInput(
            [
                Problem("class reached by more than one member code", field="code", value=code)
                for code in twice["code"].unique().sort()
            ],
            summary=f"taxonomy {taxonomy.key}: member codes overlap within a cluster",
        )
    return frame


def _visible(nace: NaceHierarchy, level: int, available: Collection[str] | None) -> set[str] | None:
    """The available codes that sit at ``level``, normalised; ``None`` if not restricted.

    Codes that are not NACE codes (Eurostat aggregates such as ``B-N_S95_X_K``) cannot hold a
    cluster's coarse code, so they are left out rather than refused.
    """
    if available is None:
        return None
    normal = {nace.normalise(code) for code in available if nace.contains(code)}
    return {code for code in normal if nace.level(code) == level}


def _coverage(
    taxonomy: Taxonomy, classes: pl.DataFrame, coarse: pl.DataFrame, *, assessed: bool
) -> pl.DataFrame:
    """Per-cluster shares of class weight that stay exact and visible at the coarse level."""
    flags = classes.join(
        coarse.select("cluster_code", "coarse", "exact", "visible"), on=["cluster_code", "coarse"]
    )
    total = pl.col("weight").sum()
    by_class = flags.group_by("cluster_code").agg(
        total.alias("class_weight"),
        (pl.col("weight").filter("exact").sum() / total).alias("exact_share"),
        (pl.col("weight").filter("visible").sum() / total).alias("visible_share"),
    )
    by_coarse = coarse.group_by("cluster_code").agg(
        pl.len().alias("codes"),
        pl.col("weight").mean().alias("mean_weight"),
        pl.col("visible").sum().alias("visible_codes"),
    )
    report = (
        taxonomy.clusters.select("cluster_code", "cluster_name")
        .join(by_class, on="cluster_code", how="left")
        .join(by_coarse, on="cluster_code", how="left")
        .with_columns(pl.col("codes").fill_null(0))
    )
    if not assessed:
        report = report.with_columns(
            pl.lit(None, pl.UInt32).alias("visible_codes"),
            pl.lit(None, pl.Float64).alias("visible_share"),
        )
    return report.select(
        "cluster_code",
        "cluster_name",
        "class_weight",
        "codes",
        "exact_share",
        "mean_weight",
        "visible_codes",
        "visible_share",
    )


def _ordered_like(members: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Members in the clusters' own order (CMP codes are numbers, string sort would mix them)."""
    order = clusters.select("cluster_code").with_row_index("_order")
    return (
        members.join(order, on="cluster_code", how="left")
        .sort("_order", "code")
        .drop("_order")
        .select(list(MEMBERS_SCHEMA))
        .cast(MEMBERS_SCHEMA)  # type: ignore[arg-type]
    )
