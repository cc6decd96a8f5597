"""Value cells: the typed cast that reads plain numbers agrees with the classification by
patterns on every cell it takes, and a file mixing both kinds keeps its row order; code
cells are checked in one pass and stripped only when needed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterhub.errors import InvalidInput
from clusterhub.stats import _tables
from clusterhub.stats._tables import parse_values
from clusterhub.stats.sources import read_value_table

_CELLS = st.text(alphabet="0123456789.eE+- \t:cNAinf٣", max_size=6)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_CELLS, min_size=1, max_size=8), flagged=st.booleans())
def test_parsing_agrees_with_the_classification_by_patterns(
    cells: list[str], flagged: bool
) -> None:
    frame = pl.DataFrame({"v": cells, "f": ["p" if flagged else None] * len(cells)})
    flag = "f" if flagged else None
    fast = parse_values(frame, "v", "out", flag)
    assert fast.equals(_tables._classify(frame, "v", "out", flag))


def test_plain_numbers_are_read_by_a_cast_and_the_rest_keep_their_place() -> None:
    frame = pl.DataFrame({"v": ["1", "2.5e3", " 7 ", "3c", "", ":", "1e-400", "-0"]})
    parsed = parse_values(frame, "v", "out")
    assert parsed.get_column("v").to_list() == frame.get_column("v").to_list()
    assert parsed.get_column("out_kind").to_list() == [
        "value", "value", "value", "value", "blank", "not-available", "value", "negative",
    ]  # fmt: skip
    assert parsed.get_column("out").to_list()[:4] == [1.0, 2500.0, 7.0, 3.0]
    assert parsed.get_column("out_flag").to_list()[3] == "c"


def test_codes_with_spaces_around_are_stripped_and_bad_codes_named(tmp_path: Path) -> None:
    good = tmp_path / "spaces.csv"
    good.write_text("region,industry,year,value\n A ,I1, 2020 ,4\nB,I1,2020,1\n", encoding="utf-8")
    frame = read_value_table(good)
    assert frame.rows() == [("A", "I1", 2020, 4.0), ("B", "I1", 2020, 1.0)]
    bad = tmp_path / "bad.csv"
    bad.write_text("region,industry,year,value\nA B,I1,2020,4\nB,I1,20,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_value_table(bad)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {(2, "region"), (3, "year")}
