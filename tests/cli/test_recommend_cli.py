"""``clusterhub recommend partners`` on files (the CSV it writes, newcomers from a profile CSV,
queries files refused with their line and field) and on the platform's database (``--org``)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import get_settings
from clusterhub.errors import InvalidInput
from clusterhub.services.recommend.files import OUTPUT_COLUMNS, read_queries
from clusterhub.store.db import make_engine, make_session_factory, transaction
from tests.cli.database import commands_database
from tests.services.recommend.stored_world import store_world
from tests.services.recommend.world import world

runner = CliRunner()


@pytest.fixture(scope="module")
def cordis_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The synthetic world until 2019 in the CORDIS layout (PICs are numbers there)."""
    folder = tmp_path_factory.mktemp("recommend")
    data = world().until(2019)
    pics = {org: str(900_000_000 + i) for i, org in enumerate(sorted(data.organisations()))}
    rows = data.rows.select(
        pl.col("project").alias("rcn"),
        pl.lit("participant").alias("role"),
        pl.col("org").replace_strict(pics).alias("pic"),
        "type",
        pl.lit("1000").alias("contribution"),
        "country",
        pl.format("{}-03-01", pl.col("year")).alias("start_date"),
        pl.format("{}-02-28", pl.col("year") + 3).alias("end_date"),
        pl.lit("5000").alias("max_contribution"),
        pl.lit("6000").alias("total_cost"),
    )
    participations, parts = folder / "participations.csv", folder / "parts.csv"
    rows.write_csv(participations)
    data.parts.rename({"project": "rcn", "part": "programme_part"}).write_csv(parts)
    return participations, parts, pics


def test_partners_are_written_with_their_reasons(
    cordis_files: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    participations, parts, pics = cordis_files
    queries = tmp_path / "queries.txt"
    chosen = [pics[org] for org in sorted(pics)[:: len(pics) // 2][:2]]
    queries.write_text(f"# two of them\n{chosen[0]}\n\n{chosen[1]}\n{chosen[0]}\n")
    out = tmp_path / "recs.csv"
    result = runner.invoke(app, [
        "recommend", "partners", "--participations", str(participations),
        "--programme-parts", str(parts), "--queries", str(queries), "--top", "7",
        "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == OUTPUT_COLUMNS
    assert [r["query"] for r in table] == [chosen[0]] * 7 + [chosen[1]] * 7
    assert [r["rank"] for r in table[:7]] == [str(i) for i in range(1, 8)]
    assert all(r["partner"] not in chosen[:1] or r["query"] != chosen[0] for r in table)
    assert all(r["reasons"] for r in table)


def test_newcomers_come_with_a_profile(
    cordis_files: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    participations, parts, _ = cordis_files
    queries = tmp_path / "newcomers.csv"
    queries.write_text("query,type,country,programme_parts\n1,PRC,FR,P1\n2,REC,DE,P0|P3\n")
    out = tmp_path / "recs.csv"
    result = runner.invoke(app, [
        "recommend", "partners", "--participations", str(participations),
        "--programme-parts", str(parts), "--queries", str(queries), "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out, schema_overrides={"query": pl.Utf8})
    assert table.group_by("query").len().sort("query")["len"].to_list() == [10, 10]


def test_a_bad_queries_file_is_refused_with_its_line(
    cordis_files: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    participations, _, _ = cordis_files
    queries = tmp_path / "queries.txt"
    queries.write_text("123\n456, 789\n")
    result = runner.invoke(app, [
        "recommend", "partners", "--participations", str(participations),
        "--queries", str(queries), "--out", str(tmp_path / "out.csv"),
    ])  # fmt: skip
    assert result.exit_code == 1
    assert "queries.txt:2: expected one organisation id per line" in result.output
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        ("query,type,country,programme_parts\n1,PRC,FR,P1\n2,SME,DE,P0\n", 3, "type"),
        ("query,type,country,programme_parts\n1,PRC,France,P1\n", 2, "country"),
        ("query,type,country,programme_parts\n,PRC,FR,P1\n", 2, "query"),
        ("pic,type\n1,PRC\n", 1, None),
    ],
)
def test_profile_queries_name_line_and_field(
    tmp_path: Path, content: str, line: int, field: str | None
) -> None:
    path = tmp_path / "q.csv"
    path.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        read_queries(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("q.csv", line, field)


def test_an_empty_queries_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("# nothing yet\n\n")
    with pytest.raises(InvalidInput, match="no organisation id"):
        read_queries(path)


def test_org_suggests_from_the_platforms_database(tmp_path: Path, shared_data: Path) -> None:
    with commands_database(tmp_path, shared_data):
        empty = runner.invoke(app, ["recommend", "partners", "--org", "1"])
        assert empty.exit_code != 0 and "no organisation 1" in empty.output
        engine = make_engine(get_settings())
        with transaction(make_session_factory(engine)) as session:
            ids = store_world(session, world(seed=3))
        engine.dispose()
        out = tmp_path / "recs.csv"
        org = ids["c1-o02"]
        result = runner.invoke(
            app, ["recommend", "partners", "--org", str(org), "--top", "4", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "from its Horizon 2020 projects" in result.output
        assert "World organisation" in result.output
        with out.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
        assert {r["query"] for r in rows} == {str(org)} and all(r["reasons"] for r in rows)
        mixed = runner.invoke(app, ["recommend", "partners", "--org", "1", "--queries", str(out)])
        assert mixed.exit_code == 2 and "--org reads the platform's database" in mixed.output
        missing = runner.invoke(app, ["recommend", "partners", "--out", str(out)])
        assert missing.exit_code == 2 and "give --participations, --queries and --out" in (
            missing.output)  # fmt: skip
