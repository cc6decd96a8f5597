"""The synthetic SIRENE-shaped register: marked synthetic, real codes, every row accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from benchmarks import synthetic_register
from clusterhub.config import get_settings
from clusterhub.stats.registers.cells import Register, register_cells
from clusterhub.stats.registers.layouts import SIRENE_COLUMNS
from clusterhub.stats.registers.places import read_places


def test_a_small_register_in_parts_reads_as_sirene(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()
    monkeypatch.setattr(synthetic_register, "CHUNK_ROWS", 10_000)
    synthetic_register.write_register(tmp_path, rows=30_000, seed=3)
    folder = tmp_path / "SYNTHETIC-sirene"
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == 3
    assert all("SYNTHETIC" in pl.read_parquet_metadata(p)["SYNTHETIC"] for p in parts)
    assert "not real establishments" in (folder / "_SYNTHETIC.txt").read_text(encoding="utf-8")
    assert set(SIRENE_COLUMNS.values()) <= set(pl.read_parquet_schema(parts[0]))

    places = read_places(tmp_path / "SYNTHETIC-lau-nuts3.csv")
    result = register_cells(Register(folder, "sirene"), places, level=3, year=2021)
    placement = result.placement
    assert placement.rows == 30_000
    assert placement.placed + sum(placement.not_placed.values()) == 30_000
    assert set(placement.not_placed) == {
        "activity in an older nomenclature (not NAF rev. 2)",
        "closed establishment",
        "establishment abroad",
        "location not in the correspondence",
        "no location code",
    }
    assert 0.53 < placement.not_placed["closed establishment"] / 30_000 < 0.57

    geojson = shared_data / "eu" / "nuts2021" / "NUTS_RG_60M_2021_4326_LEVL_3.geojson"
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    real = {f["properties"]["NUTS_ID"] for f in features}
    assert set(result.cells.get_column("region_code")) <= real
    nace = pl.read_csv(shared_data / "eu" / "nace_rev2.csv", infer_schema=False)
    classes = set(nace.filter(pl.col("Level") == "4").get_column("nace2"))
    assert set(result.cells.get_column("industry_code")) <= classes
    # Most active establishments employ no one (no band, NN or 00); few employ 50 or more.
    bands = (
        pl.scan_parquet(folder / "*.parquet")
        .filter(pl.col("etatAdministratifEtablissement") == "A")
        .select(band=pl.col("trancheEffectifsEtablissement").fill_null(""))
        .collect()
        .get_column("band")
    )
    fifty_or_more = ["21", "22", "31", "32", "41", "42", "51", "52", "53"]
    assert bands.is_in(["", "NN", "00"]).sum() > 0.7 * bands.len()
    assert 0 < bands.is_in(fifty_or_more).sum() < 0.02 * bands.len()
