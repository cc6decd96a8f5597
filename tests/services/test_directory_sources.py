"""The real directory records on SQLite and PostgreSQL: CMP organisations, CORDIS, ESCP-4i."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.errors import InvalidInput
from clusterhub.services.audit import BOOTSTRAP
from clusterhub.services.directory import cordis, cordis_names, sources
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.schemas import ImportReport
from clusterhub.services.search.queries import DirectoryIndex, SearchMode, SearchRequest
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import (
    Organisation,
    OrganisationEmbedding,
    Participation,
    Partnership,
    Project,
)
from tests.conftest import DB_KINDS, migrated_database


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def count(session: Session, model: type[Any], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_cmp_organisations_one_profile_per_org_with_every_category(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues
) -> None:
    path = reference.fetch("cmp-orgs")
    raw = pl.read_csv(path)
    with transaction(factory) as session:
        report = sources.load_cmp_organisations(
            session, path=path, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    assert (report.rows, report.created) == (raw["org_id"].n_unique(), raw["org_id"].n_unique())
    assert report.extra["repeated rows skipped"] == raw.height - raw.unique().height
    with factory() as session:
        orgs = {o.key: o for o in session.scalars(select(Organisation))}
        for (org_id,), group in raw.group_by("org_id"):
            org = orgs[f"cmp:{org_id}"]
            names = set(group["cluster_name"])
            mapped = {catalogues.cluster_code(n) for n in names} - {None}
            assert {c.cluster_code for c in org.clusters} == mapped
            assert set(org.keywords) == {n for n in names if catalogues.cluster_code(n) is None}
            assert org.country == "US" and org.source == "cmp-orgs"
            assert org.name == group["org_title"][0]
            assert set(org.facts["cmp_categories"]) == names
    with transaction(factory) as session:
        again = sources.load_cmp_organisations(
            session, path=path, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    assert (again.created, again.updated, again.unchanged) == (0, 0, report.rows)


def test_the_23_escp4i_partnerships(factory: sessionmaker[Session], catalogues: Catalogues) -> None:
    with transaction(factory) as session:
        first = sources.load_partnerships(session, by=BOOTSTRAP)
        again = sources.load_partnerships(session, by=BOOTSTRAP)
    assert (first.created, again.unchanged) == (23, 23)
    with factory() as session:
        rows = session.scalars(select(Partnership)).all()
    assert len({p.key for p in rows}) == 23
    seed = (Path(__file__).parents[2] / ".." / "shared" / "seed").resolve()
    slide = (seed / "european-cluster-policy-2018.txt").read_text(encoding="utf-8")
    for partnership in rows:
        assert partnership.acronym and partnership.acronym in slide
        assert set(partnership.cluster_codes) <= set(catalogues.clusters)
        assert partnership.start_year == 2018 and partnership.end_year == 2019
        assert "ESCP-4i" in partnership.programme
    by_acronym = {p.acronym: p for p in rows}
    assert by_acronym["SPACEWAVE"].sectors == ["Space applications"]
    assert by_acronym["ADPACK²"].key == "escp4i:adpack2"


# --- CORDIS: the full files once per database, and a small subset with embeddings --------------


def _load_cordis(
    factory: sessionmaker[Session],
    reference: ReferenceData,
    catalogues: Catalogues,
    embedder: Embedder | None = None,
    participations: Path | None = None,
    names: Path | None = None,
) -> ImportReport:
    with transaction(factory) as session:
        return cordis.load_cordis(
            session,
            participations_path=participations or reference.fetch("cordis-participations"),
            programme_parts_path=reference.fetch("cordis-programme-parts"),
            names_path=names,
            catalogues=catalogues,
            embedder=embedder,
            by=BOOTSTRAP,
        )


@pytest.fixture(scope="module", params=DB_KINDS)
def cordis_loaded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reference: ReferenceData,
    catalogues: Catalogues,
) -> Iterator[tuple[sessionmaker[Session], ImportReport, ImportReport]]:
    """The whole CORDIS extract with the 2017 names imported twice (keyword index only: no
    embeddings), as the first start does."""
    names = reference.fetch("cordis-organisations-2017")
    with migrated_database(request.param, tmp_path_factory.mktemp("cordis")) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        first = _load_cordis(factory, reference, catalogues, names=names)
        second = _load_cordis(factory, reference, catalogues, names=names)
        yield factory, first, second
        engine.dispose()


@pytest.mark.slow
def test_cordis_every_participant_project_and_participation(
    cordis_loaded: tuple[sessionmaker[Session], ImportReport, ImportReport],
    reference: ReferenceData,
) -> None:
    factory, first, _ = cordis_loaded
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    assert first.created == first.rows == raw["pic"].n_unique()
    assert first.extra["projects"] == raw["rcn"].n_unique()
    # every row is one participation: no (project, participant, role) repeats in the extract
    assert first.extra["participations"] == raw.height == raw.unique(["rcn", "pic", "role"]).height
    with factory() as session:
        assert count(session, Organisation, Organisation.source == "cordis") == first.rows
        assert count(session, Project) == raw["rcn"].n_unique()
        assert count(session, Participation) == raw.height
        pic = raw["pic"].value_counts(sort=True)["pic"][0]
        org = session.scalars(select(Organisation).where(Organisation.key == f"cordis:{pic}")).one()
        mine = raw.filter(pl.col("pic") == pic)
        assert org.facts["projects"] == mine["rcn"].n_unique()
        assert org.facts["coordinated"] == mine.filter(pl.col("role") == "coordinator").height
        assert f"{org.facts['projects']:,} Horizon 2020 projects" in org.description
        assert org.profile_type == "project_partner" and org.country == mine["country"][0]


@pytest.mark.slow
def test_cordis_reimport_changes_nothing(
    cordis_loaded: tuple[sessionmaker[Session], ImportReport, ImportReport],
) -> None:
    _, first, second = cordis_loaded
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.rows)
    assert second.extra["participations created"] == 0
    assert second.extra["participations removed"] == 0
    assert second.extra["participations updated"] == 0


@pytest.mark.slow
def test_cordis_names_reach_profiles_and_the_keyword_index(
    cordis_loaded: tuple[sessionmaker[Session], ImportReport, ImportReport],
    reference: ReferenceData,
) -> None:
    factory, first, _ = cordis_loaded
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    listed = pl.read_csv(reference.fetch("cordis-organisations-2017"), infer_schema_length=0)
    named = set(raw["pic"]) & set(listed["pic"].drop_nulls())
    assert len(named) > 15_000  # the README: 45 % of the 35,871 participants
    assert first.extra["participants named by the 2017 CORDIS list"] == len(named)
    assert first.extra["participants without a published name"] == first.rows - len(named)
    with factory() as session:
        unnamed = Organisation.name.like("Name not published (CORDIS PIC %)")
        assert count(session, Organisation, unnamed) == first.rows - len(named)
        airbus = session.scalars(
            select(Organisation).where(Organisation.key == "cordis:991247948")
        ).one()
        # the file's row: 991247948,AIRBUS OPERATIONS SAS,Airbus,PRC,ROUTE DE BAYONNE 316,...
        assert (airbus.name, airbus.acronym, airbus.city) == (
            "AIRBUS OPERATIONS SAS",
            "Airbus",
            "TOULOUSE",
        )
        results = DirectoryIndex().search(
            session, SearchRequest(q="Airbus", mode=SearchMode.KEYWORD, page_size=100),
            embedder=None,
        )  # fmt: skip
        assert results.total >= 10
        assert "AIRBUS OPERATIONS SAS" in {hit.name for hit in results.items}
        assert all("AIRBUS" in (hit.name + (hit.acronym or "")).upper() for hit in results.items)


def test_cordis_names_arrive_on_reload_keeping_admin_edits(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    listed = pl.read_csv(reference.fetch("cordis-organisations-2017"), infer_schema_length=0)
    named_pic = "999854661"  # UNIVERSITY OF PLYMOUTH,UOP,HES,DRAKE CIRCUS,PLYMOUTH,UK
    unnamed_pic = raw.filter(~pl.col("pic").is_in(listed["pic"].drop_nulls().implode()))["pic"][0]
    path = tmp_path / "subset.csv.gz"
    with gzip.open(path, "wb") as handle:
        raw.filter(pl.col("pic").is_in([named_pic, unnamed_pic])).write_csv(handle)
    _load_cordis(factory, reference, catalogues, participations=path)
    with transaction(factory) as session:
        by_key = {o.key: o for o in session.scalars(select(Organisation))}
        # as an earlier version left them: the old stand-in name; an admin gave a city
        by_key[f"cordis:{unnamed_pic}"].name = f"H2020 participant {unnamed_pic}"
        by_key[f"cordis:{unnamed_pic}"].city = "Gent"
    report = _load_cordis(
        factory, reference, catalogues, participations=path,
        names=reference.fetch("cordis-organisations-2017"),
    )  # fmt: skip
    assert report.updated == 2
    with factory() as session:
        by_key = {o.key: o for o in session.scalars(select(Organisation))}
        plymouth = by_key[f"cordis:{named_pic}"]
        assert (plymouth.name, plymouth.acronym, plymouth.city) == (
            "UNIVERSITY OF PLYMOUTH",
            "UOP",
            "PLYMOUTH",
        )
        other = by_key[f"cordis:{unnamed_pic}"]
        assert (other.name, other.city) == (
            f"Name not published (CORDIS PIC {unnamed_pic})",
            "Gent",
        )


def test_cordis_names_file_read_repaired_and_checked(
    reference: ReferenceData, tmp_path: Path
) -> None:
    names, counts = cordis_names.read_names(reference.fetch("cordis-organisations-2017"))
    assert names.height == counts["organisations named by the 2017 CORDIS list"] == 16_591
    assert counts["2017 CORDIS list rows without a PIC (left out)"] == 1
    aenor = names.filter(pl.col("pic") == 984232326).row(0, named=True)
    assert aenor["name"] == "ASOCIACION ESPAÑOLA DE NORMALIZACION Y CERTIFICACION"
    assert cordis_names.repair_text("Münster") == "Münster"  # correct text is kept
    path = tmp_path / "names.csv"
    path.write_text("pic,name,short_name,city\n999854661,A,,B\n12x,C,,D\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        cordis_names.read_names(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("names.csv", 3, "pic")


def test_cordis_subset_embedded_on_a_second_load_and_namibia_kept(
    factory: sessionmaker[Session],
    reference: ReferenceData,
    catalogues: Catalogues,
    embedder: Embedder,
    tmp_path: Path,
) -> None:
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    subset = pl.concat([raw.head(12), raw.filter(pl.col("country") == "NA").head(1)])
    path = tmp_path / "subset.csv.gz"
    with gzip.open(path, "wb") as handle:
        subset.write_csv(handle)
    keyword_only = _load_cordis(factory, reference, catalogues, participations=path)
    assert keyword_only.created == subset["pic"].n_unique()
    with factory() as session:
        assert count(session, OrganisationEmbedding) == 0
        assert count(session, Organisation, Organisation.country == "NA") == 1
    # loading again with the model embeds what was loaded without it, and changes nothing else
    report = _load_cordis(factory, reference, catalogues, embedder, participations=path)
    assert report.unchanged == keyword_only.created
    assert report.extra["embeddings added for unchanged profiles"] == keyword_only.created
    with factory() as session:
        assert count(session, OrganisationEmbedding) == keyword_only.created


# --- damaged source files (issue 10) ------------------------------------------------------------


def test_a_cmp_registry_cut_inside_a_row_is_refused(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    content = reference.fetch("cmp-orgs").read_bytes()
    lines = content.splitlines(keepends=True)
    path = tmp_path / "cmp.csv"
    path.write_bytes(b"".join(lines[:100]) + lines[100][:8])
    with pytest.raises(InvalidInput) as caught, transaction(factory) as session:
        sources.load_cmp_organisations(
            session, path=path, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    assert [(p.file, p.line) for p in caught.value.problems] == [("cmp.csv", 101)]
    with factory() as session:
        assert count(session, Organisation) == 0


def test_a_cmp_registry_cut_inside_its_last_category_is_refused(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    content = reference.fetch("cmp-orgs").read_bytes()
    path = tmp_path / "cmp.csv"
    path.write_bytes(content[:-5])  # "...,Water Transportation" loses "ation"
    with pytest.raises(InvalidInput) as caught, transaction(factory) as session:
        sources.load_cmp_organisations(
            session, path=path, catalogues=catalogues, embedder=None, by=BOOTSTRAP
        )
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (content.count(b"\n") + 1, "cluster_name")


def test_a_broken_partnerships_file_is_refused_with_its_place(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    text = sources.PARTNERSHIPS_FILE.read_text(encoding="utf-8")
    path = tmp_path / "partnerships.yaml"
    path.write_text(text.replace("start_year", "start_yr"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught, transaction(factory) as session:
        sources.load_partnerships(session, path=path, by=BOOTSTRAP)
    assert caught.value.problems[0].field == "start_year"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InvalidInput), transaction(factory) as session:
        sources.load_partnerships(session, path=path, by=BOOTSTRAP)
    with factory() as session:
        assert count(session, Partnership) == 0


def test_a_cordis_file_cut_short_is_refused(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    content = reference.fetch("cordis-participations").read_bytes()
    path = tmp_path / "participations.csv.gz"
    path.write_bytes(content[: len(content) // 3])
    with pytest.raises(InvalidInput) as caught:
        _load_cordis(factory, reference, catalogues, participations=path)
    assert "gzip" in str(caught.value) and caught.value.problems[0].file == path.name
    with factory() as session:
        assert count(session, Organisation) == 0


def test_reloading_cordis_keeps_what_profile_admins_added(
    factory: sessionmaker[Session], reference: ReferenceData, catalogues: Catalogues, tmp_path: Path
) -> None:
    raw = pl.read_csv(reference.fetch("cordis-participations"), infer_schema_length=0)
    path = tmp_path / "subset.csv.gz"
    with gzip.open(path, "wb") as handle:
        raw.head(12).write_csv(handle)
    _load_cordis(factory, reference, catalogues, participations=path)
    pic = raw["pic"][0]
    with transaction(factory) as session:
        org = session.scalars(select(Organisation).where(Organisation.key == f"cordis:{pic}")).one()
        assert org.name == f"Name not published (CORDIS PIC {pic})" and org.website is None
        org.name, org.website, org.city = "Acme Research", "https://acme.example.org", "Gent"
    report = _load_cordis(factory, reference, catalogues, participations=path)
    assert report.updated == 0
    with factory() as session:
        org = session.scalars(select(Organisation).where(Organisation.key == f"cordis:{pic}")).one()
        assert (org.name, org.website, org.city) == (
            "Acme Research",
            "https://acme.example.org",
            "Gent",
        )
