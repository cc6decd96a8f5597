"""The official CORDIS Horizon 2020 export zip as the CORDIS loader's input (no mirror needed)."""

from __future__ import annotations

import socket
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from clusterhub.cli import app
from clusterhub.config import Settings, get_settings
from clusterhub.datasets import fetch, get_spec
from clusterhub.errors import DataSourceError, InvalidInput
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.directory import cordis, cordis_export
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import Organisation, Participation, Project

PROJECT_HEADER = (
    "id;acronym;status;title;startDate;endDate;totalCost;ecMaxContribution;legalBasis;topics;"
    "ecSignatureDate;frameworkProgramme;masterCall;subCall;fundingScheme;nature;objective;"
    "contentUpdateDate;rcn;grantDoi"
)
PROJECTS = [
    '101;ALPHA;CLOSED;"Batteries; and beyond";2016-01-01;2019-12-31;"1000000,5";900000;'
    "H2020-EU.3.4.;T1;2015-12-01;H2020;C1;C1a;RIA;;An objective;2022-01-01 10:00:00;5001;doi1",
    "102;BETA;CLOSED;Cells;2017-03-01;2020-02-29;500000;500000;H2020-EU.1.3.1.;T2;;H2020;C2;C2;"
    'MSCA-ITN;;"Line one\nline two";2022-01-01;5002;doi2',
    "103;GAMMA;SIGNED;Reactors;2018-06-01;2021-05-31;200000;150000;H2020-Euratom-1.1.;T3;;H2020;"
    "C3;C3;RIA;;Fission;2022-01-01;5003;doi3",
]
ORG_HEADER = (
    "projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;street;"
    "postCode;city;country;nutsCode;geolocation;organizationURL;contactForm;contentUpdateDate;"
    "rcn;order;role;ecContribution;netEcContribution;totalCost;endOfParticipation;active;extra"
)
ORGS = [
    # coordinator with accents, valid region and website, SME
    "101;ALPHA;999000001;;Énergie Électrique Société;ÉES;true;PRC;;;Paris;FR;FR101;;"
    "https://ees.example.fr;;;1;1;coordinator;500000;500000;600000;false;true;x",
    # a university in two projects; a bad NUTS code and a website without a scheme
    "101;ALPHA;999000002;;Universität Zürich-Süd;UZS;false;HES;;;Berlin;DE;XX999;;"
    "www.uzs.example.de;;;2;2;participant;400000;400000;400000;false;true;x",
    "102;BETA;999000002;;Universität Zürich-Süd;UZS;false;HES;;;Berlin;DE;XX999;;"
    "www.uzs.example.de;;;2;1;coordinator;250000;250000;250000;false;true;x",
    # a partner without a stated contribution
    "102;BETA;999000003;;Instituto Ñandú;;;REC;;;Madrid;ES;ES300;;http://nandu.example.es;;;3;2;"
    "partner;;;;false;true;x",
    # a third party: left out
    "101;ALPHA;999000004;;Third Party Ltd;TP;true;PRC;;;Dublin;IE;IE061;;;;;4;3;thirdParty;"
    "1000;1000;1000;false;true;x",
    "103;GAMMA;999000001;;Énergie Électrique Société;ÉES;true;PRC;;;Paris;FR;FR101;;"
    "https://ees.example.fr;;;1;1;coordinator;150000;150000;200000;false;true;x",
]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


def _members(
    *, project_header: str = PROJECT_HEADER, org_header: str = ORG_HEADER
) -> dict[str, str]:
    return {
        "project.csv": "\ufeff" + "\n".join([project_header, *PROJECTS]) + "\n",  # with a BOM
        "organization.csv": "\n".join([org_header, *ORGS]) + "\n",
        "topics.csv": "projectID;topic\n101;T1\n",
    }


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return _zip(tmp_path / "cordis-h2020projects-csv.zip", _members())


def test_the_export_becomes_the_mirror_tables(export: Path, catalogues: Catalogues) -> None:
    data = cordis_export.read_export(export, nuts=catalogues.nuts)
    rows = data.participations
    assert rows.columns == [
        "rcn",
        "role",
        "pic",
        "type",
        "contribution",
        "country",
        "start_date",
        "end_date",
        "max_contribution",
        "total_cost",
    ]
    assert rows.height == len(ORGS) - 1, "the third party is left out"
    assert "999000004" not in set(rows["pic"])
    assert set(rows["role"]) == {"coordinator", "participant", "partner"}
    first = rows.filter(pl.col("pic") == "999000001", pl.col("rcn") == "5001").row(0, named=True)
    assert float(first["total_cost"]) == 1000000.5, "a decimal comma is read as a decimal point"
    assert (first["start_date"], first["end_date"]) == ("2016-01-01", "2019-12-31")
    assert rows.filter(pl.col("role") == "partner")["contribution"].to_list() == [None]
    parts = dict(data.programme_parts.iter_rows())
    assert parts == {5001: "SC4", 5002: "MSCA", 5003: "Euratom"}
    assert data.counts[
        "export rows with other roles (third parties, international partners; left out)"
    ] == (1)


def test_details_keep_valid_codes_and_addresses_only(export: Path, catalogues: Catalogues) -> None:
    data = cordis_export.read_export(export, nuts=catalogues.nuts)
    details = {row["pic"]: row for row in data.details.iter_rows(named=True)}
    assert details[999000001]["name"] == "Énergie Électrique Société"
    assert details[999000001]["nuts_code"] == "FR101"
    assert details[999000001]["website"] == "https://ees.example.fr"
    assert details[999000001]["sme"] is True
    uni = details[999000002]
    assert uni["nuts_code"] is None and uni["website"] is None and uni["city"] == "Berlin"
    counts = data.counts
    assert counts[
        "organisations with a NUTS code not in NUTS 2021 or not in their country (left empty)"
    ] == (1)
    assert counts["organisations with an unusable website (left empty)"] == 1


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("H2020-EU.1.1.", "ERC"),
        ("H2020-EU.1.2.1.", "FET"),
        ("H2020-EU.2.1.1.", "LEIT"),
        ("H2020-EU.2.2.", "ARF"),
        ("H2020-EU.2.3.1.", "Innovation in SMEs"),
        ("H2020-EU.3.7.", "SC7"),
        ("H2020-EU.4.a.", "SEWP"),
        ("H2020-EU.5.", "SWAFS"),
        ("H2020-Euratom-1.8.", "Euratom"),
        ("H2020-EU.7.", None),
        ("H2020-EU.3.", None),
        ("FP7-ICT", None),
    ],
)
def test_legal_bases_map_to_the_mirror_programme_parts(code: str, part: str | None) -> None:
    assert cordis_export.programme_part(code) == part
    assert part is None or part in cordis.PROGRAMME_PARTS


def test_several_legal_bases_and_a_legal_basis_table(
    tmp_path: Path, catalogues: Catalogues
) -> None:
    members = _members()
    members["project.csv"] = members["project.csv"].replace(
        "H2020-EU.3.4.;", '"H2020-EU.3.4.;H2020-EU.2.1.1.";'
    )
    members["legalBasis.csv"] = "projectID;legalBasis;title\n102;H2020-EU.2.3.;x\n"
    data = cordis_export.read_export(_zip(tmp_path / "e.zip", members), nuts=catalogues.nuts)
    pairs = set(data.programme_parts.iter_rows())
    assert {(5001, "SC4"), (5001, "LEIT"), (5002, "MSCA"), (5002, "Innovation in SMEs")} <= pairs


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ({"project.csv": PROJECT_HEADER + "\n"}, "organization.csv"),
        (_members(org_header=ORG_HEADER.replace("activityType", "kind")), "activityType"),
        (_members(project_header=PROJECT_HEADER.replace(";rcn;", ";record;")), "rcn"),
    ],
)
def test_a_missing_table_or_column_is_named(
    tmp_path: Path, catalogues: Catalogues, members: dict[str, str], named: str
) -> None:
    path = _zip(tmp_path / "broken.zip", members)
    with pytest.raises(InvalidInput) as caught:
        cordis_export.read_export(path, nuts=catalogues.nuts)
    problem = caught.value.problems[0]
    assert named in problem.message and "broken.zip" in str(problem.file)


def test_not_a_zip_is_invalid_input(tmp_path: Path, catalogues: Catalogues) -> None:
    path = tmp_path / "export.zip"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InvalidInput, match="zip"):
        cordis_export.read_export(path, nuts=catalogues.nuts)


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def test_load_from_the_export_names_profiles_and_is_idempotent(
    factory: sessionmaker[Session], export: Path, catalogues: Catalogues
) -> None:
    with transaction(factory) as session:
        first = cordis.load_cordis(
            session, export_path=export, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    assert (first.rows, first.created) == (3, 3)
    with factory() as session:
        orgs = {o.key: o for o in session.scalars(select(Organisation))}
        ees = orgs["cordis:999000001"]
        assert ees.name == "Énergie Électrique Société" and ees.acronym == "ÉES"
        assert (ees.city, ees.nuts_code, ees.country) == ("Paris", "FR101", "FR")
        assert ees.website == "https://ees.example.fr" and ees.facts["sme"] is True
        assert ees.facts["coordinated"] == 2 and ees.facts["eu_contribution"] == 650000
        uni = orgs["cordis:999000002"]
        assert uni.name == "Universität Zürich-Süd" and uni.nuts_code is None
        assert "cordis:999000004" not in orgs
        projects = {p.key: p for p in session.scalars(select(Project))}
        assert projects["h2020:5003"].programme_parts == ["Euratom"]
        assert projects["h2020:5001"].total_cost == 1000000.5
        assert len(session.scalars(select(Participation)).all()) == len(ORGS) - 1
    with transaction(factory) as session:
        again = cordis.load_cordis(
            session, export_path=export, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.extra["participations created"] == 0
    assert again.extra["participations updated"] == 0


def test_inputs_prefer_the_mirror_tables(reference: ReferenceData) -> None:
    files = cordis.cordis_inputs(reference)
    assert files.export_path is None
    assert files.participations_path == reference.fetch("cordis-participations")


def test_inputs_fall_back_to_the_export_in_a_mirror(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "cordis").mkdir(parents=True)
    _zip(mirror / get_spec("cordis-h2020-projects").mirror_path, _members())
    files = cordis.cordis_inputs(ReferenceData(Settings(data_mirror=mirror)))
    assert files.export_path == mirror / "cordis" / "cordis-h2020projects-csv.zip"
    assert files.participations_path is None


def test_inputs_without_any_route_explain_both(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError) as caught:
        cordis.cordis_inputs(ReferenceData(Settings(data_mirror=tmp_path)))
    message = str(caught.value)
    assert "cordis-h2020-projects" in message and "cordis-participations" in message


@pytest.fixture
def unreachable_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every HTTPS request goes to a loopback port nobody listens on: the official URL is
    unreachable without touching the network (urllib honours ``https_proxy``)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name in ("no_proxy", "NO_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    urllib.request.install_opener(None)  # build the default opener from this environment
    yield
    urllib.request.install_opener(None)


@pytest.mark.network
@pytest.mark.usefixtures("unreachable_proxy")
def test_an_unreachable_official_url_is_named(tmp_path: Path) -> None:
    settings = Settings(data_mirror=None, cache_dir=tmp_path / "cache", download_timeout=5)
    url = "https://cordis.europa.eu/data/cordis-h2020projects-csv.zip"
    assert get_spec("cordis-h2020-projects").url == url
    with pytest.raises(DataSourceError) as caught:
        fetch("cordis-h2020-projects", settings)
    assert url in str(caught.value) and "cordis-h2020-projects" in str(caught.value)
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))


def test_the_cli_imports_a_given_export(
    export: Path, tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", url)
    monkeypatch.setenv("CLUSTERHUB_DATA_MIRROR", str(shared_data))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["directory", "import", "--source", "cordis", str(export), "--no-embed"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Import from cordis" in result.output
    engine = make_engine(Settings(database_url=url))
    with make_session_factory(engine)() as session:
        names = set(session.scalars(select(Organisation.name)))
    engine.dispose()
    assert "Instituto Ñandú" in names and len(names) == 3


def _official_from_mirror(reference: ReferenceData, path: Path) -> Path:
    """The mirror's two tables written back in the export's layout (legal bases from the
    programme parts), to check that both routes give the same profiles and graph."""
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    parts = pl.read_csv(reference.fetch("cordis-programme-parts"), infer_schema_length=0)
    codes = {part: f"H2020-EU.{code}." for code, part in cordis_export.LEGAL_BASES.items()}
    codes["Euratom"] = "H2020-Euratom-1.1."
    legal = parts.group_by("rcn").agg(
        pl.col("programme_part").replace_strict(codes).str.join(";").alias("legalBasis")
    )
    projects = (
        raw.group_by("rcn")
        .agg(pl.col("start_date", "end_date", "total_cost", "max_contribution").first())
        .join(legal, on="rcn", how="left")
        .select(
            pl.col("rcn").alias("id"),
            pl.col("start_date").alias("startDate"),
            pl.col("end_date").alias("endDate"),
            pl.col("total_cost").alias("totalCost"),
            pl.col("max_contribution").alias("ecMaxContribution"),
            "legalBasis",
            pl.lit("An objective; with a semicolon").alias("objective"),
            "rcn",
        )
    )
    orgs = raw.select(
        pl.col("rcn").alias("projectID"),
        pl.col("pic").alias("organisationID"),
        pl.col("type").alias("activityType"),
        "role",
        pl.col("contribution").replace("NA", None).alias("ecContribution"),
        "country",
    )
    return _zip(
        path,
        {
            "project.csv": projects.write_csv(separator=";", quote_style="non_numeric"),
            "organization.csv": orgs.write_csv(separator=";", quote_style="non_numeric"),
        },
    )


@pytest.mark.slow
def test_both_routes_give_the_same_profiles_and_graph(
    reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    mirror = cordis.read_cordis(
        reference.fetch("cordis-participations"), reference.fetch("cordis-programme-parts")
    )
    official = cordis.read_cordis_export(
        _official_from_mirror(reference, tmp_path / "export.zip"), nuts=catalogues.nuts
    )
    assert official.facts == mirror.facts
    assert official.projects == mirror.projects
    assert official.profiles == mirror.profiles
    assert official.participations.equals(mirror.participations)
