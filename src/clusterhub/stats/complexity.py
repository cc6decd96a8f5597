"""Relatedness and economic complexity: RCA, Mcp, proximity, density, ECI/PCI, COI/COG.

The conventions (thresholds, signs, normalisation) are those of the Harvard Growth Lab's
``ecomplexity`` package, the reference implementation the test suite compares with to 1e-9,
so that a strategist can cite the Atlas literature for what clusterhub prints. Three things
differ, on purpose, and are documented in ``docs/methodology/complexity.md``:

* the eigenvector is found with a symmetric eigensolver on the smaller side of the
  region-industry network (same eigenvector, faster and numerically stabler than a general
  eigensolver on the industry side);
* degenerate years (one region, a network that falls apart, an ECI without spread) raise a
  clear error instead of filling the output with NaN;
* with an RCA threshold above 1 a region may have no specialisation (diversity 0) or an
  industry no specialised region (ubiquity 0): they are left out of the eigenvector problem
  and get null complexity, instead of turning every value of the year into NaN.

Matrices are dense per year (regions x industries active that year): they are built straight
from the long table's index arrays, never by rectangularising a data frame, which is what
keeps NUTS 3 x NACE class x years fast (1,200 x 615 doubles is 6 MB).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from clusterhub.errors import InvalidInput, Problem

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]

#: Input columns of :func:`complexity`: one value (employment, exports, ...) per cell.
INPUT_COLUMNS = ("region", "industry", "year", "value")
#: Output columns, in order.
OUTPUT_COLUMNS = (
    "region",
    "industry",
    "year",
    "value",
    "rca",
    "mcp",
    "diversity",
    "ubiquity",
    "density",
    "eci",
    "pci",
    "coi",
    "cog",
    "status",
)
#: Two eigenvalues closer than this are treated as equal: the eigenvector is not unique.
EIGEN_GAP = 1e-10
#: Below this, a spread or a correlation is rounding noise, not a direction.
SIGN_TOLERANCE = 1e-9
#: Inverse-iteration steps tried before falling back to a full eigendecomposition.
INVERSE_ITERATIONS = 8


@dataclass(frozen=True)
class ComplexityOptions:
    """How presence and proximity are defined (``ecomplexity``'s arguments, same defaults).

    Attributes
    ----------
    rca_threshold
        A region is specialised in an industry (Mcp = 1) when RCA >= this.
    continuous
        Proximity from the correlation of RCA across regions, ``(1 + corr) / 2``, and density
        weighted by RCA, instead of co-specialisation counts and Mcp.
    """

    rca_threshold: float = 1.0
    continuous: bool = False


@dataclass(frozen=True)
class YearComplexity:
    """Every measure of one year, as arrays over ``regions`` x ``industries``.

    ``eci``/``pci``/``coi`` are NaN only for regions without specialisation or industries
    without a specialised region (possible with a threshold above 1), and ``cog`` is NaN
    nowhere; the table marks those cells in ``status``.
    """

    regions: list[str]
    industries: list[str]
    values: Matrix
    rca: Matrix
    mcp: Matrix
    diversity: Vector
    ubiquity: Vector
    proximity: Matrix
    density: Matrix
    eci: Vector
    pci: Vector
    coi: Vector
    cog: Matrix


@dataclass(frozen=True)
class ComplexityTable:
    """The output table and the notes a reader needs (what every engine returns)."""

    table: pl.DataFrame
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ComplexityResult(ComplexityTable):
    """The output table and, per year, the arrays behind it (the in-process engine)."""

    years: dict[int, YearComplexity]


def revealed_advantage(values: Matrix) -> Matrix:
    """Balassa's RCA (the location quotient): a cell's share of its region over the industry's
    share of the whole. Zero-total rows or columns must be removed first; extreme magnitudes
    give non-finite cells, which the caller checks (hence no floating-point warnings)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        num = values / np.nansum(values, axis=1)[:, np.newaxis]
        industry_total = np.nansum(values, axis=0)[np.newaxis, :]
        den = industry_total / np.nansum(industry_total, axis=1)[:, np.newaxis]
        result: Matrix = num / den
    return result


def presence(rca: Matrix, threshold: float) -> Matrix:
    """Mcp: 1 where RCA reaches the threshold (``ecomplexity``: ``>=``), else 0."""
    return np.where(np.nan_to_num(rca) >= threshold, 1.0, 0.0)


def proximity(mcp: Matrix, ubiquity: Vector) -> Matrix:
    """Industry proximity: the minimum of the two conditional probabilities of being
    specialised in one industry given the other (Hidalgo et al. 2007).

    An industry without specialised regions has proximity 0 to every other and 1 to itself,
    so that density stays defined.
    """
    # Co-specialisation counts are whole numbers below 2^24, exact in single precision,
    # whose product runs twice as fast.
    binary = mcp.astype(np.float32)
    together = (binary.T @ binary).astype(np.float64)
    safe = np.where(ubiquity > 0, ubiquity, 1.0)
    phi = together / safe[np.newaxis, :]
    phi = np.minimum(phi, phi.T)
    np.fill_diagonal(phi, 1.0)
    return phi


def continuous_proximity(rca: Matrix) -> Matrix:
    """``(1 + corr(RCA_p, RCA_p')) / 2`` across regions (``ecomplexity``'s continuous mode)."""
    constant = np.ptp(rca, axis=0) == 0
    if constant.any():
        raise InvalidInput.single(
            "continuous proximity needs RCA to vary across regions; "
            f"{int(constant.sum())} industr(ies) have the same RCA everywhere",
            field="continuous",
        )
    result: Matrix = np.asarray((1 + np.corrcoef(rca.T)) / 2, dtype=np.float64)
    return result


def density(presence_or_rca: Matrix, phi: Matrix) -> Matrix:
    """Relatedness density: the proximity-weighted share of an industry's neighbours in which
    the region is present, ``sum_p' M_cp' phi_pp' / sum_p' phi_pp'``."""
    result: Matrix = presence_or_rca @ (phi.T / np.nansum(phi, axis=1)[np.newaxis, :])
    return result


def complexity_vectors(mcp: Matrix, diversity: Vector, ubiquity: Vector) -> tuple[Vector, Vector]:
    """Raw (unstandardised) region and industry complexity, ``kc`` and ``kp``.

    ``kp`` is the eigenvector of the second largest eigenvalue of
    ``M~pp = U^-1 M' D^-1 M``; ``kc = D^-1 M kp``; both signed so that ``kc`` correlates
    positively with diversity. ``M~pp`` is similar to the symmetric
    ``U^-1/2 M' D^-1 M U^-1/2`` (and ``M~cc`` to its region-side twin), so a symmetric
    solver on the smaller side finds the same vector.
    """
    regions, industries = mcp.shape
    if regions < 2 or industries < 2:
        raise InvalidInput.single(
            f"complexity needs at least 2 regions and 2 industries with specialisations; "
            f"found {regions} region(s) and {industries} industr(ies)"
        )
    inv_d = 1.0 / diversity
    inv_u = 1.0 / ubiquity
    if regions <= industries:
        root = np.sqrt(inv_d)
        half = mcp * root[:, np.newaxis] * np.sqrt(inv_u)[np.newaxis, :]
        kc0 = second_eigenvector(half @ half.T) * root
        kp = inv_u * (mcp.T @ kc0)
    else:
        root = np.sqrt(inv_u)
        half = mcp * root[np.newaxis, :] * np.sqrt(inv_d)[:, np.newaxis]
        kp = second_eigenvector(half.T @ half) * root
    kc = (mcp * inv_d[:, np.newaxis]) @ kp
    sign = _correlation_sign(diversity, kc)
    return sign * kc, sign * kp


def second_eigenvector(sym: Matrix) -> Vector:
    """Unit eigenvector of the second largest eigenvalue of a symmetric matrix.

    Eigenvalues alone, then inverse iteration at the second one, cost a third of a full
    eigendecomposition; a full one is the fallback when inverse iteration does not settle.

    Raises
    ------
    InvalidInput
        The eigenvalue is repeated (its eigenvector is not unique).
    """
    values: Vector = np.linalg.eigvalsh(sym).astype(np.float64)
    _check_gap(values)
    scale = max(1.0, float(np.abs(values).max()))
    shifted = sym - (values[-2] + 1e-13 * scale) * np.eye(sym.shape[0])
    vector: Vector = np.random.default_rng(0).standard_normal((sym.shape[0],))
    for _ in range(INVERSE_ITERATIONS):
        try:
            following: Vector = np.linalg.solve(shifted, vector)
        except np.linalg.LinAlgError:
            break
        following /= np.linalg.norm(following)
        following *= np.sign(following @ vector) or 1.0
        settled = np.abs(following - vector).max() < 1e-15 * sym.shape[0]
        vector = following
        if settled:
            return vector
    full: Matrix = np.linalg.eigh(sym)[1]
    result: Vector = full[:, -2]
    return result


def _check_gap(values: Vector) -> None:
    """The second eigenvector is unique only when its eigenvalue is simple."""
    if values[-1] - values[-2] < EIGEN_GAP:
        raise InvalidInput.single(
            "the region-industry network falls apart into unconnected groups "
            "(eigenvalue 1 is repeated), so complexity is not defined; "
            "compute it for each group separately"
        )
    if values.size >= 3 and values[-2] - values[-3] < EIGEN_GAP:
        raise InvalidInput.single(
            "the second largest eigenvalue of the region-industry network is repeated, "
            "so the complexity ranking is not unique (ties between groups of regions)"
        )


def _correlation_sign(diversity: Vector, kc: Vector) -> float:
    """+1 or -1: the sign that makes ECI grow with diversity (``ecomplexity``'s rule).

    When diversity or the eigenvector does not vary, or the two are uncorrelated, the sign
    would be decided by rounding noise; ``ecomplexity`` then returns an arbitrary sign or NaN.
    """
    scale = float(np.abs(kc).max())
    if np.ptp(diversity) == 0 or np.ptp(kc) <= SIGN_TOLERANCE * scale:
        raise InvalidInput.single(
            "every region has the same diversity (or the same complexity), "
            "so the sign and scale of complexity are not defined"
        )
    correlation = float(np.corrcoef(diversity, kc)[0, 1])
    if not abs(correlation) > SIGN_TOLERANCE:
        raise InvalidInput.single(
            "complexity is uncorrelated with diversity, so its sign is not defined "
            "(the network is too small or too symmetric)"
        )
    return float(np.sign(correlation))


def year_complexity(
    values: Matrix,
    regions: list[str],
    industries: list[str],
    options: ComplexityOptions | None = None,
) -> YearComplexity:
    """Every measure for one year's matrix (no all-zero rows or columns)."""
    opts = options or ComplexityOptions()
    rca = revealed_advantage(values)
    if not np.isfinite(rca).all():
        raise InvalidInput.single(
            "the values span too many orders of magnitude for RCA to be computed in double "
            "precision; expected values in a common unit",
            field="value",
        )
    mcp = presence(rca, opts.rca_threshold)
    diversity = mcp.sum(axis=1)
    ubiquity = mcp.sum(axis=0)
    rows, cols = diversity > 0, ubiquity > 0
    kc_valid, kp_valid = complexity_vectors(mcp[rows][:, cols], diversity[rows], ubiquity[cols])
    kc = np.full(len(regions), np.nan)
    kp = np.full(len(industries), np.nan)
    kc[rows], kp[cols] = kc_valid, kp_valid
    if opts.continuous:
        phi = continuous_proximity(rca)
        dens = density(rca, phi)
    else:
        phi = proximity(mcp, ubiquity)
        dens = density(mcp, phi)
    coi, cog = _outlook(mcp, phi, dens, np.nan_to_num(kp))
    mean, std = kc_valid.mean(), kc_valid.std()
    return YearComplexity(
        regions=regions,
        industries=industries,
        values=values,
        rca=rca,
        mcp=mcp,
        diversity=diversity,
        ubiquity=ubiquity,
        proximity=phi,
        density=dens,
        eci=(kc - mean) / std,
        pci=(kp - mean) / std,
        coi=np.where(rows, _standardise(coi[rows], coi), np.nan),
        cog=cog / std,
    )


def _standardise(valid: Vector, full: Vector) -> Vector:
    """z-score of ``full`` against the mean and (population) spread of ``valid``."""
    spread = valid.std()
    if spread == 0:
        return np.zeros_like(full)
    result: Vector = (full - valid.mean()) / spread
    return result


def _outlook(mcp: Matrix, phi: Matrix, dens: Matrix, kp: Vector) -> tuple[Vector, Matrix]:
    """Complexity outlook (COI: the complexity within reach) and outlook gain (COG: how much
    a new specialisation would add to it), from unstandardised PCI as in ``ecomplexity``."""
    absent = 1 - mcp
    coi: Vector = ((dens * absent) * kp).sum(axis=1)
    cog: Matrix = absent * (absent @ (phi * (kp / phi.sum(axis=1))[:, np.newaxis]))
    return coi, cog


def complexity(frame: pl.DataFrame, options: ComplexityOptions | None = None) -> ComplexityResult:
    """Every measure for every year of a long table ``region, industry, year, value``.

    Each year's matrix holds the regions and industries with a positive total that year; a
    region or industry whose values are all zero that year keeps its input rows in the output,
    with null measures and ``status`` saying why (``ecomplexity`` drops them and re-attaches
    them with NaN). ``region`` and ``industry`` come back as ``pl.Enum`` columns over the
    sorted codes of the input: sorting and writing work as with text, at a fraction of the
    memory of 10^7 repeated strings.

    Raises
    ------
    InvalidInput
        Missing columns, null or negative values, repeated keys, or a degenerate year
        (named), rather than NaN spreading through the results.
    """
    data = checked_values(frame)
    codes = _Codes.of(data)
    coded = data.select(
        _r=pl.col("region").cast(codes.region_type).to_physical(),
        _i=pl.col("industry").cast(codes.industry_type).to_physical(),
        year="year",
        value="value",
    )
    years: dict[int, YearComplexity] = {}
    parts: list[pl.DataFrame] = []
    for year, cells in _by_year(coded):
        result, active, dropped = _year(cells, year, codes, options)
        years[year] = result
        parts.append(_year_table(result, year, active, codes))
        if dropped.height:
            parts.append(dropped)
    table = pl.concat(parts, how="diagonal_relaxed").select(OUTPUT_COLUMNS)
    notes = activity_notes(table)
    if notes:
        table = table.sort("year", "region", "industry")
    return ComplexityResult(table, notes, years)


@dataclass(frozen=True)
class _Codes:
    """Every region and industry code of the input, sorted: positions are matrix indices."""

    regions: list[str]
    industries: list[str]

    @classmethod
    def of(cls, data: pl.DataFrame) -> _Codes:
        return cls(
            sorted(data.get_column("region").unique().to_list()),
            sorted(data.get_column("industry").unique().to_list()),
        )

    @property
    def region_type(self) -> pl.Enum:
        return pl.Enum(self.regions)

    @property
    def industry_type(self) -> pl.Enum:
        return pl.Enum(self.industries)

    def column(self, name: str, positions: npt.NDArray[np.int64]) -> pl.Series:
        """Codes at ``positions`` as an Enum column (a gather, no string copies)."""
        labels = self.regions if name == "region" else self.industries
        return pl.Series(name, labels, dtype=pl.Enum(labels)).gather(positions)


def checked_values(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput.single(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(INPUT_COLUMNS)}"
        )
    data = frame.select(
        pl.col("region").cast(pl.String),
        pl.col("industry").cast(pl.String),
        pl.col("year").cast(pl.Int32),
        pl.col("value").cast(pl.Float64),
    )
    checks = {
        "value": (pl.col("value").is_null() | pl.col("value").is_nan(), "missing value(s)"),
        "infinite": (pl.col("value").is_infinite(), "infinite value(s); expected finite numbers"),
        "negative": (pl.col("value") < 0, "negative value(s); expected >= 0"),
        "region": (pl.col("region").is_null(), "missing region code(s)"),
        "industry": (pl.col("industry").is_null(), "missing industry code(s)"),
        "year": (pl.col("year").is_null(), "missing year(s)"),
    }
    found = data.select(bad.any().alias(name) for name, (bad, _) in checks.items()).row(0)
    problems = [
        Problem(message, field="value" if name in ("negative", "infinite") else name)
        for (name, (_, message)), bad in zip(checks.items(), found, strict=True)
        if bad
    ]
    if problems:
        raise InvalidInput(problems, summary="cannot compute complexity")
    return data


def _by_year(coded: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    for (year,), cells in sorted(coded.partition_by("year", as_dict=True).items()):
        yield int(year), cells


@dataclass(frozen=True)
class _Active:
    """Input-wide positions of the year's matrix rows and columns."""

    regions: npt.NDArray[np.int64]
    industries: npt.NDArray[np.int64]


def _year(
    cells: pl.DataFrame, year: int, codes: _Codes, options: ComplexityOptions | None
) -> tuple[YearComplexity, _Active, pl.DataFrame]:
    """The year's matrix of active regions x industries, and the input rows left out of it."""
    r = cells.get_column("_r").to_numpy().astype(np.int64)
    i = cells.get_column("_i").to_numpy().astype(np.int64)
    v = cells.get_column("value").to_numpy()
    _refuse_repeats(r, i, year, codes)
    region_total = np.bincount(r, weights=v, minlength=len(codes.regions))
    industry_total = np.bincount(i, weights=v, minlength=len(codes.industries))
    if not np.isfinite(region_total.sum()):
        raise InvalidInput.single(
            f"year {year}: the values add up to more than a double can hold; "
            "expected values in a common unit (e.g. thousands)",
            field="value",
        )
    active = _Active(np.flatnonzero(region_total > 0), np.flatnonzero(industry_total > 0))
    if active.regions.size < 2 or active.industries.size < 2:
        raise InvalidInput.single(
            f"year {year}: complexity needs at least 2 regions and 2 industries with a "
            f"positive total; found {active.regions.size} and {active.industries.size}",
            field="value",
        )
    row = np.full(len(codes.regions), -1)
    col = np.full(len(codes.industries), -1)
    row[active.regions] = np.arange(active.regions.size)
    col[active.industries] = np.arange(active.industries.size)
    kept = (row[r] >= 0) & (col[i] >= 0)
    values = np.zeros((active.regions.size, active.industries.size))
    values[row[r[kept]], col[i[kept]]] = v[kept]
    try:
        result = year_complexity(
            values,
            [codes.regions[k] for k in active.regions],
            [codes.industries[k] for k in active.industries],
            options,
        )
    except InvalidInput as exc:
        raise InvalidInput(
            [Problem(f"year {year}: {p.message}", field=p.field) for p in exc.problems],
            summary=f"cannot compute complexity for {year}",
        ) from exc
    left = ~kept
    dropped = pl.DataFrame(
        {
            "region": codes.column("region", r[left]),
            "industry": codes.column("industry", i[left]),
            "year": np.full(int(left.sum()), year, dtype=np.int32),
            "value": v[left],
            "status": np.where(
                row[r[left]] < 0, "region without activity", "industry without activity"
            ),
        }
    )
    return result, active, dropped


def _refuse_repeats(
    r: npt.NDArray[np.int64], i: npt.NDArray[np.int64], year: int, codes: _Codes
) -> None:
    """A repeated (region, industry) key would silently overwrite a cell of the matrix."""
    cell = r * len(codes.industries) + i
    counts = np.bincount(cell)
    if counts.max(initial=0) > 1:
        repeated = np.flatnonzero(counts > 1)
        examples = ", ".join(
            f"{codes.regions[c // len(codes.industries)]} x "
            f"{codes.industries[c % len(codes.industries)]}"
            for c in repeated[:5]
        )
        raise InvalidInput.single(
            f"year {year}: {repeated.size} (region, industry) key(s) appear more than once, "
            f"e.g. {examples}; expected one row per region x industry x year",
            field="region,industry,year",
        )


def _year_table(result: YearComplexity, year: int, active: _Active, codes: _Codes) -> pl.DataFrame:
    """One row per region x industry of the year's matrix, regions then industries sorted."""
    n_r, n_i = result.values.shape
    table = pl.DataFrame(
        {
            "region": codes.column("region", np.repeat(active.regions, n_i)),
            "industry": codes.column("industry", np.tile(active.industries, n_r)),
            "year": np.full(n_r * n_i, year, dtype=np.int32),
            "value": result.values.ravel(),
            "rca": result.rca.ravel(),
            "mcp": result.mcp.ravel().astype(np.int8),
            "diversity": np.repeat(result.diversity, n_i).astype(np.int32),
            "ubiquity": np.tile(result.ubiquity, n_r).astype(np.int32),
            "density": result.density.ravel(),
            "eci": np.repeat(result.eci, n_i),
            "pci": np.tile(result.pci, n_r),
            "coi": np.repeat(result.coi, n_i),
            "cog": result.cog.ravel(),
        },
        nan_to_null=True,
    )
    return table.with_columns(
        status=pl.when(pl.col("eci").is_null())
        .then(pl.lit("region without specialisation"))
        .when(pl.col("pci").is_null())
        .then(pl.lit("industry without specialised region"))
        .otherwise(pl.lit("ok"))
    )


#: Statuses of input rows left out of a year's matrix (listed with null measures).
INACTIVE = ("region without activity", "industry without activity")


def activity_notes(table: pl.DataFrame) -> tuple[str, ...]:
    """Per year, how many regions and rows of industries had no activity (left out)."""
    inactive = table.filter(pl.col("status").is_in(INACTIVE))
    counts = (
        inactive.group_by("year")
        .agg(
            pl.col("region").filter(pl.col("status") == INACTIVE[0]).n_unique().alias("regions"),
            (pl.col("status") == INACTIVE[1]).sum().alias("rows"),
        )
        .sort("year")
    )
    return tuple(
        f"{year}: {regions} region(s) without activity and {rows} row(s) of industries "
        "without activity are listed with null measures"
        for year, regions, rows in counts.iter_rows()
    )
