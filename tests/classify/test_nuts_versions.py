"""NUTS versions from the real JRC matrices and Eurostat change tables."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from clusterhub.classify import NutsHistory
from clusterhub.classify.nuts_changes import read_change_table, tidy_label
from clusterhub.classify.nuts_versions import MATRICES, fold
from clusterhub.errors import InvalidInput, NotFound
from clusterhub.services.reference import ReferenceData


@pytest.fixture(scope="module")
def history(reference: ReferenceData) -> NutsHistory:
    return reference.nuts_history


def test_the_shipped_matrices_are_the_jrc_files_unaltered(shared_data: Path) -> None:
    folder = shared_data / "eu" / "nuts_versions" / "jrc_conversion_matrices"
    shipped = sorted(MATRICES.glob("*.csv.gz"))
    assert len(shipped) == 12
    for path in shipped:
        assert path.stat().st_size < 100_000
        original = folder / path.name.removesuffix(".gz")
        assert gzip.decompress(path.read_bytes()) == original.read_bytes(), path.name


def test_toulouse_region_resolves_by_old_and_new_code_and_name(history: NutsHistory) -> None:
    line = history.lineage("FR62")
    assert line is not None and line.version == "2013" and line.name == "Midi-Pyrénées"
    assert [(s.code, s.share) for s in line.successors] == [("FRJ2", 1.0)]
    assert line.change == "recoded"
    assert history.find("FRJ2") == ["FRJ2"]
    assert history.find("fr62") == ["FRJ2"]
    assert "FRJ2" in history.find("Midi-Pyrenees")  # accents and case ignored
    assert "FRJ" in history.find("Occitanie")
    # The 2016 name of FRJ, gone in 2021, still finds it.
    assert "FRJ" in history.find("Languedoc-Roussillon-Midi")


def test_a_split_region_names_its_successors_with_population_shares(history: NutsHistory) -> None:
    line = history.lineage("PL12")
    assert line is not None and len(line.successors) == 2
    shares = {s.code: s.share for s in line.successors}
    assert set(shares) == {"PL91", "PL92"}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["PL91"] == pytest.approx(3030917.2 / (3030917.2 + 2353802.9))
    assert "split into new PL91 and PL92" in (line.change or "")


def test_codes_of_2006_and_2010_resolve_too(history: NutsHistory) -> None:
    line = history.lineage("DE41")  # Brandenburg-Nordost, merged into DE40 in 2011
    assert line is not None and line.version == "2006"
    assert [s.code for s in line.successors] == ["DE40"]
    assert history.lineage("XX99") is None
    with pytest.raises(NotFound):
        history.shares("FR62", "2021")


def test_slivers_of_digitised_boundaries_are_not_splits(history: NutsHistory) -> None:
    # CZ02 sheds 105 inhabitants to CZ03 in the matrix: a boundary drawn differently.
    assert history.shares("CZ02", "2013") == [("CZ02", 1.0)]
    assert len(history.shares("CZ02", "2013", min_share=0.0)) == 2


def test_the_sbs_file_is_read_as_nuts_2013(history: NutsHistory) -> None:
    assert history.source_version(["FR62", "DE11", "PL12", "HR04", "DE40"]) == "2013"
    assert history.source_version(["FRJ2", "DE11", "PL91"]) == "2021"


def test_children_are_the_current_regions_one_level_down(history: NutsHistory) -> None:
    assert history.children("FRJ") == ("FRJ1", "FRJ2")
    assert history.children("PL9") == ("PL91", "PL92")


def test_change_tables_are_read_with_names_and_notes(shared_data: Path) -> None:
    folder = shared_data / "eu" / "nuts_versions"
    table = read_change_table(folder / "NUTS2013-NUTS2016.xlsx", "2013", "2016")
    rows = {(c, v): (n, ch) for c, v, n, ch in table.iter_rows()}
    assert rows["FR62", "2013"] == ("Midi-Pyrénées", "recoded")
    assert rows["FR2", "2013"][0] == "Bassin Parisien"  # written in capitals in the workbook
    with pytest.raises(InvalidInput, match="2013→2016 and 2016→2021"):
        read_change_table(folder / "NUTS2013-NUTS2016.xlsx", "2010", "2013")
    with pytest.raises(InvalidInput, match="expected a sheet"):
        read_change_table(folder / "NUTS2013-NUTS2016.xlsx", "2016", "2021")


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "NUTS2013-NUTS2016.xlsx"
    path.write_text("code;name\n")
    with pytest.raises(InvalidInput, match="not a readable XLSX workbook"):
        read_change_table(path, "2013", "2016")


def test_labels_in_capitals_are_written_as_names() -> None:
    assert tidy_label("RÉGION DE BRUXELLES-CAPITALE") == "Région de Bruxelles-Capitale"
    assert tidy_label("  Midi-Pyrénées ") == "Midi-Pyrénées"
    assert fold("Midi-Pyrénées") == fold("midi pyrenees") == "midi pyrenees"
