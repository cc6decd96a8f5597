"""The shared reading path (``clusterhub.input_files``): every kind of damage refused, and where.

Each importer's own tests check that it goes through this path; these check the path itself,
on files written here byte by byte.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import polars as pl
import pytest

from clusterhub import input_files
from clusterhub.errors import MAX_PROBLEMS, InvalidInput, NotFound, Problem
from clusterhub.input_files import (
    DelimitedReader,
    ProblemList,
    TextLines,
    check_delimited,
    check_zip,
    load_json,
    load_yaml,
    read_frame,
    read_rows,
)

GOOD = "a,b,c\n1,2,3\n4,5,6\n"


def _file(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _refused(call: object, *args: object, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def _rows(path: Path, **kwargs: object) -> tuple[list[tuple[int, list[str]]], ProblemList]:
    problems = ProblemList()
    file = read_rows(path, problems=problems, **kwargs)  # type: ignore[arg-type]
    return [(row.line, row.cells) for row in file.rows], problems


# --- problems -----------------------------------------------------------------------------------


def test_a_problem_list_keeps_the_first_and_counts_all() -> None:
    problems = ProblemList(limit=3)
    for line in range(10):
        problems.append(Problem("bad", "f.csv", line))
    assert [p.line for p in problems.kept] == [0, 1, 2] and problems.total == 10
    error = problems.error("f.csv: nothing was imported")
    assert error.total == 10 and len(error.problems) == 3
    assert error.summary == "f.csv: nothing was imported (10 problems; the first 3 are listed)"
    assert "... and 7 more" in str(error)


def test_extend_with_a_total_takes_only_what_it_keeps() -> None:
    taken: list[int] = []

    def lazy() -> object:
        for line in range(1_000_000):
            taken.append(line)
            yield Problem("bad", "f.csv", line)

    problems = ProblemList(limit=5)
    problems.extend(lazy(), total=1_000_000)  # type: ignore[arg-type]
    assert len(taken) == 5 and problems.total == 1_000_000
    assert not ProblemList() and ProblemList().room == MAX_PROBLEMS


def test_invalid_input_is_bounded_even_when_built_from_a_long_list() -> None:
    error = InvalidInput([Problem("bad", line=n) for n in range(1000)], summary="s")
    assert len(error.problems) == MAX_PROBLEMS and error.total == 1000
    assert Problem("m", value="x" * 10_000).value == "x" * 200 + "…"


# --- text ---------------------------------------------------------------------------------------


def test_utf8_with_a_bom_and_gzip_are_read_alike(tmp_path: Path) -> None:
    plain = _file(tmp_path, "plain.csv", "\ufeff" + GOOD)
    zipped = _file(tmp_path, "zipped.csv.gz", gzip.compress(GOOD.encode()))
    assert _rows(plain)[0] == _rows(zipped)[0] == [(2, ["1", "2", "3"]), (3, ["4", "5", "6"])]


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (GOOD.encode("utf-16"), 1, "UTF-16"),
        (b"a,b\n1,2\n3,\xe9\n", 3, "byte 11 of the file (0xE9, byte 3 of this line)"),
        (b"a,b\n1,\x002\n", 2, "NUL bytes"),
    ],
)
def test_text_that_is_not_utf8_is_refused_with_its_line(
    tmp_path: Path, content: bytes, line: int, words: str
) -> None:
    error = _refused(_rows, _file(tmp_path, "x.csv", content))
    assert error.problems[0].line == line and words in str(error), error


def test_a_cut_gzip_stream_is_refused_after_the_lines_read(tmp_path: Path) -> None:
    text = "a,b\n" + "".join(f"{n},{n * 7919 % 104729}\n" for n in range(20_000))
    data = gzip.compress(text.encode())
    path = _file(tmp_path, "cut.csv.gz", data[: len(data) // 2])
    error = _refused(_rows, path)
    assert "cut short" in str(error) and "gzip" in str(error)
    assert error.problems[0].line is not None and 1 < error.problems[0].line < 20_000


def test_a_line_without_end_is_not_read_into_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_files.text, "LINE_LIMIT", 100)
    path = _file(tmp_path, "long.csv", "a,b\n" + "x" * 500 + "\n")
    assert _refused(_rows, path).problems[0].line == 2


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        TextLines(tmp_path / "nothing.csv")


# --- delimited files ----------------------------------------------------------------------------


def test_short_and_long_rows_are_recorded_with_counts_and_not_returned(tmp_path: Path) -> None:
    path = _file(tmp_path, "x.csv", "a,b,c\n1,2\n4,5,6\n7,8,9,10\n")
    rows, problems = _rows(path)
    assert rows == [(3, ["4", "5", "6"])]
    short, long = problems.kept
    assert (short.line, short.field) == (2, "c") and "expected 3 ',' separated fields, found 2" in (
        short.message
    )
    assert (long.line, long.field) == (4, None) and "found 4" in long.message
    assert "'10'" in long.message


def test_an_open_quote_is_refused_at_the_line_it_opens(tmp_path: Path) -> None:
    path = _file(tmp_path, "x.csv", 'a,b\n1,2\n3,"four\nfive\nsix\n')
    error = _refused(_rows, path)
    assert [p.line for p in error.problems] == [3] and "never closed" in str(error)


def test_a_quote_inside_an_unquoted_field_and_an_oversized_field_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = _refused(_rows, _file(tmp_path, "q.csv", 'a,b\n1,"2"x\n'))
    assert error.problems[0].line == 2 and "two quotes" in str(error)
    monkeypatch.setattr(input_files.delimited, "FIELD_LIMIT", 10)
    error = _refused(_rows, _file(tmp_path, "f.csv", "a,b\n1," + "2" * 50 + "\n"))
    assert error.problems[0].line == 2 and "longer than 10 characters" in str(error)


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("", 1, "empty file"),
        ("\n\n", 1, "line 1 is blank"),
        ("a,b,c\n", 2, "no rows after the header"),
        ("a,b,c\n\n,,\n", 2, "no rows after the header"),
        ("a,b,a\n1,2,3\n", 1, "duplicate column(s) a"),
    ],
)
def test_files_without_data_or_with_a_doubled_column_are_refused(
    tmp_path: Path, content: str, line: int, words: str
) -> None:
    error = _refused(_rows, _file(tmp_path, "x.csv", content))
    assert error.problems[-1].line == line and words in str(error), error


def test_a_positional_format_may_repeat_a_column_name(tmp_path: Path) -> None:
    rows, problems = _rows(_file(tmp_path, "x.csv", "a,b,a\n1,2,3\n"), by_position=True)
    assert rows == [(2, ["1", "2", "3"])] and not problems


def test_blank_rows_are_skipped_and_their_lines_kept(tmp_path: Path) -> None:
    problems = ProblemList()
    file = read_rows(_file(tmp_path, "x.csv", "a,b\n1,2\n\n , \n3,4\n"), problems=problems)
    assert [r.line for r in file.rows] == [2, 5] and file.blank == [3, 4] and not problems


def test_the_final_line_break_is_required_unless_the_format_lacks_it(tmp_path: Path) -> None:
    path = _file(tmp_path, "x.csv", "a,b\n1,2\n3,4")
    rows, problems = _rows(path)
    assert len(rows) == 2 and [(p.line, p.field) for p in problems.kept] == [(3, None)]
    assert "add a line break at its end" in problems.kept[0].message
    rows, problems = _rows(path, final_newline=False)
    assert len(rows) == 2 and not problems
    crlf = _file(tmp_path, "crlf.csv", "a,b\r\n1,2\r\n3,4\r")  # cut between \r and \n
    rows, problems = _rows(crlf)
    assert rows == [(2, ["1", "2"]), (3, ["3", "4"])] and not problems


def test_a_frame_is_built_in_chunks_with_the_line_of_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_files.delimited, "FRAME_CHUNK", 2)
    path = _file(tmp_path, "x.csv", 'a,b\n1,2\n\n3,"x\ny"\n5,6\n7,8\n')
    problems = ProblemList()
    frame = read_frame(path, problems=problems)
    assert frame.schema == pl.Schema({"a": pl.String, "b": pl.String, "_line": pl.Int64})
    assert frame.rows() == [("1", "2", 2), ("3", "x\ny", 4), ("5", "6", 6), ("7", "8", 7)]
    assert not problems


def test_check_delimited_refuses_what_the_reader_refuses(tmp_path: Path) -> None:
    check_delimited(_file(tmp_path, "good.csv", GOOD))
    error = _refused(check_delimited, _file(tmp_path, "bad.csv", "a,b\n1\n2,3"))
    assert [p.line for p in error.problems] == [2, 3]


def test_the_reader_works_line_by_line_on_an_open_file(tmp_path: Path) -> None:
    problems = ProblemList()
    with TextLines(_file(tmp_path, "x.tsv", "a\tb\n1\t2\n")) as lines:
        reader = DelimitedReader(lines, separator="\t", problems=problems)
        assert reader.header == ["a", "b"] and [r.cells for r in reader] == [["1", "2"]]


# --- JSON and YAML ------------------------------------------------------------------------------


def test_json_nesting_is_measured_outside_strings(tmp_path: Path) -> None:
    limit = input_files.MAX_DEPTH
    assert load_json(_file(tmp_path, "ok.json", "[" * limit + "]" * limit)) is not None
    error = _refused(load_json, _file(tmp_path, "deep.json", "[\n" * (limit + 1) + "]" * 70))
    assert error.problems[0].line == limit + 1 and "nest" in str(error)
    strings = '["' + "[" * 1000 + '", "\\"[[[", {"k": "{{{{"}]'
    assert load_json(_file(tmp_path, "s.json", strings))[1] == '"[[['


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", 1, "empty file"),
        (b'{"a": [1, 2,\n  3', 2, "cut short"),
        (b'{"a": 1,,}', 1, "not valid JSON"),
        (b"[" + b"9" * 5000 + b"]", None, "not valid JSON"),
        ('{"a": "é"}'.encode("latin-1"), 1, "not UTF-8"),
    ],
)
def test_json_that_cannot_be_read_is_refused_with_its_line(
    tmp_path: Path, content: bytes, line: int | None, words: str
) -> None:
    error = _refused(load_json, _file(tmp_path, "x.json", content))
    assert error.problems[0].line == line and words in str(error), error


def test_a_document_over_its_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = _file(tmp_path, "big.json", "[" + "1," * 1000 + "1]")
    assert "MB" in str(_refused(load_json, path, limit=100))


def test_yaml_aliases_count_as_expanded_and_nesting_is_limited(tmp_path: Path) -> None:
    normal = "base: &b {x: 1, y: 2}\nfirst: *b\nsecond: *b\n"
    assert load_yaml(_file(tmp_path, "ok.yaml", normal))["second"] == {"x": 1, "y": 2}
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcde", "bcdef", strict=True)
    )
    error = _refused(load_yaml, _file(tmp_path, "bomb.yaml", bomb), max_values=100_000)
    assert "alias" in str(error) and error.problems[0].line == 5  # e: 111,111 values
    deep = "x:\n" + "".join("  " * n + "- \n" for n in range(1, 80))
    error = _refused(load_yaml, _file(tmp_path, "deep.yaml", deep))
    assert "nest" in str(error)


def test_yaml_errors_and_empty_documents_name_their_line(tmp_path: Path) -> None:
    error = _refused(load_yaml, _file(tmp_path, "bad.yaml", "a: 1\nb: [2, 3\n"))
    assert error.problems[0].line == 3 and "not valid YAML" in str(error)
    assert "empty file" in str(_refused(load_yaml, _file(tmp_path, "e.yaml", "  \n")))


# --- zip archives -------------------------------------------------------------------------------


def _zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", GOOD * 500)
        archive.writestr("b.csv", "x,y\n" * 500)
    return path.read_bytes()


def test_a_cut_or_corrupted_zip_is_refused(tmp_path: Path) -> None:
    data = _zip(tmp_path / "good.zip")
    check_zip(tmp_path / "good.zip")
    cut = _file(tmp_path, "cut.zip", data[: len(data) // 2])
    assert "damaged or cut short" in str(_refused(check_zip, cut))
    middle = data.index(b"a.csv") + 40  # inside the first member's compressed data
    flipped = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    error = _refused(check_zip, _file(tmp_path, "flipped.zip", flipped))
    assert "damaged or cut short" in str(error)


def test_a_zip_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    _zip(tmp_path / "good.zip")
    error = _refused(check_zip, tmp_path / "good.zip", limit=1000)
    assert "would unpack to" in str(error)
