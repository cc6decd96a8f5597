"""Statistics and indicator files damaged in transit are refused, never read short.

Each case starts from a real file (the mirror's SBS extract, the CMP related pairs) or one of
the test fixtures, damages it the way downloads and spreadsheets do, and expects a refusal that
names the file and line, rather than a file read with its last number cut or a raw exception.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from clusterhub.errors import InvalidInput
from clusterhub.stats.indicator_sources import read_eurostat_indicator
from clusterhub.stats.relatedness import read_cmp_related
from clusterhub.stats.sources import read_long_table, read_sbs_csv, read_sdmx_csv

DATA = Path(__file__).resolve().parents[1] / "data"
#: Problems listed in an error; the rest are counted.
MAX_PROBLEMS = 200


def _refused(reader: object, path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        reader(path)  # type: ignore[operator]
    assert all(p.file == str(path) for p in caught.value.problems), caught.value
    return caught.value


def test_sbs_cut_inside_its_last_number_is_refused(shared_data: Path, tmp_path: Path) -> None:
    content = (shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv").read_bytes()
    path = tmp_path / "sbs.csv"
    path.write_bytes(content.rstrip(b"\n")[:-2])
    error = _refused(read_sbs_csv, path)
    assert error.problems[0].line == content.count(b"\n"), error
    assert "line break" in str(error)


def test_a_gzipped_file_cut_short_is_refused(shared_data: Path, tmp_path: Path) -> None:
    content = gzip.compress((shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv").read_bytes())
    path = tmp_path / "sbs.csv.gz"
    path.write_bytes(content[: len(content) // 2])
    error = _refused(read_sbs_csv, path)
    assert "gzip" in str(error) and "cut short" in str(error)
    assert error.problems[0].line is not None and error.problems[0].line > 1


def test_an_unterminated_quote_at_the_end_is_refused(tmp_path: Path) -> None:
    content = (DATA / "src_sdmx.csv").read_text(encoding="utf-8")
    path = tmp_path / "sdmx.csv"
    path.write_text(
        content + 'ESTAT:X,08/02/24 23:00:00,A,V16110,C20,FR,2015,400,"p\n', encoding="utf-8"
    )
    error = _refused(read_sdmx_csv, path)
    assert error.problems[0].line == content.count("\n") + 1
    assert "quote" in str(error)


def test_empty_and_header_only_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in str(_refused(read_long_table, empty))
    header = tmp_path / "header.csv"
    header.write_text("region_code,industry_code,year,employment\n", encoding="utf-8")
    error = _refused(read_long_table, header)
    assert "no rows" in str(error) and error.problems[0].line == 2


def test_utf16_and_latin1_files_are_refused_naming_the_line(tmp_path: Path) -> None:
    text = (DATA / "src_long.csv").read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    assert "UTF-16" in str(_refused(read_long_table, utf16))
    latin = tmp_path / "latin.csv"
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + "\xe9\n"
    latin.write_bytes("".join(lines).encode("latin-1"))
    error = _refused(read_long_table, latin)
    assert error.problems[0].line == 3 and "byte" in str(error)


def test_a_tsv_without_its_final_line_break_is_refused(tmp_path: Path) -> None:
    content = (DATA / "scoreboard" / "rd_e_gerdreg.tsv").read_text(encoding="utf-8")
    path = tmp_path / "cut.tsv"
    path.write_text(content.rstrip("\n"), encoding="utf-8")
    with pytest.raises(InvalidInput, match="line break"):
        read_eurostat_indicator(path, filters={"sectperf": "TOTAL", "unit": "PC_GDP"})


def test_deeply_nested_json_is_refused_without_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "pairs.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    error = _refused(read_cmp_related, path)
    assert "nest" in str(error)


_MILLION = r"""
import json, re, sys, time
from pathlib import Path
from clusterhub.errors import InvalidInput
from clusterhub.stats.indicator_sources import read_indicator_csv
def peak_mib():  # this process's own high-water mark (ru_maxrss would include the parent's)
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024
start = time.perf_counter()
try:
    read_indicator_csv(Path(sys.argv[1]), levels={"eqi": "region"})
except InvalidInput as error:
    print(json.dumps({"seconds": time.perf_counter() - start, "listed": len(error.problems),
                      "total": error.total, "summary": error.summary, "chars": len(str(error)),
                      "peak_mib": peak_mib()}))
"""


def test_a_million_duplicate_indicator_rows_give_a_bounded_error(tmp_path: Path) -> None:
    """Read in a process of its own, so its peak memory (Polars' included) is its own."""
    path = tmp_path / "dupes.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("region,indicator,year,value\n")
        handle.writelines("DE11,eqi,2021,1\n" for _ in range(1_000_000))
    done = subprocess.run(
        [sys.executable, "-c", _MILLION, str(path)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert (result["listed"], result["total"]) == (MAX_PROBLEMS, 999_999)
    assert "999,999" in result["summary"]
    assert result["chars"] < 10_000
    assert result["seconds"] < 30, result
    # The file is 16 MB; Python, Polars and the frame of a million rows take ~300 MiB.
    assert result["peak_mib"] < 600, result
