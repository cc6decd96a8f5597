"""Observatory use cases: build a rated cluster map from a source, and profile it.

The faces (CLI now, web later) call these; each returns plain records and frames, so the same
run can be printed as a Rich table, served as JSON or written to Parquet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import polars as pl

from clusterhub.classify import (
    Taxonomy,
    aggregate_to_level,
    class_members,
    is_extra_regio,
    load_taxonomy_file,
    naics_parent,
)
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.input_files import TextLines
from clusterhub.services.missing_sources import FETCH_COMMAND
from clusterhub.services.observatory.recoding import recode_to_current
from clusterhub.services.observatory.series import read_sbs_series
from clusterhub.services.observatory.vocabulary import SOURCES, Source
from clusterhub.services.reference import ReferenceData, taxonomy_file
from clusterhub.stats.apportion import class_structure, keyed_weights
from clusterhub.stats.cells import FillReport
from clusterhub.stats.engines import POLARS_ENGINE, Engine, MapInput
from clusterhub.stats.mapping import RatingOptions, RegionRule, nuts_region_type
from clusterhub.stats.metrics import Benchmark, MetricOptions
from clusterhub.stats.series import SeriesBreak, year_span
from clusterhub.stats.sources import (
    ReadReport,
    read_cmp_states,
    read_eurostat_tsv,
    read_long_table,
    read_sbs_csv,
    read_sdmx_csv,
)
from clusterhub.stats.vocabulary import FillMethod

DEFAULT_DATASET = {"eurostat-sbs": "eurostat-sbs", "cmp-states": "cmp-states"}


@dataclass(frozen=True)
class MapRequest:
    """What to map and how: the source, its file, the taxonomy and the rating rules."""

    source: Source
    input_path: Path | None = None
    taxonomy_path: Path | None = None
    fill: FillMethod = "parent-residual"
    nace_level: int | None = None
    classification: Literal["auto", "nace", "naics"] = "auto"
    rating: RatingOptions = field(default_factory=RatingOptions)


@dataclass(frozen=True)
class ClusterMap:
    """A rated cluster map and what a reader must know to trust it.

    ``growth_years`` is the period of ``growth`` (each row's ``growth_from`` is its start
    year); ``series_breaks`` are the years where the data pass from one published data set to
    the next, and ``more_sources`` the files read besides ``source``.
    """

    source: str
    table: pl.DataFrame
    coverage: pl.DataFrame
    notes: tuple[str, ...]
    growth_years: int = MetricOptions().growth_years
    series_breaks: tuple[SeriesBreak, ...] = ()
    more_sources: tuple[str, ...] = ()


def build_cluster_map(
    request: MapRequest, reference: ReferenceData, engine: Engine = POLARS_ENGINE
) -> ClusterMap:
    """Read, fill, aggregate, measure and rate: one row per region x cluster x year.

    ``engine`` runs the aggregation, metrics and ratings (``stats.engines``): Polars here, or
    Spark for the same definitions on a cluster.
    """
    if request.source not in SOURCES:
        raise InvalidInput.single(
            f"expected one of {', '.join(SOURCES)}", field="source", value=request.source
        )
    if request.source == "cmp-states":
        return _cmp_map(request, reference, engine)
    return _industry_map(request, reference, engine)


def _input(request: MapRequest, reference: ReferenceData) -> Path:
    if request.input_path is not None:
        if not request.input_path.exists():
            raise NotFound(f"input file {request.input_path} does not exist")
        return request.input_path
    dataset = DEFAULT_DATASET.get(request.source)
    if dataset is None:
        raise InvalidInput.single("a long table needs --input FILE", field="input")
    return reference.fetch(dataset)


def read_industry_source(source: Source, path: Path) -> tuple[pl.DataFrame, ReadReport]:
    """Pick the reader by source and file shape (extract CSV, bulk TSV or SDMX-CSV)."""
    if source == "long":
        return read_long_table(path)
    name = path.name.lower()
    if name.endswith((".tsv", ".tsv.gz")):
        return read_eurostat_tsv(path)
    with TextLines(path) as lines:
        head = lines.first_line()
    if head.startswith("DATAFLOW"):
        return read_sdmx_csv(path)
    return read_sbs_csv(path)


def _industry_map(request: MapRequest, reference: ReferenceData, engine: Engine) -> ClusterMap:
    if request.input_path is None and request.source == "eurostat-sbs":
        return _sbs_series_map(request, reference, engine)
    path = _input(request, reference)
    cells, report = read_industry_source(request.source, path)
    return map_industry_cells(cells, request, reference, engine, (path, [_read_note(report)]))


def _sbs_series_map(request: MapRequest, reference: ReferenceData, engine: Engine) -> ClusterMap:
    """Every year of Eurostat's regional business statistics the install can have: the
    2008-2020 data set (or the mirror's extract) continued by the one from 2021 on."""
    read = read_sbs_series(
        reference.fetch, lambda path: read_industry_source(request.source, path), _read_note
    )
    joined = read.series
    origin = (read.paths[0], [*read.read_notes, *joined.notes])
    result = map_industry_cells(joined.cells, request, reference, engine, origin)
    return replace(
        result, series_breaks=joined.breaks, more_sources=tuple(str(p) for p in read.paths[1:])
    )


def map_industry_cells(
    cells: pl.DataFrame,
    request: MapRequest,
    reference: ReferenceData,
    engine: Engine,
    origin: tuple[Path, list[str]],
) -> ClusterMap:
    """Fill, recode, aggregate, measure and rate industry cells already read.

    ``origin`` is the file the cells came from (named in errors) and the notes on reading it.
    """
    path, read_notes = origin
    codes = set(cells.get_column("industry_code").unique().to_list())
    classification = request.classification
    if classification == "auto":
        classification = "naics" if all(_NAICS_DATA.fullmatch(c) for c in codes) else "nace"
    plan = (
        _naics_plan(request, reference, codes)
        if classification == "naics"
        else _nace_plan(request, reference, codes, path)
    )
    filled, fill_report = engine.fill_missing(cells, request.fill, industry_parent=plan.parent)
    # The fill runs on the data's own NUTS version (its parent links); then every region is
    # carried to NUTS 2021, the version of the polygons and names.
    recode_notes: list[str] = []
    if _looks_nuts(filled):
        filled, recode_notes = recode_to_current(filled, reference.nuts_history)
    # Extra-regio codes (FRZZ: activity not attributable to a region) take part in the fill,
    # where the country's residual must not be handed to real regions, but are not regions to
    # rate or rank.
    extra = pl.col("region_code").map_elements(is_extra_regio, return_dtype=pl.Boolean)
    left_out = sorted(filled.filter(extra).get_column("region_code").unique().to_list())
    filled = filled.filter(~extra)
    keyed, key_note = _apportioning(plan, reference, filled)
    mapped = MapInput(
        filled,
        plan.taxonomy.members,
        partition_codes=plan.partition,
        region_type=_region_type(filled),
        keyed=keyed,
    )
    growth_years = request.rating.metrics.growth_years
    table = engine.map_clusters(mapped, request.rating)
    table = _with_growth_from(_named(table, plan.taxonomy, reference), growth_years)
    notes = (
        *read_notes,
        _fill_note(fill_report),
        *_split_note(filled),
        *recode_notes,
        plan.level_note + key_note,
        *_invisible_note(plan.coverage, plan.taxonomy),
        *_region_notes(table, reference),
        *([f"extra-regio codes left out (not regions): {', '.join(left_out)}"] if left_out else []),
        growth_note(table, growth_years),
    )
    # The kind (traded, local, emerging) travels with the coverage so that stored clusters
    # keep it: a data set of emerging industries must not be listed as traded clusters.
    kinds = plan.taxonomy.clusters.select("cluster_code", "kind")
    coverage = plan.coverage.join(kinds, on="cluster_code", how="left")
    return ClusterMap(str(path), table, coverage, notes, growth_years)


def _with_growth_from(table: pl.DataFrame, years: int) -> pl.DataFrame:
    """``growth_from``: the start year of each row's growth (null where there is none), so a
    table read on its own (a CSV download, ``clusterhub region --map``) says its period."""
    start = (pl.col("year") - years).cast(pl.Int32)
    return table.with_columns(growth_from=pl.when(pl.col("growth").is_not_null()).then(start))


def growth_note(table: pl.DataFrame, years: int) -> str:
    """Which years of a map have a growth rate, over which period, and why the others not."""
    present = sorted(int(y) for y in table.get_column("year").unique().to_list())
    measured = sorted(
        int(y) for y in table.filter(pl.col("growth").is_not_null()).get_column("year").unique()
    )
    rule = (
        f"growth: compound annual growth of employment over {years} year(s) "
        f"((E_t / E_t-{years})^(1/{years}) - 1), for a year whose year {years} earlier the data has"
    )
    if measured:
        return f"{rule}: {year_span(measured)} (years in the data: {year_span(present)})"
    return (
        f"{rule}: none can be computed, the data has {year_span(present)} only"
        if len(present) == 1
        else f"{rule}: none can be computed from {year_span(present)}"
    )


#: Industry codes read as NAICS when every code is 3 to 6 digits (2 digits is ambiguous with
#: NACE divisions, which is what Eurostat data uses; pass the classification to override).
_NAICS_DATA = re.compile(r"\d{3,6}")


@dataclass(frozen=True)
class _Plan:
    """How one data set's industry codes become clusters."""

    taxonomy: Taxonomy
    partition: set[str]
    coverage: pl.DataFrame
    parent: Callable[[str], str | None]
    level_note: str
    #: The coarse codes shared among their classes by a key, with their classes.
    classes_of: Mapping[str, list[str]] = field(default_factory=dict)
    #: The taxonomy spread over classes (``cluster_code, code, weight``) when any code is.
    class_members: pl.DataFrame | None = None


def _nace_plan(request: MapRequest, reference: ReferenceData, codes: set[str], path: Path) -> _Plan:
    nace = reference.nace
    unknown = sorted(code for code in codes if not nace.contains(code))
    if unknown:
        raise InvalidInput.single(
            f"{len(unknown)} industry code(s) are not NACE Rev.2 codes: {', '.join(unknown[:10])}",
            file=str(path),
            field="industry",
        )
    level = request.nace_level or _data_level(codes, reference)
    partition = {code for code in codes if nace.level(code) == level}
    taxonomy = _taxonomy(request, reference, "nace")
    at_level, coverage = aggregate_to_level(taxonomy, nace, level, available_codes=partition)
    note = f"industry level: NACE level {level} ({len(partition)} codes)"
    # Where the data publishes every child of a code (SBS: the groups of 45, 46, 47), a
    # cluster takes the children it holds instead of a fixed share of the parent.
    split = {p for p in partition if nace.children(p) and set(nace.children(p)) <= codes}
    if split and level < CLASS_LEVEL:
        finer = {child for p in split for child in nace.children(p)}
        members, _ = aggregate_to_level(taxonomy, nace, level + 1, available_codes=finer)
        kept = at_level.members.filter(~pl.col("code").is_in(sorted(split)))
        at_level = replace(at_level, members=pl.concat([kept, members.members]))
        partition = (partition - split) | finer
        note += (
            f"; {', '.join(sorted(split))} by their published NACE level {level + 1} codes "
            f"({len(finer)})"
        )
    coarse = sorted(code for code in partition if nace.level(code) < CLASS_LEVEL)
    classes_of = {code: nace.classes_under(code) for code in coarse}
    by_class = class_members(taxonomy, nace) if coarse else None
    return _Plan(at_level, partition, coverage, nace.parent, note, classes_of, by_class)


def _apportioning(
    plan: _Plan, reference: ReferenceData, cells: pl.DataFrame
) -> tuple[pl.DataFrame | None, str]:
    """Per country, the weights that share coarse codes among the classes of the clusters
    (``stats.apportion``), and the note saying which keys were used (all are estimates)."""
    if not plan.classes_of or plan.class_members is None:
        return None, ""
    national = reference.national_classes
    fixed = "fixed keys (equal per class)"
    if national.cells is None or not _looks_nuts(cells):
        why = (
            "national employment by class (Eurostat "
            + ", ".join(national.missing)
            + f") is not available; `{FETCH_COMMAND} "
            + " ".join(f"eurostat:{code}" for code in national.missing)
            + "` fetches it"
            if national.cells is None
            else "the regions are not NUTS regions"
        )
        return None, f"; codes shared among their classes by {fixed}: {why}; counted as estimated"
    year = _structure_year(national.cells, cells)
    structure = class_structure(national.cells.filter(pl.col("year") == year), plan.classes_of)
    coarse_of = {cls: code for code, classes in plan.classes_of.items() for cls in classes}
    countries = set(cells.get_column("region_code").str.slice(0, 2).unique().to_list())
    keyed = keyed_weights(plan.class_members, structure, coarse_of, countries)
    pairs = keyed.unique(["country", "code"])
    by_key = dict(pairs.group_by("key").len().iter_rows())
    rest = len(countries) * len(plan.classes_of) - len(pairs)
    note = (
        f"; codes shared among their classes by national employment by class (Eurostat "
        f"{', '.join(national.found)}, {year}): {by_key.get('country', 0)} country x code "
        f"pairs by the country's own structure, {by_key.get('all-countries', 0)} by all "
        f"countries' structure (the country's classes not all published), {rest} by {fixed}; "
        "counted as estimated"
    )
    return keyed, note


def _structure_year(national: pl.DataFrame, cells: pl.DataFrame) -> int:
    """The latest year of the reference structure up to the data's year (else its first)."""
    years = sorted(set(national.get_column("year").to_list()))
    latest = int(cells.get_column("year").max())  # type: ignore[arg-type]
    return int(max((y for y in years if y <= latest), default=years[0]))


CLASS_LEVEL = 4


def _data_level(codes: set[str], reference: ReferenceData) -> int:
    """The NACE level with the most codes in the data (SBS: divisions, with a few groups)."""
    levels = [reference.nace.level(code) for code in codes]
    return max(set(levels), key=lambda lvl: (levels.count(lvl), lvl))


def _naics_plan(request: MapRequest, reference: ReferenceData, codes: set[str]) -> _Plan:
    """NAICS data (e.g. County Business Patterns): the taxonomy's codes are joined as they are."""
    lengths = [len(code) for code in codes]
    digits = max(set(lengths), key=lambda n: (lengths.count(n), n))
    partition = {code for code in codes if len(code) == digits}
    taxonomy = _taxonomy(request, reference, "naics")
    coverage = (
        taxonomy.members.group_by("cluster_code")
        .agg(
            pl.len().alias("codes"),
            pl.col("code").is_in(list(partition)).sum().alias("visible_codes"),
            (pl.col("weight") * pl.col("code").is_in(list(partition))).sum().alias("_seen"),
            pl.col("weight").sum().alias("_all"),
        )
        .with_columns(visible_share=pl.col("_seen") / pl.col("_all"))
        .drop("_seen", "_all")
        .sort("cluster_code")
    )
    note = f"industry level: NAICS {digits}-digit ({len(partition)} codes)"
    return _Plan(taxonomy, partition, coverage, naics_parent, note)


def _taxonomy(request: MapRequest, reference: ReferenceData, classification: str) -> Taxonomy:
    if request.taxonomy_path is None:
        return reference.nace_clusters if classification == "nace" else reference.cmp_traded
    path = taxonomy_file(request.taxonomy_path)
    taxonomy = load_taxonomy_file(path, reference.nace)
    if taxonomy.classification != classification:
        raise InvalidInput.single(
            f"the industry statistics are {classification.upper()}-coded: the taxonomy must "
            f"use {classification.upper()} codes",
            file=str(path),
            field="classification",
            value=taxonomy.classification,
        )
    return taxonomy


def _looks_nuts(cells: pl.DataFrame) -> bool:
    return bool(cells.get_column("region_code").str.contains(r"^[A-Z]{2}[A-Z0-9]{0,3}$").all())


def _region_type(cells: pl.DataFrame) -> RegionRule | str:
    return nuts_region_type if _looks_nuts(cells) else "region"


def _named(table: pl.DataFrame, taxonomy: Taxonomy, reference: ReferenceData) -> pl.DataFrame:
    names = taxonomy.clusters.select("cluster_code", "cluster_name")
    history = reference.nuts_history
    codes = table.get_column("region_code").unique().to_list()
    regions = pl.DataFrame(
        [(code, history.name(code)) for code in codes],
        schema={"region_code": pl.String, "region_name": pl.String},
        orient="row",
    )
    return (
        table.join(names, on="cluster_code", how="left")
        .join(regions, on="region_code", how="left")
        .select(*_LEADING, pl.exclude(_LEADING))
    )


_LEADING = ["region_code", "region_name", "region_type", "cluster_code", "cluster_name", "year"]


def _read_note(report: ReadReport) -> str:
    return (
        f"read {report.rows_read} rows from {report.file}: {report.cells} cells, "
        f"{report.missing} missing or confidential, {len(report.warnings)} warning(s)"
        + "".join(f"\n  {w}" for w in report.warnings[:5])
    )


def _invisible_note(coverage: pl.DataFrame, taxonomy: Taxonomy) -> list[str]:
    """Clusters the data's industry codes cannot see at all are absent from the table."""
    hidden = coverage.filter(pl.col("visible_share") == 0).join(
        taxonomy.clusters, on="cluster_code", how="left"
    )
    if hidden.is_empty():
        return []
    listed = ", ".join(f"{c} {n}" for c, n in hidden.select("cluster_code", "cluster_name").rows())
    return [f"not visible at this industry level (no rows): {listed}"]


def _fill_note(report: FillReport) -> str:
    passes = ", ".join(f"{n} along the {name} hierarchy" for name, n in report.filled.items())
    return (
        f"missing cells ({report.method}): filled {passes or 'none'}; "
        f"{report.still_missing} still missing" + "".join(f"; {w}" for w in report.warnings)
    )


def _split_note(filled: pl.DataFrame) -> list[str]:
    """How the filled cells' residuals were shared: by which reference key, how many cells."""
    counts = (
        filled.filter(pl.col("imputed_key").is_not_null())
        .group_by("imputed_key")
        .len()
        .sort("len", descending=True)
    )
    if counts.is_empty():
        return []
    listed = ", ".join(f"{n} {SPLIT_KEY_LABELS.get(k, k)}" for k, n in counts.iter_rows())
    return [f"filled cells shared out: {listed}"]


#: How each reference key of ``stats.cells`` reads in a note.
SPLIT_KEY_LABELS = {
    "country": "in proportion to the same industries in the country",
    "all-countries": "in proportion to the same industries in all countries",
    "region-size": "in proportion to the sub-regions' employment",
    "equal": "in equal shares (no reference)",
}


def _region_notes(table: pl.DataFrame, reference: ReferenceData) -> list[str]:
    codes = table.get_column("region_code").unique().sort().to_list()
    match = reference.regions.match(codes)
    if match.unmatched.is_empty():
        return [f"all {len(codes)} regions have a NUTS 2021 polygon"]
    notes = [
        f"{len(match.matched)} of {len(codes)} regions have a NUTS 2021 polygon; "
        f"{match.unmatched.height} do not (kept in the tables, absent from maps):"
    ]
    for reason, group in match.unmatched.group_by("reason", maintain_order=True):
        listed = ", ".join(group.get_column("code").to_list())
        notes.append(f"  {reason[0]}: {listed}")
    return notes


def _cmp_map(request: MapRequest, reference: ReferenceData, engine: Engine) -> ClusterMap:
    """U.S. states: traded clusters against traded employment, local against local."""
    path = _input(request, reference)
    states = read_cmp_states(path)
    parts = []
    for traded in (True, False):
        cells = states.cells.filter(pl.col("traded") == traded)
        # Local clusters are measured against local employment: the "traded" denominator
        # slot then holds the local total, as in the project's own LQ for local clusters.
        totals = cells.group_by("region_code", "region_type", "year").agg(
            pl.col("employment").sum().alias("traded_employment")
        )
        national = states.benchmark.filter(pl.col("traded") == traded)
        benchmark = Benchmark(
            clusters=national.select(
                "cluster_code", "year", pl.col("national_employment").alias("employment")
            ),
            totals=national.group_by("year").agg(
                pl.col("national_total").first().alias("traded_employment")
            ),
        )
        options = RatingOptions(
            metrics=MetricOptions(
                denominator="traded", growth_years=request.rating.metrics.growth_years
            ),
            stars=request.rating.stars,
        )
        parts.append(engine.rate_clusters(cells, totals, options=options, benchmark=benchmark))
    growth_years = request.rating.metrics.growth_years
    table = pl.concat(parts, how="diagonal_relaxed").select(*_LEADING, pl.exclude(_LEADING))
    table = _with_growth_from(table, growth_years)
    coverage = (
        states.cells.select("cluster_code", "cluster_name", "traded").unique().sort("cluster_code")
    )
    notes = (
        _read_note(states.report),
        "LQ denominators: traded (local) employment; "
        "U.S. national totals recovered from the published shares",
        growth_note(table, growth_years),
    )
    return ClusterMap(str(path), table, coverage, notes, growth_years)
