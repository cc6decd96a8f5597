"""The scoreboard on a real database (SQLite and PostgreSQL) with the real SBS and CORDIS data:
computed indicators checked against counts made here another way, scorecards, peers, imports."""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.config import Settings
from clusterhub.datasets import eurostat_dataset
from clusterhub.errors import DataSourceError, InvalidInput, NotFound
from clusterhub.services import dataset_cache
from clusterhub.services.audit import BOOTSTRAP, Actor
from clusterhub.services.observatory.analytics import ClusterMap, MapRequest, build_cluster_map
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import BUILT_IN_TAXONOMIES, ReferenceData
from clusterhub.services.scoreboard import imports as scoreboard_imports
from clusterhub.services.scoreboard import scorecards as scoreboard
from clusterhub.services.scoreboard.data import ensure_computed, store_values
from clusterhub.services.warmup import warm_caches
from clusterhub.stats.indicator_sources import INDICATOR_VALUES
from clusterhub.store import generations
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import ClusterMetric, Dataset, IndicatorValue
from tests.conftest import DB_KINDS, migrated_database

CLI = Actor.command_line()

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "scoreboard"


@pytest.fixture(scope="module", params=DB_KINDS)
def factory(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    eu_map: ClusterMap,
    us_map: ClusterMap,
    reference: ReferenceData,
    mirror_settings: Settings,
) -> Iterator[sessionmaker[Session]]:
    """A database with the EU (51 clusters and emerging industries) and U.S. cluster maps and
    the computed indicators."""
    with migrated_database(request.param, tmp_path_factory.mktemp("scoreboard")) as database:
        engine = make_engine(database)
        sessions = make_session_factory(engine)
        emerging = build_cluster_map(
            MapRequest(source="eurostat-sbs", taxonomy_path=BUILT_IN_TAXONOMIES["emerging"]),
            reference,
        )
        with transaction(sessions) as session:
            # Loaded first (lowest id): the default peers must still come from the 51 clusters.
            load_cluster_map(
                session, key="eu-sbs-emerging", title="Emerging", result=emerging,
                regions=reference.regions,
                by=BOOTSTRAP,
            )  # fmt: skip
            load_cluster_map(
                session,
                key="eu-sbs",
                title="EU",
                result=eu_map,
                regions=reference.regions,
                by=BOOTSTRAP,
            )
            load_cluster_map(session, key="us-states", title="U.S.", result=us_map, by=BOOTSTRAP)
        assert ensure_computed(sessions, reference, by=BOOTSTRAP)
        yield sessions
        engine.dispose()


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose writes are rolled back after the test."""
    with factory() as open_session:
        open_session.begin()
        yield open_session
        open_session.rollback()


def stored(session: Session, region: str, indicator: str) -> IndicatorValue:
    return session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.region_code == region, IndicatorValue.indicator == indicator
        )
    ).one()


def sbs_rows(shared_data: Path, geo: str) -> dict[str, float | None]:
    """NACE code -> employment of one region, read with the csv module (blank: None)."""
    with (shared_data / "eu" / "sbs_r_nuts06_r2_2015.csv").open(encoding="utf-8") as handle:
        return {
            row["nace_r2"]: float(row["n2015"]) if row["n2015"].strip() else None
            for row in csv.DictReader(handle, delimiter=";")
            if row["geo"] == geo
        }


def business_economy(rows: dict[str, float | None]) -> float:
    """Sections B-N (SBS has no K) plus division S95: what the filled divisions add up to."""
    sections = [v for code, v in rows.items() if re.fullmatch(r"[A-N]", code)]
    assert None not in sections
    return sum(v for v in sections if v is not None) + (rows["S95"] or 0.0)


def test_horizon_2020_intensity_matches_an_independent_count(
    session: Session, shared_data: Path
) -> None:
    count = private = 0
    with gzip.open(shared_data / "cordis" / "h2020_participations.csv.gz", "rt") as handle:
        for row in csv.DictReader(handle):
            if row["country"] == "DE":
                count += 1
                private += row["type"] == "PRC"
    assert count == 17_341
    employed = business_economy(sbs_rows(shared_data, "DE"))
    per_1000 = stored(session, "DE", "h2020_participations_per_1000")
    # Sections stand in for divisions here; in the file DE's M divisions add up to one person
    # more than section M (rounding at Eurostat): 4e-8 relative.
    assert per_1000.value == pytest.approx(1000 * count / employed, rel=1e-7)
    assert per_1000.country_level and per_1000.source == "computed:cordis-h2020"
    assert stored(session, "DE", "h2020_private_share").value == pytest.approx(
        100 * private / count, rel=1e-12
    )
    # CORDIS and Eurostat both spell Greece EL and the United Kingdom UK.
    assert stored(session, "EL", "h2020_private_share").value > 0
    assert stored(session, "UK", "h2020_contribution_per_employed").value > 0


def test_sector_shares_match_the_raw_file(session: Session, shared_data: Path) -> None:
    rows = sbs_rows(shared_data, "AT")  # only B06 / B07 are blank: no share division is
    high_tech = sum(rows[f"C{d}"] or 0.0 for d in (20, 21, 26, 27, 28, 29, 30))
    value = stored(session, "AT", "sbs_hightech_mfg_share")
    assert not value.country_level
    assert value.value == pytest.approx(100 * high_tech / business_economy(rows), rel=1e-9)


def test_sbs_shares_are_unknown_where_the_file_hides_the_numerator_or_the_total(
    session: Session, shared_data: Path
) -> None:
    # Ireland publishes no manufacturing (section C nor any division) in SBS 2015: its
    # high-tech share is unknown, not 0, and with C missing its total is not known either.
    for geo in ("IE", "IE0", "IE01", "IE02"):
        rows = sbs_rows(shared_data, geo)
        assert rows["C"] is None and all(rows[f"C{d}"] is None for d in range(10, 34))
    found = session.scalars(
        select(IndicatorValue.region_code).where(IndicatorValue.region_code.startswith("IE"))
    ).all()
    assert found == []  # neither SBS share nor a Horizon 2020 value on a partial denominator
    # DE11 lacks sections D and E (about 2% of German business employment): still covered,
    # and the share divides by the published sections, not by the known divisions only.
    rows = sbs_rows(shared_data, "DE11")
    assert rows["D"] is None and rows["E"] is None
    known_sections = sum(v or 0.0 for c, v in rows.items() if re.fullmatch(r"[A-N]|S95", c))
    kis = sum(rows[f"{s}{d}"] or 0.0 for s, d in (("H", 50), ("H", 51), ("M", 69)))
    assert kis > 0
    share = stored(session, "DE11", "sbs_kis_share").value
    assert 100 * kis / known_sections < share < 100  # 50, 51, 69 are part of the numerator


def test_extra_regio_codes_get_no_indicator_value(session: Session, shared_data: Path) -> None:
    assert sbs_rows(shared_data, "FRZ")["B"] == 81  # Extra-Regio employment is published
    codes = session.scalars(select(IndicatorValue.region_code).distinct()).all()
    assert "EL30" in codes
    assert [c for c in codes if len(c) > 2 and set(c[2:]) == {"Z"}] == []


def test_computed_indicators_load_once_and_reload_in_place(
    factory: sessionmaker[Session], reference: ReferenceData
) -> None:
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(IndicatorValue))
    assert not ensure_computed(factory, reference, by=BOOTSTRAP)
    assert ensure_computed(factory, reference, reload=True, by=BOOTSTRAP)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) == before


def test_scorecard_of_a_real_region_with_default_peers(session: Session) -> None:
    card = scoreboard.region_scorecard(session, code="DE11")
    assert card.name == "Stuttgart" and card.level == "nuts2"
    assert len(card.peers) == 5 and all(len(p.code) == 4 and p.code != "DE11" for p in card.peers)
    assert all(p.chosen_by == "default" and 0 < (p.similarity or 0) <= 1 for p in card.peers)
    dims = {d.code: d for d in card.dimensions}
    assert list(dims) == [
        "knowledge", "finance", "collaboration", "demand", "entrepreneurship", "governance"
    ]  # fmt: skip
    assert dims["collaboration"].country_level_share == 1.0
    assert dims["knowledge"].score is not None and dims["finance"].score is None
    assert dims["finance"].note == "not assessed: no indicator of this dimension is loaded"
    flags = {i.code: i.country_level for i in card.indicators}
    assert flags["h2020_private_share"] and not flags["sbs_kis_share"]
    assert all(0.0 <= i.score <= 100.0 for i in card.indicators)


def test_user_peers_are_validated(session: Session) -> None:
    card = scoreboard.region_scorecard(session, code="DE11", peers=["de21", "ITC4"])
    assert [(p.code, p.chosen_by) for p in card.peers] == [("DE21", "user"), ("ITC4", "user")]
    with pytest.raises(InvalidInput) as too_many:
        scoreboard.region_scorecard(
            session, code="DE11", peers=["DE12", "DE13", "DE14", "DE21", "DE22", "DE23"]
        )
    assert too_many.value.problems[0].field == "peers"
    with pytest.raises(InvalidInput, match="NUTS 2"):
        scoreboard.region_scorecard(session, code="DE11", peers=["DE1"])
    with pytest.raises(NotFound, match="did you mean"):
        scoreboard.region_scorecard(session, code="DE1Q")
    with pytest.raises(InvalidInput, match="NUTS"):
        scoreboard.region_scorecard(session, code="06")  # a U.S. state


def test_an_import_is_all_or_nothing_and_replaces_its_keys(
    session: Session, reference: ReferenceData, tmp_path: Path
) -> None:
    good = tmp_path / "eqi.csv"
    good.write_text("region,indicator,year,value\nDE11,eqi,2021,0.9\nDE21,eqi,2021,1.1\n"
                    "DE,product_market_regulation,2018,1.08\n", encoding="utf-8")  # fmt: skip
    result = scoreboard_imports.import_indicator_file(session, good, reference=reference, by=CLI)
    assert (result.rows, result.regions, result.source) == (3, 3, "user:eqi.csv")
    good.write_text("region,indicator,year,value\nDE11,eqi,2021,0.5\n", encoding="utf-8")
    scoreboard_imports.import_indicator_file(session, good, reference=reference, by=CLI)
    assert stored(session, "DE11", "eqi").value == 0.5  # replaced, not duplicated
    card = scoreboard.region_scorecard(session, code="DE11")
    governance = next(d for d in card.dimensions if d.code == "governance")
    assert governance.available == 2 and governance.country_level_share == 0.5
    bad = tmp_path / "bad.csv"
    bad.write_text("region,indicator,year,value\nDE12,eqi,2021,1\nDE12,sbs_kis_share,2015,3\n",
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        scoreboard_imports.import_indicator_file(session, bad, reference=reference, by=CLI)
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "indicator")]
    nothing = select(IndicatorValue).where(
        IndicatorValue.region_code == "DE12", IndicatorValue.indicator == "eqi"
    )
    assert session.scalars(nothing).first() is None  # line 2 was good, yet not stored


def test_an_eurostat_download_imports_into_its_catalogue_indicator(
    session: Session, reference: ReferenceData
) -> None:
    result = scoreboard_imports.import_eurostat_file(
        session, FIXTURES / "rd_e_gerdreg.tsv", indicator="gerd_gdp", reference=reference, by=CLI
    )
    assert result.source == "eurostat:rd_e_gerdreg:rd_e_gerdreg.tsv"
    assert result.indicators == ["gerd_gdp"] and result.rows == 5  # DE11 x2, DE12, EL30 x2
    with pytest.raises(InvalidInput, match="not a Eurostat indicator"):
        scoreboard_imports.import_eurostat_file(
            session, FIXTURES / "rd_e_gerdreg.tsv", indicator="eqi", reference=reference, by=CLI
        )


def test_an_eurostat_data_set_is_taken_from_the_mirror_by_code(
    session: Session, tmp_path: Path, reference: ReferenceData
) -> None:
    folder = tmp_path / "eu" / "eurostat"
    folder.mkdir(parents=True)
    (folder / "rd_e_gerdreg.tsv.gz").write_bytes(
        gzip.compress((FIXTURES / "rd_e_gerdreg.tsv").read_bytes())
    )
    mirror = Settings(data_mirror=tmp_path)
    result = scoreboard_imports.fetch_eurostat_indicator(
        session, indicator="berd_gdp", settings=mirror, reference=reference, by=CLI
    )
    assert (result.rows, result.source) == (2, "eurostat:rd_e_gerdreg:rd_e_gerdreg.tsv.gz")
    card = scoreboard.region_scorecard(session, code="DE11")
    assert next(i for i in card.indicators if i.code == "berd_gdp").value == 4.8  # 2020, latest
    with pytest.raises(DataSourceError, match=r"edat_lfse_04\.tsv\.gz"):
        scoreboard_imports.fetch_eurostat_indicator(
            session, indicator="tertiary_attainment", settings=mirror, reference=reference, by=CLI
        )
    with pytest.raises(NotFound, match="not a Eurostat data set code"):
        eurostat_dataset("../etc/passwd")


def test_default_peers_follow_the_documented_distance_on_the_51_clusters(session: Session) -> None:
    # The distance of docs/methodology/scoreboard.md, recomputed here from the stored cluster
    # employment of the 51-cluster data set with plain Python.
    dataset = session.scalar(select(Dataset.id).where(Dataset.key == "eu-sbs"))
    rows = session.execute(
        select(
            ClusterMetric.region_code, ClusterMetric.cluster_code,
            ClusterMetric.employment, ClusterMetric.region_total,
        ).where(
            ClusterMetric.dataset_id == dataset, ClusterMetric.region_type == "nuts2",
            ClusterMetric.year == 2015,
        )
    ).all()  # fmt: skip
    shares: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    for region, cluster, employment, total in rows:
        if total and total > 0 and employment:
            shares.setdefault(region, {})[cluster] = employment / total
            totals[region] = total
    with_values = set(session.scalars(select(IndicatorValue.region_code).distinct()))
    mine = shares["DE11"]

    def distance(other: str) -> float:
        theirs = shares[other]
        dot = sum(v * theirs.get(c, 0.0) for c, v in mine.items())
        norms = math.sqrt(sum(v * v for v in mine.values())) * math.sqrt(
            sum(v * v for v in theirs.values())
        )
        return (1 - dot / norms) + 0.1 * abs(math.log2(totals[other] / totals["DE11"]))

    candidates = [
        r for r in shares
        if r != "DE11" and not set(r[2:]) <= {"Z"} and (r in with_values or r[:2] in with_values)
    ]  # fmt: skip
    expected = sorted(candidates, key=lambda r: (distance(r), r))[:5]
    card = scoreboard.region_scorecard(session, code="DE11")
    assert [p.code for p in card.peers] == expected
    assert expected[:3] == ["ITC1", "DE21", "DE12"]  # Piemonte, Oberbayern, Karlsruhe
    for peer in card.peers:
        assert peer.similarity is not None and peer.size_ratio is not None
        recomputed = (1 - peer.similarity) + 0.1 * abs(math.log2(peer.size_ratio))
        assert recomputed == pytest.approx(distance(peer.code), rel=1e-9)


def test_one_nuts_version_is_compared(
    session: Session, reference: ReferenceData, tmp_path: Path
) -> None:
    # The SBS cluster map is carried to NUTS 2021: FRK2 (FR71 in NUTS 2013) is compared under
    # its current code, and a value under the old code is recoded to it, not compared twice.
    values = tmp_path / "eqi.csv"
    values.write_text(
        "region,indicator,year,value\nFRK2,eqi,2021,0.4\nDE11,eqi,2021,1\n", encoding="utf-8"
    )
    result = scoreboard_imports.import_indicator_file(session, values, reference=reference, by=CLI)
    assert result.rows == 2 and result.not_compared == []
    assert result.nuts_version == "NUTS 2021 codes"
    card = scoreboard.region_scorecard(session, code="FRK2")
    assert next(i for i in card.indicators if i.code == "eqi").value == 0.4
    old = tmp_path / "old.csv"
    old.write_text("region,indicator,year,value\nFR71,eqi,2021,0.3\n", encoding="utf-8")
    recoded = scoreboard_imports.import_indicator_file(session, old, reference=reference, by=CLI)
    assert recoded.recoded == {"recode": 1} and recoded.not_compared == []
    assert next(i for i in scoreboard.region_scorecard(session, code="FRK2").indicators
                if i.code == "eqi").value == 0.3  # fmt: skip
    eqi = next(i for i in scoreboard.region_scorecard(session, code="DE11").indicators
               if i.code == "eqi")  # fmt: skip
    assert eqi.score == 100.0


def test_extra_regio_codes_are_never_scored_nor_peers(session: Session) -> None:
    # A user file cannot name ELZZ (no loaded region has it), a stored value can still exist.
    values = pl.DataFrame(
        {"region_code": ["ELZZ", "EL30", "DE11"], "indicator": ["eqi"] * 3,
         "year": [2021] * 3, "value": [-9.0, 0.0, 1.0], "country_level": [False] * 3},
        schema=INDICATOR_VALUES,
    )  # fmt: skip
    store_values(session, values, "user:extra.csv")
    with pytest.raises(InvalidInput, match="NUTS"):
        scoreboard.region_scorecard(session, code="ELZZ")
    with pytest.raises(InvalidInput):
        scoreboard.region_scorecard(session, code="EL30", peers=["ELZZ"])
    card = scoreboard.region_scorecard(session, code="EL30")
    assert card.peers and all(not set(p.code[2:]) <= {"Z"} for p in card.peers)
    eqi = next(i for i in card.indicators if i.code == "eqi")
    assert eqi.score == 0.0  # ELZZ's -9 does not set the floor


def test_a_region_is_not_its_own_only_peer(session: Session) -> None:
    with pytest.raises(InvalidInput, match="not its own peer") as caught:
        scoreboard.region_scorecard(session, code="DE11", peers="DE11")
    assert caught.value.problems[0].field == "peers"
    card = scoreboard.region_scorecard(session, code="DE11", peers=" de11, DE21 ,de21")
    assert [p.code for p in card.peers] == ["DE21"]


def test_a_huge_value_is_refused_at_import_with_line_and_field(
    session: Session, reference: ReferenceData, tmp_path: Path
) -> None:
    values = tmp_path / "huge.csv"
    values.write_text(
        "region,indicator,year,value\nDE11,eqi,2021,1e308\nDE12,eqi,2021,12abc\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        scoreboard_imports.import_indicator_file(session, values, reference=reference, by=CLI)
    assert {(p.line, p.field, p.value) for p in caught.value.problems} == {
        (2, "value", "1e308"), (3, "value", "12abc"),
    }  # fmt: skip


def test_eurostat_geo_codes_are_checked_and_aggregates_counted(
    session: Session, reference: ReferenceData, tmp_path: Path
) -> None:
    path = tmp_path / "gerd.tsv"
    header = "freq,sectperf,unit,geo\\TIME_PERIOD\t2020 \n"
    path.write_text(
        header + "A,TOTAL,PC_GDP,DE11\t5.9 p\nA,TOTAL,PC_GDP,EU27_2020\t2.3 \n"
        "A,TOTAL,PC_GDP,EFTA\t2.0 \nA,TOTAL,PC_GDP,FRZZ\t0.1 \nA,TOTAL,PC_GDP,EA19\t2.2 \n",
        encoding="utf-8",
    )
    result = scoreboard_imports.import_eurostat_file(
        session, path, indicator="gerd_gdp", reference=reference, by=CLI
    )
    assert (result.rows, result.skipped_aggregates, result.skipped_extra_regio) == (1, 3, 1)
    path.write_text(
        header + "A,TOTAL,PC_GDP,XX99\t1 \nA,TOTAL,PC_GDP,DE12\t4.0 x\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as caught:
        scoreboard_imports.import_eurostat_file(
            session, path, indicator="gerd_gdp", reference=reference, by=CLI
        )
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "geo"), (3, "2020")]


def test_kept_scores_follow_every_committed_change_and_no_rolled_back_one(
    factory: sessionmaker[Session],
) -> None:
    # Scorecards keep every level's scores per process, keyed by the indicator values' change
    # counter: a value committed by another session is seen at once, and a value read inside
    # a transaction that is then rolled back is never served to anyone else.
    def eqi(value: float) -> pl.DataFrame:
        return pl.DataFrame(
            {"region_code": ["DE11"], "indicator": ["eqi"], "year": [2030], "value": [value],
             "country_level": [False]},
            schema=INDICATOR_VALUES,
        )  # fmt: skip

    def shown(session: Session) -> float | None:
        card = scoreboard.region_scorecard(session, code="DE11")
        return next((i.value for i in card.indicators if i.code == "eqi"), None)

    with factory() as reader:
        before = shown(reader)
        reader.rollback()
        with factory() as doomed:  # read inside its own transaction, then rolled back
            store_values(doomed, eqi(-1.0), "user:doomed.csv")
            assert shown(doomed) == -1.0
            doomed.rollback()
        assert shown(reader) == before
        reader.rollback()
        try:
            with transaction(factory) as writer:
                store_values(writer, eqi(7.5), "user:late.csv")
            assert shown(reader) == 7.5
        finally:
            with transaction(factory) as cleaner:
                cleaner.execute(delete(IndicatorValue).where(IndicatorValue.year == 2030))
                generations.bump(cleaner, generations.INDICATORS)


def test_warming_computes_what_each_levels_region_pages_share(
    factory: sessionmaker[Session],
) -> None:
    dataset_cache.clear()
    used = warm_caches(factory)
    assert sorted(len(code) - 2 for code in used) == [0, 1, 2]  # one region of each level
    kept = [key[-1] for key in dataset_cache.kept()]
    for code in used:
        level = len(code) - 2
        assert any(k[0] == "level-scores" and len(k[1][0]) == level + 2 for k in kept), level
        assert ("diversification", f"nuts{level}", 2015) in kept


def test_indicator_values_under_older_nuts_codes_are_recoded(
    session: Session, reference: ReferenceData, tmp_path: Path
) -> None:
    # FR62 (NUTS 2013) is FRJ2; PL12 (2013) was split into PL91 and PL92; FI13 and FI1A
    # (2006) were merged into FI1D.
    path = tmp_path / "old.csv"
    path.write_text(
        "region,indicator,year,value\nFR62,eqi,2019,0.25\nPL12,eqi,2019,-0.5\n"
        "FI13,eqi,2019,1.0\nFI1A,eqi,2019,2.0\nDE11,eqi,2019,1.5\n",
        encoding="utf-8",
    )
    result = scoreboard_imports.import_indicator_file(session, path, reference=reference, by=CLI)
    assert result.rows == 5 and result.recoded == {"recode": 1, "split": 2, "mean": 1}
    assert result.recoded_summary is not None and result.recoded_summary.startswith("4 values")
    frj2 = stored(session, "FRJ2", "eqi")
    assert (frj2.value, frj2.nuts_recode) == (0.25, "recode of FR62 (NUTS 2013)")
    for code in ("PL91", "PL92"):
        split = stored(session, code, "eqi")
        assert split.value == -0.5
        assert split.nuts_recode == "split of PL12 (NUTS 2013): value kept, estimate"
    merged = stored(session, "FI1D", "eqi")
    # Weighted by the 2018 population of each piece: FI13 ~621,000, FI1A ~645,000.
    assert 1.5 < merged.value < 1.52
    assert merged.nuts_recode == "mean of FI13, FI1A (NUTS 2006) by population: estimate"
    assert stored(session, "DE11", "eqi").nuts_recode is None
    # Old codes are not stored as such; an unknown code is still refused with its line.
    assert (
        session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.region_code.in_(["FR62", "PL12"]), IndicatorValue.indicator == "eqi"
            )
        ).first()
        is None
    )
    path.write_text("region,indicator,year,value\nFR62,eqi,2020,1\nFR99,eqi,2020,1\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(InvalidInput, match="unknown region code") as caught:
        scoreboard_imports.import_indicator_file(session, path, reference=reference, by=CLI)
    assert [(p.line, p.field, p.value) for p in caught.value.problems] == [(3, "region", "FR99")]
    assert (
        session.scalars(select(IndicatorValue).where(IndicatorValue.year == 2020)).first() is None
    )  # all or nothing
