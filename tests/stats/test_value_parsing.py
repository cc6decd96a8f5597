"""Value cells: the typed cast that reads plain numbers agrees with the classification by
patterns on every cell it takes, and a file mixing both kinds keeps its row order."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterhub.stats import _tables
from clusterhub.stats._tables import parse_values

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
