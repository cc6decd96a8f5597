"""A database with real content in every table, for the backup and restore tests.

The U.S. cluster map and the U.S. cluster organisations come from the real data mirror through
the loaders the platform uses; the ESCP-4i partnerships from the package data. Accounts, posts
and the other collaboration tables get a few rows written through the models, with the values
a round trip could get wrong: text with quotes, tabs, newlines and non-Latin letters, None,
timestamps with microseconds, dates, nested JSON, floats with long mantissas, binary vectors.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from clusterhub.config import Settings
from clusterhub.services.accounts.users import Role, create_user
from clusterhub.services.audit import BOOTSTRAP, Actor
from clusterhub.services.directory import sources
from clusterhub.services.embeddings import Embedder, text_hash, to_blob
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.observatory.loading import load_cluster_map
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import (
    AuditEntry,
    EmailVerificationToken,
    IndicatorValue,
    LoginAttempt,
    Notification,
    Organisation,
    OrganisationAdmin,
    OrganisationEmbedding,
    Participation,
    PartnerPost,
    Partnership,
    PartnershipMember,
    PasswordResetToken,
    PostFollow,
    PostInterest,
    Project,
    UserSession,
)
from tests.services.backup_events import add_event
from tests.services.backup_s3 import add_s3

#: Profiles given a sentence embedding (a few are enough to carry binary columns).
EMBEDDED = 12
AWKWARD_TEXT = "Zeile 1; 'quoted' \"double\"\ttab\nZeile 2 — Ærøskøbing, Łódź, Θεσσαλονίκη 🚀 \\."
WHEN = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)


def fill(
    settings: Settings,
    *,
    reference: ReferenceData,
    catalogues: Catalogues,
    us_map: ClusterMap,
    embedder: Embedder,
) -> None:
    """Load the real records, then a few rows of every other table, in one transaction."""
    engine = make_engine(settings)
    with transaction(make_session_factory(engine)) as session:
        load_cluster_map(session, key="us-states", title="U.S. states", result=us_map, by=BOOTSTRAP)
        sources.load_partnerships(session, by=BOOTSTRAP)
        sources.load_cmp_organisations(
            session, path=reference.fetch("cmp-orgs"), catalogues=catalogues, embedder=None,
            by=BOOTSTRAP,
        )  # fmt: skip
        orgs = session.scalars(select(Organisation).order_by(Organisation.id)).all()
        vectors = embedder.encode([org.name for org in orgs[:EMBEDDED]])
        session.add_all(
            OrganisationEmbedding(
                organisation_id=org.id,
                model=embedder.name,
                text_hash=text_hash(org.name),
                vector=to_blob(vector),
            )
            for org, vector in zip(orgs[:EMBEDDED], vectors, strict=True)
        )
        admin = create_user(
            session,
            email="ada@example.org",
            display_name="Ada Ångström",
            password="a long enough password",
            role=Role.SITE_ADMIN,
        )
        member = create_user(
            session,
            email="bo@example.org",
            display_name="Bo O'Brien",
            password="another long password",
            by=Actor.of_user(admin.id),
        )
        partnership = session.scalars(select(Partnership).order_by(Partnership.id)).first()
        assert partnership is not None
        project = Project(
            key="cordis:190123456",
            programme_parts=["H2020-EU.2.1.1.", "H2020-EU.3.4."],
            start_date=date(2018, 1, 1),
            end_date=None,
            total_cost=1_234_567.891234567,
            max_contribution=None,
        )
        post = PartnerPost(
            organisation_id=orgs[0].id,
            kind="offer",
            title="Pilot line for aerospace composites",
            body=AWKWARD_TEXT,
            keywords=["composites", "Luft- und Raumfahrt"],
            cluster_codes=["2"],
            target_countries=["DE", "FR"],
            created_by=member.id,
            created_at=WHEN,
            expires_at=WHEN + timedelta(days=60),
        )
        session.add_all([project, post])
        session.flush()
        session.add_all(
            [
                OrganisationAdmin(organisation_id=orgs[0].id, user_id=member.id, added_at=WHEN),
                PartnershipMember(
                    partnership_id=partnership.id, organisation_id=orgs[1].id, role="lead partner"
                ),
                Participation(
                    project_id=project.id,
                    organisation_id=orgs[2].id,
                    role="coordinator",
                    contribution=0.1 + 0.2,
                ),
                PostInterest(
                    post_id=post.id, user_id=admin.id, organisation_id=None, message=AWKWARD_TEXT
                ),
                PostFollow(post_id=post.id, user_id=admin.id),
                Notification(
                    user_id=member.id, kind="interest", message="Ada is interested", link=None
                ),
                UserSession(token_hash="a" * 64, user_id=admin.id, expires_at=WHEN),
                PasswordResetToken(
                    token_hash="b" * 64, user_id=member.id, expires_at=WHEN, used_at=WHEN
                ),
                EmailVerificationToken(token_hash="c" * 64, user_id=member.id, expires_at=WHEN),
                LoginAttempt(key="mallory@example.org", at=WHEN),
                IndicatorValue(
                    region_code="DE11",
                    indicator="rd_intensity",
                    year=2019,
                    value=3.14159265358979,
                    source="user:indicators.csv",
                ),
                IndicatorValue(
                    region_code="DE",
                    indicator="rd_intensity",
                    year=2019,
                    value=3.1,
                    country_level=True,
                    source="user:indicators.csv",
                ),
                AuditEntry(
                    user_id=admin.id,
                    actor=f"user:{admin.id}",
                    action="test.nested",
                    entity_type="post",
                    entity_id=None,
                    details={"list": [1, 2.5, None, {"ü": True}], "text": AWKWARD_TEXT},
                ),
            ]
        )
        session.flush()
        add_event(session, organiser_id=orgs[0].id, admin_id=admin.id, member_id=member.id,
                  org_ids=[org.id for org in orgs[1:4]], when=WHEN, text=AWKWARD_TEXT)  # fmt: skip
        add_s3(session, officer_id=admin.id, when=WHEN, text=AWKWARD_TEXT)
    engine.dispose()
