"""Smart Specialisation rows for the backup round trips (``backup_content``): a strategy with a
confirmed priority (JSON lists and maps, a user link, a UTC timestamp) and a partnership with
its regions, in awkward text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clusterhub.store.s3 import S3Partnership, S3PartnershipRegion, S3Priority, S3Strategy


def add_s3(session: Session, *, officer_id: int, when: datetime, text: str) -> None:
    """One strategy of two priorities and one partnership of three regions."""
    session.add(S3Strategy(
        region_code="PL21", country="PL", title="RIS3 «Małopolska»", period="2021-2027",
        source=text, synthetic=True, created_at=when, updated_at=when,
        priorities=[
            S3Priority(position=1, title="Life science", description=text,
                       nace_codes=["21.20", "72.11"], fos_codes=["3.4"], objectives=["kets"],
                       cluster_codes=["5", "13"], cluster_edits={"added": ["13"], "removed": []},
                       coding_status="confirmed", proposal={"nace": [{"code": "21.20",
                       "score": 0.8144, "matched_words": ["pharmaceut"]}]},
                       coded_by=officer_id, coded_by_actor=f"user:{officer_id}", coded_at=when),
            S3Priority(position=2, title="Energy", nace_codes=[], fos_codes=[], objectives=[],
                       cluster_codes=[], cluster_edits={}, coding_status="uncoded", proposal={}),
        ],
    ))  # fmt: skip
    session.add(S3Partnership(
        name="Textiles 4.0 — «test»", platform="Industrial Modernisation",
        thematic_area="Textiles", description=text, source="test", synthetic=True,
        created_at=when,
        regions=[S3PartnershipRegion(region_code=code, role=role)
                 for code, role in (("PL21", "lead"), ("ES21", "member"), ("ITC4", "member"))],
    ))  # fmt: skip
