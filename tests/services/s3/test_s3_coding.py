"""The coding assistant on the real NACE texts, with and without its model, and the officer's
confirmation (who, what, and the cluster edits) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clusterhub.classify.words import words
from clusterhub.errors import InvalidInput, PermissionDenied
from clusterhub.services.audit import Actor
from clusterhub.services.s3 import coding, imports
from clusterhub.services.s3.coding import CodingAssistant
from clusterhub.services.s3.mapping import S3Codes, edited
from clusterhub.services.s3.schemas import CodingStatus
from clusterhub.store.db import transaction
from clusterhub.store.s3 import S3Priority
from tests.services.s3.conftest import FIXTURES, Db


def test_offshore_wind_proposes_electricity_production_with_its_cluster(
    semantic: CodingAssistant,
) -> None:
    proposal = semantic.propose("Offshore wind energy")
    assert proposal.method == "semantic"
    best = proposal.nace[0]
    assert (best.code, best.division) == ("35.11", "D35")
    assert best.matched_text == "Wind Electric Power Generation" and "wind" in best.matched_words
    assert [c.code for c in best.clusters] == ["14"]  # Electric Power Generation and Transmission
    assert "14" in [c.code for c in proposal.clusters]
    assert all(a.score >= b.score for a, b in zip(proposal.nace, proposal.nace[1:], strict=False))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aircraft and spacecraft manufacturing", "30.30"),
        ("Pharmaceutical preparations and biotechnology", "21.20"),
        ("Machine tools for metal working", "28.41"),
    ],
)
def test_other_priorities_find_their_class_among_the_first_three(
    semantic: CodingAssistant, text: str, expected: str
) -> None:
    assert expected in [m.code for m in semantic.propose(text).nace[:3]]


def test_without_a_model_words_still_find_wind_power(keyword: CodingAssistant) -> None:
    proposal = keyword.propose("Offshore wind energy")
    assert proposal.method == "keyword"
    top = {m.code: m for m in proposal.nace[:3]}
    assert "35.11" in top and top["35.11"].matched_words == ["wind"]
    assert keyword.propose("Quantum gravity lattice").nace == []  # no shared word: no guess


def test_fields_and_objectives_are_proposed_from_their_names(semantic: CodingAssistant) -> None:
    proposal = semantic.propose("Personalised medicine and clinical research")
    assert {"3.1", "3.2"} & {f.code for f in proposal.fields_of_science}
    assert len(proposal.objectives) == coding.TOP_OBJECTIVES


def test_words_are_normalised_for_matching() -> None:
    assert words("Électricité, electrical and ELECTRICITY products") == [
        "electricite", "electric", "electric"
    ]  # fmt: skip
    assert edited(["4", "14"], ["40"], ["14", "99"]) == ["4", "40"]


def _first_priority(db: Db, codes: S3Codes) -> int:
    with transaction(db.factory) as session:
        imports.import_file(
            session, path=FIXTURES / "priorities.csv", codes=codes, by=Actor("cli:t")
        )
    with db.factory() as session:
        return session.scalars(select(S3Priority.id).order_by(S3Priority.id)).first() or 0


def test_an_officer_confirms_and_edits_a_coding(db: Db, codes: S3Codes) -> None:
    priority = _first_priority(db, codes)
    with transaction(db.factory) as session:
        shown = coding.confirm_coding(
            session, actor=db.officer, priority_id=priority, nace=["C28.41", "35.11", "28.41"],
            fields_of_science=["Mechanical engineering"], objectives=["kets"],
            add_clusters=["Automotive"], remove_clusters=["14"], codes=codes,
        )  # fmt: skip
    assert [n.code for n in shown.nace] == ["28.41", "35.11"]
    assert [c.code for c in shown.clusters] == ["4", "32"]  # 32 from 28.41, 14 removed, 4 added
    assert (shown.clusters_added, shown.clusters_removed) == (["4"], ["14"])
    assert shown.coding_status is CodingStatus.CONFIRMED
    assert shown.coded_by == f"user:{db.officer.id}" and shown.coded_at is not None
    with db.factory() as session:
        stored = session.get(S3Priority, priority)
        assert stored is not None and stored.coded_by == db.officer.id
        assert stored.fos_codes == ["2.3"] and stored.objectives == ["kets"]


def test_a_coding_with_unknown_codes_is_refused_whole(db: Db, codes: S3Codes) -> None:
    priority = _first_priority(db, codes)
    with pytest.raises(InvalidInput) as caught, transaction(db.factory) as session:
        coding.confirm_coding(
            session, actor=db.officer, priority_id=priority, nace=["35.11", "35.19"],
            fields_of_science=["7.1"], objectives=["World peace"], add_clusters=["52"],
            codes=codes,
        )  # fmt: skip
    assert {(p.field, p.value) for p in caught.value.problems} == {
        ("nace", "35.19"), ("fos", "7.1"), ("objectives", "World peace"), ("add_clusters", "52")
    }  # fmt: skip
    with db.factory() as session:
        stored = session.get(S3Priority, priority)
        assert stored is not None and stored.coding_status == CodingStatus.IMPORTED


def test_members_may_not_code_and_proposals_wait_for_an_officer(
    db: Db, codes: S3Codes, keyword: CodingAssistant
) -> None:
    priority = _first_priority(db, codes)
    with pytest.raises(PermissionDenied), transaction(db.factory) as session:
        coding.confirm_coding(session, actor=db.member, priority_id=priority, nace=["35.11"],
                              fields_of_science=[], objectives=[], codes=codes)  # fmt: skip
    with pytest.raises(PermissionDenied), transaction(db.factory) as session:
        coding.record_proposal(session, actor=db.member, priority_id=priority, assistant=keyword)
    with transaction(db.factory) as session:
        proposal = coding.record_proposal(
            session, actor=db.officer, priority_id=priority, assistant=keyword
        )
    with db.factory() as session:
        stored = session.get(S3Priority, priority)
        assert stored is not None and stored.coding_status == CodingStatus.PROPOSED
        assert stored.proposal["nace"][0]["code"] == proposal.nace[0].code
