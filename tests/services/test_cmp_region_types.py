"""Every CMP region type: states, counties, metropolitan/micropolitan areas, economic areas.

The project publishes one layout for all of them; the reader takes the type from the file
(``region_type_t``) and checks the codes against it. Only the state file is here as real data
(``test_cmp_reproduction`` reproduces its published flags); the other types are tested on
files in the same layout: the real state rows relabelled as another type (the published shares,
LQs and flags unchanged, so the flags must reproduce exactly as on states), and small files
that must be recognised, or refused with the line and field when codes or types do not fit.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clusterhub.errors import InvalidInput
from clusterhub.services.observatory.analytics import MapRequest, build_cluster_map
from clusterhub.services.reference import ReferenceData
from clusterhub.stats.sources import read_cmp_states
from tests.shipped import shipped

#: A code of each type per state FIPS code (unique, shaped as that type's real codes).
CODES = {
    "state": pl.col("region_code_t"),
    "county": pl.col("region_code_t") + "001",
    "msa": (pl.col("region_code_t").cast(pl.Int32) * 100 + 10000).cast(pl.String),
    "economic": pl.col("region_code_t").cast(pl.Int32).cast(pl.String),
}


def _as_type(path: Path, kind: str, *, regions: int | None = None) -> Path:
    """The real state file relabelled as region type ``kind`` (optionally its first regions)."""
    frame = pl.read_csv(shipped("cmp-states"), infer_schema=False)
    if regions is not None:
        keep = frame["region_code_t"].unique(maintain_order=True).head(regions)
        frame = frame.filter(pl.col("region_code_t").is_in(keep.to_list()))
    frame = frame.with_columns(
        region_code_t=CODES[kind],
        region_type_t=pl.lit(kind),
        region_area_type_t=pl.lit(kind),
        region_name_t=pl.col("region_name_t") + f" ({kind})",
    )
    frame.write_csv(path)
    return path


@pytest.mark.parametrize("kind", ["state", "county", "msa", "economic"])
def test_strong_and_strong10_are_reproduced_the_same_way_on_each_region_type(
    kind: str, tmp_path: Path, shipped_reference: ReferenceData
) -> None:
    path = _as_type(tmp_path / f"cmp_{kind}.csv", kind)
    published = read_cmp_states(path).published
    rated = build_cluster_map(MapRequest(source="cmp-states", input_path=path), shipped_reference)
    traded = rated.table.filter(pl.col("traded")).join(
        published.rename({"strong": "strong_pub", "strong10": "strong10_pub"}),
        on=["region_code", "cluster_code", "year"],
    )
    assert traded.height == 2550
    assert set(traded["region_type"]) == {kind}
    for flag in ("strong", "strong10"):
        differing = traded.filter(pl.col(flag) != pl.col(f"{flag}_pub"))
        assert differing.is_empty(), differing.select("region_code", "cluster_code", flag)
    assert traded["strong"].sum() == 512 and traded["strong10"].sum() == 209


@pytest.mark.parametrize("kind", ["county", "msa", "economic"])
def test_small_files_of_each_region_type_are_recognised(kind: str, tmp_path: Path) -> None:
    cmp = read_cmp_states(_as_type(tmp_path / f"{kind}.csv", kind, regions=3))
    assert set(cmp.cells["region_type"]) == {kind}
    assert cmp.cells["region_code"].n_unique() == 3
    assert cmp.cells.height == 3 * 67  # 51 traded and 16 local clusters per region
    # The national benchmark is recovered from the shares, not summed from three regions.
    assert abs(cmp.traded_total - 45_242_100) < 100


def _refusal(path: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_cmp_states(path)
    return str(caught.value)


def test_a_file_mixing_region_types_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    counties = pl.read_csv(_as_type(tmp_path / "c.csv", "county", regions=2), infer_schema=False)
    states = pl.read_csv(_as_type(tmp_path / "s.csv", "state", regions=2), infer_schema=False)
    mixed = tmp_path / "mixed.csv"
    pl.concat([counties, states]).write_csv(mixed)
    message = _refusal(mixed)
    assert "expected one region type per file, found county, state" in message
    assert "mixed.csv" in message and "region_type_t" in message


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("county", "01", "expected a 5-digit county FIPS code (region type county)"),
        ("state", "01001", "expected a 2-digit state FIPS code (region type state)"),
        ("economic", "1234", "expected a BEA economic area number (region type economic)"),
    ],
)
def test_codes_that_do_not_fit_the_region_type_are_refused_with_their_line(
    kind: str, code: str, expected: str, tmp_path: Path
) -> None:
    frame = pl.read_csv(_as_type(tmp_path / "f.csv", kind, regions=2), infer_schema=False)
    bad = tmp_path / "bad.csv"
    frame.with_row_index().with_columns(
        region_code_t=pl.when(pl.col("index") == 4).then(pl.lit(code)).otherwise("region_code_t")
    ).drop("index").write_csv(bad)
    message = _refusal(bad)
    assert expected in message
    assert "bad.csv:6, field 'region_code_t'" in message  # row 5 of the data, after the header


def test_an_unknown_region_type_is_refused(tmp_path: Path) -> None:
    frame = pl.read_csv(_as_type(tmp_path / "f.csv", "state", regions=1), infer_schema=False)
    bad = tmp_path / "bad.csv"
    frame.with_columns(region_type_t=pl.lit("province")).write_csv(bad)
    assert "expected a CMP region type (state, county, msa, economic)" in _refusal(bad)
