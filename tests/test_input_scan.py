"""The strict reader's fast path (``clusterhub.input_files.scan``) reads exactly what the
line-by-line reader reads, and hands it every file it would refuse or read specially."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clusterhub.errors import InvalidInput
from clusterhub.input_files import FIELD_LIMIT, ProblemList, read_frame, read_rows
from clusterhub.input_files import scan as scan_module
from clusterhub.input_files.scan import scan, scan_file


def _strict(path: Path, separator: str = ",") -> list[tuple[object, ...]] | str:
    """What the line-by-line reader makes of ``path``: its rows with their lines, or the
    first problem's text when it refuses the file."""
    problems = ProblemList()
    try:
        read = read_rows(path, separator=separator, problems=problems)
    except InvalidInput as error:
        return str(error)
    if problems:
        return str(problems.error("refused"))
    return [(*row.cells, row.line) for row in read.rows]


@pytest.mark.parametrize(
    "content",
    [
        b"a,b,c\n1,2,3\n4,5,6\n",
        b"\xef\xbb\xbfa, b ,c\r\n1, 2 ,\r\n,,x\r\n",
        "région,valeur\nÎle-de-France,1\n".encode(),
        b"a,b\n 1 ,\t2\n",
    ],
)
def test_a_sound_file_is_read_by_the_fast_path_as_the_strict_reader_reads_it(
    tmp_path: Path, content: bytes
) -> None:
    for name, data in (("plain.csv", content), ("packed.csv.gz", gzip.compress(content))):
        path = tmp_path / name
        path.write_bytes(data)
        sound = scan_file(path, ",", field_limit=FIELD_LIMIT)
        assert sound is not None
        frame = read_frame(path, problems=ProblemList())
        assert frame.schema["_line"] == pl.Int64
        assert frame.rows() == _strict(path)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"a,b\n1,2", "no final line break"),
        (b"a,b\n1,2\n3\n", "a short row"),
        (b"a,b\n1,2,3\n", "a long row"),
        (b"a,b\n1,2\n\n3,4\n", "a blank line"),
        (b"a,b\n1,2\n , \n", "a row of spaces"),
        (b'a,b\n1,"2"\n', "a quoted field"),
        (b"a,b\n1,2\r3,4\n", "a lone carriage return"),
        (b"a,b\n1,\xff\n", "not UTF-8"),
        (b"a,b\n1,\x00\n", "a NUL byte"),
        (b"\xff\xfea\x00,\x00b\x00\n\x00", "UTF-16"),
        (b"a,a\n1,2\n", "a doubled column"),
        (b"a,\n1,2\n", "a blank column name"),
        (b"a,b\n", "a header only"),
        (b"", "an empty file"),
        (b"a,b\n1,\xc2\xa0\n\xc2\xa0,\xc2\xa0\n", "a row of non-ASCII spaces only"),
    ],
)
def test_anything_unusual_goes_to_the_strict_reader(
    tmp_path: Path, content: bytes, why: str
) -> None:
    assert scan(content, ",", FIELD_LIMIT) is None, why


def test_a_cut_gzip_stream_and_a_long_line_go_to_the_strict_reader(tmp_path: Path) -> None:
    packed = tmp_path / "cut.csv.gz"
    packed.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:-30])
    assert scan_file(packed, ",", field_limit=FIELD_LIMIT) is None
    assert scan(b"a,b\n1,22222\n", ",", field_limit=4) is None


def test_utf8_is_checked_in_chunks_across_their_edges() -> None:
    text = "é,ü\n".encode() * 5
    assert scan_module._utf8(text, chunk=3)
    assert not scan_module._utf8(text + b"\xc3", chunk=3)
    assert not scan_module._utf8(b"ab\xffcd", chunk=2)


def test_a_file_over_the_scan_limit_is_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n")
    monkeypatch.setattr(scan_module, "SCAN_LIMIT", 4)
    assert scan_file(path, ",", field_limit=FIELD_LIMIT) is None
    assert read_frame(path, problems=ProblemList()).rows() == [("1", "2", 2)]


_CELL = st.text(alphabet='ab1 ,;\t"\r\n\xa0é', max_size=4)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=3), min_size=1, max_size=5),
    separator=st.sampled_from([",", ";", "\t"]),
    ending=st.sampled_from(["\n", "\r\n", ""]),
)
def test_the_fast_path_never_reads_otherwise_than_the_strict_reader(
    tmp_path: Path, rows: list[list[str]], separator: str, ending: str
) -> None:
    text = "\n".join(separator.join(cells) for cells in rows) + ending
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode("utf-8"))
    sound = scan_file(path, separator, field_limit=FIELD_LIMIT)
    event("fast path" if sound is not None else "strict reader")
    frame = None if sound is None else sound.frame(separator)
    if frame is not None:
        assert frame.rows() == _strict(path, separator)
