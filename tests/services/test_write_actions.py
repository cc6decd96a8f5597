"""The table of write use cases (``services.write_actions``), walked on SQLite and PostgreSQL.

Each use case is run once and must store exactly one audit entry: the table's action and entity
type, by the actor who ran it. ``test_write_sources.py`` checks that the table lists every
function that writes.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clusterhub import demo
from clusterhub.config import Settings
from clusterhub.services import backup
from clusterhub.services.accounts import logins, notifications, users
from clusterhub.services.accounts import verification as email_verification
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.audit import BOOTSTRAP, Actor
from clusterhub.services.directory import cordis, io, labels, profiles, sources
from clusterhub.services.directory.backfill import EmbeddingBackfill
from clusterhub.services.embeddings import Embedder
from clusterhub.services.mail import FileMailer
from clusterhub.services.observatory import loading
from clusterhub.services.observatory.analytics import ClusterMap
from clusterhub.services.posts import board, interest
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.s3 import coding as s3_coding
from clusterhub.services.s3 import imports as s3_imports
from clusterhub.services.s3 import seed as s3_seed
from clusterhub.services.s3.mapping import S3Codes
from clusterhub.services.scoreboard import data as scoreboard_data
from clusterhub.services.scoreboard import imports as scoreboard_imports
from clusterhub.services.write_actions import WRITE_ACTIONS, WriteAction, qualified_name
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import AuditEntry
from clusterhub.store.s3 import S3Strategy
from tests.conftest import DB_KINDS, migrated_database
from tests.services.write_actions_events import BUILDERS, Builder

PASSWORD = "correct horse battery staple"
CLI = Actor.command_line()
SCOREBOARD_FIXTURES = Path(__file__).resolve().parents[1] / "data" / "scoreboard"


@dataclass(frozen=True)
class Expected:
    """Who the entry must name, and (where known beforehand) which entity."""

    actor: str
    entity_id: str | None = None


@dataclass
class World:
    """A database with people, a profile and a post, shared by the scenarios of one kind."""

    factory: sessionmaker[Session]
    settings: Settings
    reference: ReferenceData
    catalogues: Catalogues
    embedder: Embedder
    us_map: ClusterMap
    folder: Path
    serial: int = 0

    def tx(self) -> Any:
        return transaction(self.factory)

    def user(self, role: Role = Role.MEMBER) -> UserPublic:
        self.serial += 1
        with self.tx() as session:
            return users.create_user(
                session, email=f"u{self.serial}@example.org", display_name=f"User {self.serial}",
                password=PASSWORD, role=role,
            )  # fmt: skip

    def profile(self, owner: UserPublic, **fields: Any) -> int:
        self.serial += 1
        data = profiles.validate(
            {"name": f"Profile {self.serial}", "country": "DE", **fields}, self.catalogues
        )
        with self.tx() as session:
            return profiles.create_profile(
                session, data=data, actor=owner, catalogues=self.catalogues, embedder=None
            ).id

    def post(self, owner: UserPublic, organisation_id: int) -> int:
        with self.tx() as session:
            return board.create_post(
                session, organisation_id=organisation_id, actor=owner,
                data={"kind": "offer", "title": "Test beds for batteries", "body": "Come."},
                catalogues=self.catalogues,
            ).id  # fmt: skip

    def file(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path


def _as(user: UserPublic) -> str:
    return f"user:{user.id}"


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reference: ReferenceData,
    catalogues: Catalogues,
    embedder: Embedder,
    us_map: ClusterMap,
) -> Iterator[World]:
    cheap = pytest.MonkeyPatch()
    cheap.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    folder = tmp_path_factory.mktemp("walk")
    with migrated_database(request.param, folder) as settings:
        engine = make_engine(settings)
        state = World(
            factory=make_session_factory(engine), settings=settings, reference=reference,
            catalogues=catalogues, embedder=embedder, us_map=us_map, folder=folder,
        )  # fmt: skip
        yield state
        engine.dispose()
    cheap.undo()


# --- the scenarios: set up, then return the one write to measure -------------------------------

Act = Callable[[], Expected]
SCENARIOS: dict[tuple[str, str], Callable[[World], Act]] = {}


def scenario(use_case: Callable[..., Any], action: str) -> Callable[..., Any]:
    def register(build: Callable[[World], Act]) -> Callable[[World], Act]:
        SCENARIOS[(qualified_name(use_case), action)] = build
        return build

    return register


def act(w: World, write: Callable[[Session], object], actor: str, entity: object = None) -> Act:
    """The write, run in a transaction of its own, and the entry expected of it."""

    def run() -> Expected:
        with w.tx() as session:
            write(session)
        return Expected(actor, None if entity is None else str(entity))

    return run


def _login(w: World, email: str, password: str) -> Any:
    with w.tx() as session:
        return logins.login(
            session, email=email, password=password, client="10.1.1.1", settings=w.settings
        )


@scenario(users.register, "user.register")
def _register(w: World) -> Act:
    def run() -> Expected:
        with w.tx() as session:
            new = users.register(session, email="new@example.org", display_name="New",
                                    password=PASSWORD, mailer=FileMailer(w.folder / "new"),
                                    request_base="http://t/", settings=w.settings)  # fmt: skip
        return Expected(_as(new.user), str(new.user.id))

    return run


@scenario(users.create_user, "user.create")
def _create_user(w: World) -> Act:
    return act(w, lambda s: users.create_user(
        s, email="ops@example.org", display_name="Ops", password=PASSWORD, by=CLI),
        CLI.name)  # fmt: skip


@scenario(logins.login, "login")
def _login_ok(w: World) -> Act:
    user = w.user()
    return lambda: (_login(w, user.email, PASSWORD), Expected(_as(user), str(user.id)))[1]


@scenario(logins.login, "login.failed")
def _login_failed(w: World) -> Act:
    user = w.user()
    return lambda: (_login(w, user.email, "wrong password"), Expected("anonymous", str(user.id)))[1]


@scenario(users.logout, "logout")
def _logout(w: World) -> Act:
    user = w.user()
    token = _login(w, user.email, PASSWORD).token
    return act(w, lambda s: users.logout(s, token=token), _as(user), user.id)


@scenario(users.update_profile, "user.update")
def _update_user(w: World) -> Act:
    user = w.user()
    return act(w, lambda s: users.update_profile(s, user_id=user.id, display_name="Renamed"),
               _as(user), user.id)  # fmt: skip


@scenario(users.change_password, "user.password_change")
def _change_password(w: World) -> Act:
    user = w.user()
    return act(w, lambda s: users.change_password(
        s, user_id=user.id, current_password=PASSWORD, new_password="another long passphrase"),
        _as(user), user.id)  # fmt: skip


def _request_reset(session: Session, w: World, user: UserPublic, folder: Path) -> None:
    users.request_password_reset(session, email=user.email, mailer=FileMailer(folder),
                                    request_base="http://t/", settings=w.settings)  # fmt: skip


@scenario(users.request_password_reset, "password_reset.request")
def _reset_request(w: World) -> Act:
    user = w.user()
    return act(w, lambda s: _request_reset(s, w, user, w.folder / f"mail-{user.id}"),
               "anonymous", user.id)  # fmt: skip


@scenario(users.reset_password, "user.password_reset")
def _reset(w: World) -> Act:
    user = w.user()
    mails = w.folder / f"reset-{user.id}"
    with w.tx() as session:
        _request_reset(session, w, user, mails)
    body = next(mails.glob("*.eml")).read_text(encoding="utf-8")
    token = re.search(r"/account/password-reset/([A-Za-z0-9_-]+)", body)
    assert token
    return act(w, lambda s: users.reset_password(
        s, token=token.group(1), new_password="a brand new passphrase"),
        _as(user), user.id)  # fmt: skip


def _verification_token(w: World, user: UserPublic) -> str:
    """The token of a verification link mailed to ``user`` (resent, so it is fresh)."""
    mails = w.folder / f"verify-{user.id}"
    with w.tx() as session:
        email_verification.resend_verification(
            session, actor=user, mailer=FileMailer(mails), request_base="http://t/",
            settings=w.settings,
        )  # fmt: skip
    body = next(mails.glob("*.eml")).read_text(encoding="utf-8")
    token = re.search(r"/account/verify/([A-Za-z0-9_-]+)", body)
    assert token
    return token.group(1)


def _unverified(w: World) -> UserPublic:
    with w.tx() as session:
        new = users.register(
            session, email=f"unverified{w.serial}@example.org", display_name="U",
            password=PASSWORD, mailer=FileMailer(w.folder / "register"),
            request_base="http://t/", settings=w.settings,
        )  # fmt: skip
    w.serial += 1
    return new.user


@scenario(email_verification.verify_email, "user.verify_email")
def _verify_email(w: World) -> Act:
    user = _unverified(w)
    token = _verification_token(w, user)
    return act(w, lambda s: email_verification.verify_email(s, token=token), _as(user), user.id)


@scenario(email_verification.resend_verification, "email_verification.resend")
def _resend(w: World) -> Act:
    user = _unverified(w)
    return act(w, lambda s: email_verification.resend_verification(
        s, actor=user, mailer=FileMailer(w.folder / "resend"), request_base="http://t/",
        settings=w.settings), _as(user), user.id)  # fmt: skip


@scenario(backup.backup_database, "database.backup")
def _backup(w: World) -> Act:
    path = w.folder / f"backup-{w.serial}.zip"
    w.serial += 1

    def run() -> Expected:
        result = backup.backup_database(w.settings, path, by=CLI, format="logical")
        return Expected(CLI.name, result.manifest.revision)

    return run


@scenario(backup.restore_database, "database.restore")
def _restore(w: World) -> Act:
    path = w.folder / f"restore-{w.serial}.zip"
    w.serial += 1
    taken = backup.backup_database(w.settings, path, by=CLI, format="logical")

    def run() -> Expected:
        backup.restore_database(w.settings, path, catalogues=w.catalogues, by=CLI)
        return Expected(CLI.name, taken.manifest.revision)

    return run


@scenario(users.set_role, "user.role")
def _set_role(w: World) -> Act:
    admin, someone = w.user(Role.SITE_ADMIN), w.user()
    return act(w, lambda s: users.set_role(s, actor=admin, user_id=someone.id, role="org_admin"),
               _as(admin), someone.id)  # fmt: skip


@scenario(profiles.create_profile, "directory.create")
def _create_profile(w: World) -> Act:
    owner = w.user()
    return lambda: (w.profile(owner), Expected(_as(owner)))[1]


@scenario(profiles.update_profile, "directory.update")
def _update_profile(w: World) -> Act:
    owner = w.user()
    org = w.profile(owner)
    return act(w, lambda s: profiles.update_profile(
        s, organisation_id=org, changes={"city": "Ulm"}, expected_version=1, actor=owner,
        catalogues=w.catalogues, embedder=None), _as(owner), org)  # fmt: skip


@scenario(profiles.delete_profile, "directory.delete")
def _delete_profile(w: World) -> Act:
    owner = w.user()
    org = w.profile(owner)
    return act(w, lambda s: profiles.delete_profile(s, organisation_id=org, actor=owner),
               _as(owner), org)  # fmt: skip


@scenario(profiles.add_admin, "directory.add_admin")
def _add_admin(w: World) -> Act:
    owner, colleague = w.user(), w.user()
    org = w.profile(owner)
    return act(w, lambda s: profiles.add_admin(
        s, organisation_id=org, email=colleague.email, actor=owner), _as(owner), org)  # fmt: skip


@scenario(io.import_file, "directory.import")
def _import_file(w: World) -> Act:
    path = w.file("orgs.csv", "key,name,country,label,label_valid_until,label_review\n"
                  "f:1,File One,DE,gold,2099-01-01,verified\nf:2,File Two,FR,,,\n")  # fmt: skip

    def write(session: Session) -> None:
        report = io.import_file(session, path=path, catalogues=w.catalogues, embedder=None, by=CLI)
        assert report.extra == {io.REVIEW_CLAIMS_NOT_HELD: 1}  # imports only declare

    return act(w, write, CLI.name, "file")


@scenario(sources.load_cmp_organisations, "directory.import")
def _load_cmp(w: World) -> Act:
    return act(w, lambda s: sources.load_cmp_organisations(
        s, path=w.reference.fetch("cmp-orgs"), catalogues=w.catalogues, embedder=None,
        by=BOOTSTRAP), BOOTSTRAP.name, "cmp-orgs")  # fmt: skip


@scenario(cordis.load_cordis, "directory.import")
def _load_cordis(w: World) -> Act:
    raw = pl.read_csv(w.reference.fetch("cordis-participations"), infer_schema_length=0)
    subset = w.folder / "cordis-subset.csv.gz"
    with gzip.open(subset, "wb") as handle:
        raw.head(8).write_csv(handle)
    parts = w.reference.fetch("cordis-programme-parts")
    return act(w, lambda s: cordis.load_cordis(
        s, participations_path=subset, programme_parts_path=parts, catalogues=w.catalogues,
        embedder=None, by=CLI), CLI.name, "cordis")  # fmt: skip


@scenario(demo.load_demo, "directory.import")
def _load_demo(w: World) -> Act:
    return act(w, lambda s: demo.load_demo(
        s, reference=w.reference, count=3, embedder=None, by=CLI),
        CLI.name, demo.SOURCE)  # fmt: skip


@scenario(demo.remove_demo, "directory.remove_source")
def _remove_demo(w: World) -> Act:
    return act(w, lambda s: demo.remove_demo(s, by=CLI), CLI.name, demo.SOURCE)


@scenario(sources.load_partnerships, "partnerships.import")
def _load_partnerships(w: World) -> Act:
    return act(w, lambda s: sources.load_partnerships(s, by=CLI), CLI.name,
               "partnerships")  # fmt: skip


@scenario(EmbeddingBackfill._one_batch, "directory.embed")
def _embed_batch(w: World) -> Act:
    w.profile(w.user())  # saved without an embedding
    backfill = EmbeddingBackfill(
        w.factory, catalogues=lambda: w.catalogues, embedder=lambda: w.embedder, batch=2
    )
    return lambda: (backfill._one_batch(), Expected("system:embedding-backfill"))[1]


def _labelled(w: World) -> tuple[int, UserPublic]:
    until = (date.today() + timedelta(days=90)).isoformat()
    org = w.profile(w.user(), label="silver", label_valid_until=until)
    return org, w.user(Role.PROGRAMME_OFFICER)


@scenario(labels.verify, "label.verify")
def _verify(w: World) -> Act:
    org, officer = _labelled(w)
    return act(w, lambda s: labels.verify(
        s, organisation_id=org, expected_version=1, evidence="registry entry 17", actor=officer),
        _as(officer), org)  # fmt: skip


@scenario(labels.reject, "label.reject")
def _reject(w: World) -> Act:
    org, officer = _labelled(w)
    return act(w, lambda s: labels.reject(
        s, organisation_id=org, expected_version=1, reason="no certificate", actor=officer),
        _as(officer), org)  # fmt: skip


def _post_world(w: World, following: bool = False) -> tuple[UserPublic, UserPublic, int]:
    owner, reader = w.user(), w.user()
    post = w.post(owner, w.profile(owner))
    if following:
        with w.tx() as session:
            interest.follow(session, post_id=post, actor=reader)
    return owner, reader, post


@scenario(board.create_post, "posts.create")
def _create_post(w: World) -> Act:
    owner = w.user()
    org = w.profile(owner)
    return lambda: (w.post(owner, org), Expected(_as(owner)))[1]


@scenario(board.update_post, "posts.update")
def _update_post(w: World) -> Act:
    owner, _reader, post = _post_world(w)
    return act(w, lambda s: board.update_post(
        s, post_id=post, actor=owner, catalogues=w.catalogues,
        data={"kind": "offer", "title": "Test beds for solid-state batteries"}),
        _as(owner), post)  # fmt: skip


@scenario(board.close_post, "posts.close")
def _close_post(w: World) -> Act:
    owner, _reader, post = _post_world(w)
    return act(w, lambda s: board.close_post(s, post_id=post, actor=owner), _as(owner), post)


@scenario(interest.express_interest, "posts.interest")
def _interest(w: World) -> Act:
    _owner, reader, post = _post_world(w)
    return act(w, lambda s: interest.express_interest(
        s, post_id=post, data={"message": "We would like to test."}, actor=reader, mailer=None,
        site_url="http://t"), _as(reader), post)  # fmt: skip


@scenario(interest.follow, "posts.follow")
def _follow(w: World) -> Act:
    _owner, reader, post = _post_world(w)
    return act(w, lambda s: interest.follow(s, post_id=post, actor=reader), _as(reader),
               post)  # fmt: skip


@scenario(interest.unfollow, "posts.unfollow")
def _unfollow(w: World) -> Act:
    _owner, reader, post = _post_world(w, following=True)
    return act(w, lambda s: interest.unfollow(s, post_id=post, actor=reader), _as(reader),
               post)  # fmt: skip


@scenario(notifications.mark_read, "notifications.read")
def _mark_read(w: World) -> Act:
    owner, reader, post = _post_world(w, following=True)
    with w.tx() as session:
        board.close_post(session, post_id=post, actor=owner)  # tells the follower
    return act(w, lambda s: notifications.mark_read(s, actor=reader), _as(reader), reader.id)


@scenario(loading.load_cluster_map, "observatory.load")
def _load_map(w: World) -> Act:
    table = w.us_map.table.filter(pl.col("region_code").is_in(["06", "26", "48"]))
    few = ClusterMap(w.us_map.source, table, w.us_map.coverage, ())
    return act(w, lambda s: loading.load_cluster_map(
        s, key="few-states", title="Three states", result=few, by=BOOTSTRAP),
        BOOTSTRAP.name, "few-states")  # fmt: skip


@scenario(scoreboard_data.ensure_computed, "scoreboard.compute")
def _compute(w: World) -> Act:
    return lambda: (
        scoreboard_data.ensure_computed(w.factory, w.reference, by=BOOTSTRAP),
        Expected(BOOTSTRAP.name, "computed"),
    )[1]


@scenario(scoreboard_imports.import_indicator_file, "scoreboard.import")
def _import_indicators(w: World) -> Act:
    path = w.file("eqi.csv", "region,indicator,year,value\nDE11,eqi,2021,0.9\n")
    return act(w, lambda s: scoreboard_imports.import_indicator_file(
        s, path, reference=w.reference, by=CLI), CLI.name, "user:eqi.csv")  # fmt: skip


@scenario(scoreboard_imports.import_eurostat_file, "scoreboard.import")
def _import_eurostat(w: World) -> Act:
    return act(w, lambda s: scoreboard_imports.import_eurostat_file(
        s, SCOREBOARD_FIXTURES / "rd_e_gerdreg.tsv", indicator="gerd_gdp", reference=w.reference,
        by=CLI), CLI.name, "eurostat:rd_e_gerdreg:rd_e_gerdreg.tsv")  # fmt: skip


@scenario(scoreboard_imports.fetch_eurostat_indicator, "scoreboard.import")
def _fetch_eurostat(w: World) -> Act:
    folder = w.folder / "mirror" / "eu" / "eurostat"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rd_e_gerdreg.tsv.gz").write_bytes(
        gzip.compress((SCOREBOARD_FIXTURES / "rd_e_gerdreg.tsv").read_bytes())
    )
    mirror = Settings(data_mirror=w.folder / "mirror")
    return act(w, lambda s: scoreboard_imports.fetch_eurostat_indicator(
        s, indicator="berd_gdp", settings=mirror, reference=w.reference, by=CLI),
        CLI.name, "eurostat:rd_e_gerdreg:rd_e_gerdreg.tsv.gz")  # fmt: skip


@scenario(scoreboard_imports.import_upload, "scoreboard.import")
def _upload(w: World) -> Act:
    officer = w.user(Role.PROGRAMME_OFFICER)
    return act(w, lambda s: scoreboard_imports.import_upload(
        s, actor=officer, name="sent.csv", reference=w.reference,
        content=b"region,indicator,year,value\nDE21,eqi,2021,1.1\n"),
        _as(officer), "user:sent.csv")  # fmt: skip


S3_ROWS = (
    "region,period,strategy_title,source,priority,nace\n"
    "{region},2021-2027,Strategy,test,Offshore wind energy,35.11\n"
)


def _s3_codes(w: World) -> S3Codes:
    return S3Codes.from_reference(w.reference, w.catalogues)


def _s3_priority(w: World, region: str) -> int:
    """A stored strategy of ``region`` with one priority; the priority's id."""
    path = w.file(f"s3-{region}.csv", S3_ROWS.format(region=region))
    with w.tx() as session:
        s3_imports.import_file(session, path=path, codes=_s3_codes(w), by=CLI)
        found = session.scalars(select(S3Strategy).where(S3Strategy.region_code == region)).one()
        return found.priorities[0].id


@scenario(s3_imports.import_file, "s3.import")
def _s3_import(w: World) -> Act:
    path = w.file("s3.csv", S3_ROWS.format(region="DE11"))
    return act(w, lambda s: s3_imports.import_file(s, path=path, codes=_s3_codes(w), by=CLI),
               CLI.name, "file")  # fmt: skip


@scenario(s3_imports.import_upload, "s3.import")
def _s3_upload(w: World) -> Act:
    officer = w.user(Role.PROGRAMME_OFFICER)
    content = S3_ROWS.format(region="DE12").encode()
    return act(w, lambda s: s3_imports.import_upload(
        s, actor=officer, name="s3.csv", content=content, codes=_s3_codes(w)),
        _as(officer), "file")  # fmt: skip


@scenario(s3_seed.load_demo_strategies, "s3.import")
def _s3_demo(w: World) -> Act:
    return act(w, lambda s: s3_seed.load_demo_strategies(
        s, codes=_s3_codes(w), by=CLI, regions=["DE13"]), CLI.name, "file")  # fmt: skip


@scenario(s3_coding.record_proposal, "s3.propose")
def _s3_propose(w: World) -> Act:
    officer, priority = w.user(Role.PROGRAMME_OFFICER), _s3_priority(w, "DE14")
    codes = _s3_codes(w)
    assistant = s3_coding.CodingAssistant(w.reference, codes.mapping, codes.vocabularies, None)
    return act(w, lambda s: s3_coding.record_proposal(
        s, actor=officer, priority_id=priority, assistant=assistant), _as(officer),
        priority)  # fmt: skip


@scenario(s3_coding.confirm_coding, "s3.confirm")
def _s3_confirm(w: World) -> Act:
    officer, priority = w.user(Role.PROGRAMME_OFFICER), _s3_priority(w, "DE21")
    return act(w, lambda s: s3_coding.confirm_coding(
        s, actor=officer, priority_id=priority, nace=["35.11"], fields_of_science=["2.2"],
        objectives=["Societal challenges"], codes=_s3_codes(w)), _as(officer),
        priority)  # fmt: skip


def _events_scenario(build: Builder) -> Callable[[World], Act]:
    """An events builder (``write_actions_events``) as a scenario of this walk."""

    def make(w: World) -> Act:
        plan = build(w)
        entity = None if plan.entity is None else str(plan.entity)
        return lambda: (plan.run(), Expected(plan.actor, entity))[1]

    return make


SCENARIOS.update({key: _events_scenario(build) for key, build in BUILDERS.items()})


# --- the walk ----------------------------------------------------------------------------------


def test_every_use_case_of_the_table_has_a_scenario() -> None:
    table = {(entry.name, entry.action) for entry in WRITE_ACTIONS}
    assert set(SCENARIOS) == table
    assert len(table) == len(WRITE_ACTIONS), "a use case and action listed twice"


def _entries(session: Session) -> dict[tuple[int, str, str], AuditEntry]:
    """Every entry by (id, action, actor): not by id alone, since a restore puts the log back
    as it was and its own entry may take the number of one that the restore removed."""
    return {(e.id, e.action, e.actor): e for e in session.scalars(select(AuditEntry))}


@pytest.mark.parametrize(
    "entry", WRITE_ACTIONS, ids=lambda e: f"{e.name.split('.')[-1]}:{e.action}"
)
def test_each_write_records_one_entry_by_its_actor(world: World, entry: WriteAction) -> None:
    act = SCENARIOS[(entry.name, entry.action)](world)
    with world.factory() as session:
        before = set(_entries(session))
    expected = act()
    with world.factory() as session:
        new = [entry for key, entry in _entries(session).items() if key not in before]
    assert [(e.action, e.entity_type, e.actor) for e in new] == [
        (entry.action, entry.entity_type, expected.actor)
    ]
    if expected.entity_id is not None:
        assert new[0].entity_id == expected.entity_id
    user_id = int(expected.actor.split(":")[1]) if expected.actor.startswith("user:") else None
    assert new[0].user_id == user_id
