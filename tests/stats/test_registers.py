"""Establishment registers to cells: layouts, bands, correspondences, every row accounted for.

The files are small but in the published layouts: INSEE's StockEtablissement header, Eurostat's
LAU-to-NUTS workbook (a sheet per country) and TERCET postcode files (values in single quotes).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
from tests.register_files import SIRENE_HEADER, SIRENE_ROWS, sirene, write

from clusterhub.errors import InvalidInput
from clusterhub.stats.registers.cells import Register, register_cells
from clusterhub.stats.registers.layouts import GenericLayout
from clusterhub.stats.registers.places import read_places
from clusterhub.stats.sources import read_long_table


@pytest.fixture
def lau(tmp_path: Path) -> pl.DataFrame:
    lines = ["NUTS 3 CODE;LAU CODE;LAU NAME NATIONAL", "FR101;75056;Paris", "FRK26;69123;Lyon"]
    return read_places(write(tmp_path / "lau.csv", lines))


def test_sirene_rows_are_placed_classed_and_counted(tmp_path: Path, lau: pl.DataFrame) -> None:
    result = register_cells(sirene(tmp_path), lau, level=3, year=2021)
    cells = {(r["region_code"], r["industry_code"]): r for r in result.cells.iter_rows(named=True)}
    assert set(cells) == {("FR101", "62.01"), ("FRK26", "62.02"), ("FRK26", "29.10")}
    paris = cells["FR101", "62.01"]
    # Two active establishments in Paris (one in an arrondissement): 34.5 + 1.5 by midpoints.
    assert paris["employment"] == 36.0
    assert paris["establishments"] == 2.0
    assert paris["imputed"] == "size-class"
    assert paris["estimated_employment"] == 36.0
    assert cells["FRK26", "29.10"]["employment"] == 10_000.0
    # An establishment without a band counts as an establishment, its employment unknown.
    assert cells["FRK26", "62.02"]["employment"] is None
    assert cells["FRK26", "62.02"]["establishments"] == 1.0
    placement = result.placement
    assert (placement.rows, placement.placed, placement.unknown_employment) == (9, 4, 1)
    assert placement.not_placed == {
        "activity in an older nomenclature (not NAF rev. 2)": 1,
        "closed establishment": 1,
        "establishment abroad": 1,
        "location not in the correspondence": 1,
        "no location code": 1,
    }
    assert sum(placement.not_placed.values()) + placement.placed == placement.rows


def test_cells_at_nuts_2(tmp_path: Path, lau: pl.DataFrame) -> None:
    cells = register_cells(sirene(tmp_path), lau, level=2, year=2021).cells
    assert sorted(cells.get_column("region_code").unique()) == ["FR10", "FRK2"]


@pytest.mark.parametrize(
    ("row", "field", "expected"),
    [
        ("10,1,00000001000001,A,12,2021,62.01,NAFRev2,75056,", "activitePrincipale", "activity"),
        ("10,1,00000001000001,A,99,2021,62.01Z,NAFRev2,75056,", "trancheEffectifs", "size band"),
    ],
)
def test_malformed_values_are_named_by_line_and_field(
    tmp_path: Path, lau: pl.DataFrame, row: str, field: str, expected: str
) -> None:
    register = sirene(tmp_path, [*SIRENE_ROWS[:2], row])
    with pytest.raises(InvalidInput, match=expected) as error:
        register_cells(register, lau, level=3, year=2021)
    problem = error.value.problems[0]
    assert problem.line == 4  # the header is line 1
    assert problem.field is not None
    assert problem.field.startswith(field)
    assert problem.file == str(register.path)


def test_a_missing_column_is_named(tmp_path: Path, lau: pl.DataFrame) -> None:
    header = SIRENE_HEADER.replace("codeCommuneEtablissement", "commune")
    register = Register(write(tmp_path / "s.csv", [header, SIRENE_ROWS[0]]), "sirene")
    with pytest.raises(InvalidInput, match="codeCommuneEtablissement") as error:
        register_cells(register, lau, level=3, year=2021)
    assert error.value.problems[0].line == 1


def test_parquet_reads_as_the_csv_does(tmp_path: Path, lau: pl.DataFrame) -> None:
    csv = sirene(tmp_path)
    parquet = tmp_path / "stock.parquet"
    pl.read_csv(csv.path, infer_schema=False).write_parquet(parquet)
    from_csv = register_cells(csv, lau, level=3, year=2021)
    from_parquet = register_cells(Register(parquet, "sirene"), lau, level=3, year=2021)
    assert from_parquet.cells.equals(from_csv.cells)
    assert from_parquet.placement == from_csv.placement


def test_generic_layout_counts_bands_and_codes(tmp_path: Path, lau: pl.DataFrame) -> None:
    lines = [
        "id,activity,location,employees,band,wages",
        "a,6201,75056,12,,480000",
        "b,62.01,75056,,10-19,",
        "c,62.01,75056,,1000+,",
        "d,2910,69123,3,,90000",
    ]
    register = Register(write(tmp_path / "g.csv", lines), "generic", GenericLayout("nace"))
    cells = register_cells(register, lau, level=3, year=2023).cells.sort("region_code")
    paris, lyon = cells.row(0, named=True), cells.row(1, named=True)
    assert (paris["industry_code"], paris["employment"]) == ("62.01", 12 + 14.5 + 1000)
    assert paris["estimated_employment"] == 14.5 + 1000
    assert paris["wages"] == 480_000.0
    assert (lyon["employment"], lyon["imputed"], lyon["estimated_employment"]) == (3.0, None, 0.0)


def test_generic_naics_and_a_bad_code(tmp_path: Path, lau: pl.DataFrame) -> None:
    lines = ["id,activity,location,employees", "a,541511,75056,4", "b,5415,75056,2"]
    register = Register(write(tmp_path / "n.csv", lines), "generic", GenericLayout("naics", "2017"))
    with pytest.raises(InvalidInput, match="'5415'") as error:
        register_cells(register, lau, level=3, year=2023)
    assert (error.value.problems[0].line, error.value.problems[0].field) == (3, "activity")


def test_nace_other_than_rev2_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"NACE Rev\.2"):
        GenericLayout("nace", "1.1")


def test_lau_workbook_with_a_sheet_per_country(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "FR"
    for row in (["NUTS 3 CODE", "LAU CODE", "LAU NAME NATIONAL"], ["FR101", "75056", "Paris"]):
        first.append(row)
    second = book.create_sheet("BE")
    for row in (["NUTS 3 CODE", "LAU CODE", "LAU NAME NATIONAL"], ["BE100", "21004", "Bruxelles"]):
        second.append(row)
    book.create_sheet("Notes").append(["Source: Eurostat"])
    book.save(tmp_path / "EU-27-LAU-2021-NUTS-2021.xlsx")
    places = read_places(tmp_path / "EU-27-LAU-2021-NUTS-2021.xlsx")
    assert places.rows() == [("21004", "BE100"), ("75056", "FR101")]


def test_tercet_postcodes_with_quoted_values(tmp_path: Path) -> None:
    path = write(tmp_path / "pc2020_FR_NUTS-2021_v1.0.csv", ["CODE;NUTS3", "'75001';'FR101'"])
    assert read_places(path).rows() == [("75001", "FR101")]


def test_a_location_in_two_regions_and_a_bad_code_are_refused(tmp_path: Path) -> None:
    lines = ["NUTS3;CODE", "FR101;75001", "FR102;75001", "F1;75002"]
    with pytest.raises(InvalidInput) as error:
        read_places(write(tmp_path / "pc.csv", lines))
    messages = [(p.line, p.field) for p in error.value.problems]
    assert (4, "NUTS 3") in messages
    assert (3, "location") in messages


def test_cells_written_and_read_back_as_a_long_table_keep_their_estimates(
    tmp_path: Path, lau: pl.DataFrame
) -> None:
    cells = register_cells(sirene(tmp_path), lau, level=3, year=2021).cells
    for name in ("cells.parquet", "cells.csv"):
        path = tmp_path / name
        cells.write_parquet(path) if name.endswith("parquet") else cells.write_csv(path)
        read, report = read_long_table(path)
        assert read.sort("region_code", "industry_code").equals(cells), name
        assert report.missing == 1  # Lyon 62.02: an establishment without a band


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("imputed", "guessed", "unknown estimate mark; expected blank or parent-residual"),
        ("estimated_employment", "x", "not a number"),
        ("estimated_employment", "40", "more than the cell's employment"),
    ],
)
def test_long_table_estimates_are_checked_by_line_and_field(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    rows = {"imputed": "size-class", "estimated_employment": "36"} | {column: value}
    lines = [
        "region_code,industry_code,year,employment,imputed,estimated_employment",
        "FR101,62.02,2021,3,,0",
        f"FR101,62.01,2021,36,{rows['imputed']},{rows['estimated_employment']}",
    ]
    with pytest.raises(InvalidInput, match=expected) as error:
        read_long_table(write(tmp_path / "cells.csv", lines))
    problem = error.value.problems[0]
    assert (problem.line, problem.field, problem.value) == (3, column, value)
