"""Partner-search posts, interest, follows and notifications on SQLite and PostgreSQL.

One database per kind and module holds a small cast of real accounts and profiles (argon2
hashing makes accounts the slow part); every test publishes its own posts, so tests only look
at what happened to their own posts.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from clusterhub.services.accounts import notifications
from clusterhub.services.accounts import users as accounts
from clusterhub.services.accounts.users import Role, UserPublic
from clusterhub.services.directory import profiles as directory
from clusterhub.services.directory.schemas import OrganisationInput
from clusterhub.services.mail import FileMailer, OutgoingMail
from clusterhub.services.posts import board
from clusterhub.services.posts import interest as post_interest
from clusterhub.services.posts.board import PostFilter
from clusterhub.services.reference import Catalogues
from clusterhub.store.db import make_engine, make_session_factory, transaction
from clusterhub.store.models import PartnerPost
from tests.conftest import DB_KINDS, migrated_database

PASSWORD = "a long enough passphrase"


@dataclass
class World:
    """Accounts and profiles: Pia and Carl run Alpha (DE), Mia runs Beta (FR), Finn and Stan
    are members without a profile, Sam is a site admin."""

    factory: sessionmaker[Session]
    catalogues: Catalogues
    users: dict[str, UserPublic]
    alpha: int
    beta: int

    def __getattr__(self, name: str) -> UserPublic:
        return self.users[name]

    def session(self) -> AbstractContextManager[Session]:
        return transaction(self.factory)


def build_world(factory: sessionmaker[Session], catalogues: Catalogues) -> World:
    """Create the cast in an empty database (also used by the web tests)."""
    users: dict[str, UserPublic] = {}
    with transaction(factory) as session:
        for name, role in [("pia", Role.MEMBER), ("carl", Role.MEMBER), ("mia", Role.MEMBER),
                           ("finn", Role.MEMBER), ("stan", Role.MEMBER),
                           ("sam", Role.SITE_ADMIN)]:  # fmt: skip
            users[name] = accounts.create_user(
                session, email=f"{name}@example.org", display_name=name.title(),
                password=PASSWORD, role=role,
            )  # fmt: skip
        alpha = directory.create_profile(
            session, data=OrganisationInput(name="Alpha Cluster", country="DE"),
            actor=users["pia"], catalogues=catalogues, embedder=None,
        ).id  # fmt: skip
        directory.add_admin(session, organisation_id=alpha, email="carl@example.org",
                            actor=users["pia"])  # fmt: skip
        beta = directory.create_profile(
            session, data=OrganisationInput(name="Beta Cluster", country="FR"),
            actor=users["mia"], catalogues=catalogues, embedder=None,
        ).id  # fmt: skip
    with transaction(factory) as session:  # roles changed by becoming profile admins
        users = {n: accounts.get_user(session, user_id=u.id) for n, u in users.items()}
    return World(factory, catalogues, users, alpha, beta)


@pytest.fixture(scope="module", params=DB_KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, catalogues: Catalogues
) -> Iterator[World]:
    with migrated_database(request.param, tmp_path_factory.mktemp("posts")) as settings:
        engine = make_engine(settings)
        yield build_world(make_session_factory(engine), catalogues)
        engine.dispose()


def _publish(world: World, title: str = "Partners for battery recycling", **extra: object) -> int:
    data = {"kind": "request", "title": title, "body": "We look for partners.", **extra}
    with world.session() as session:
        return board.create_post(
            session, organisation_id=world.alpha, data=data, actor=world.pia,
            catalogues=world.catalogues,
        ).id  # fmt: skip


def _interest(world: World, post_id: int, user: UserPublic, **extra: object) -> None:
    data = {"message": "We recycle cells <b>at scale</b>.", **extra}
    with world.session() as session:
        post_interest.express_interest(
            session, post_id=post_id, data=data, actor=user, mailer=None,
            site_url="https://hub.example.org",
        )  # fmt: skip


def _about(world: World, user: UserPublic, post_id: int) -> list[notifications.NotificationPublic]:
    """The user's notifications linking to a post."""
    with world.session() as session:
        page = notifications.list_notifications(session, actor=user, page_size=100)
    return [n for n in page.items if n.link and n.link.split("#")[0] == f"/posts/{post_id}"]


def _expire(world: World, post_id: int) -> None:
    with world.session() as session:
        session.execute(
            update(PartnerPost)
            .where(PartnerPost.id == post_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


# --- publishing -----------------------------------------------------------------------------


def test_admins_publish_with_normalised_codes_and_default_expiry(world: World) -> None:
    post_id = _publish(
        world, cluster_codes=["Automotive", "4", "1"], target_countries=["gr", "DE"],
        keywords=["batteries", "batteries"], body="<script>alert(1)</script>",
    )  # fmt: skip
    with world.session() as session:
        post = board.get_post(session, post_id=post_id, viewer=None)
    assert post.cluster_codes == ["4", "1"] and post.target_countries == ["EL", "DE"]
    assert post.keywords == ["batteries"] and post.status == "open"
    assert post.body == "<script>alert(1)</script>"  # kept as typed; pages escape it
    today = datetime.now(UTC).date()
    assert post.expires_on == today + timedelta(days=board.DEFAULT_DAYS)
    assert post.organisation_name == "Alpha Cluster" and post.organisation_country == "DE"
    assert not post.can_edit and post.interests is None


def test_only_the_profiles_admins_publish_edit_and_close(world: World) -> None:
    data = {"kind": "offer", "title": "Testing facilities"}
    for outsider in (world.mia, world.finn, None):
        with world.session() as session, pytest.raises(PermissionDenied):
            board.create_post(
                session, organisation_id=world.alpha, data=data, actor=outsider,
                catalogues=world.catalogues,
            )  # fmt: skip
    post_id = _publish(world)
    for outsider in (world.mia, None):
        with world.session() as session, pytest.raises(PermissionDenied):
            board.update_post(
                session, post_id=post_id, data=data, actor=outsider, catalogues=world.catalogues
            )
        with world.session() as session, pytest.raises(PermissionDenied):
            board.close_post(session, post_id=post_id, actor=outsider)
    with world.session() as session:  # a co-admin and a site admin may
        edited = board.update_post(
            session, post_id=post_id, data=data, actor=world.carl, catalogues=world.catalogues
        )
        assert edited.title == "Testing facilities" and edited.kind == "offer"
        assert board.close_post(session, post_id=post_id, actor=world.sam).status == "closed"
    with world.session() as session, pytest.raises(Conflict, match="closed"):
        board.update_post(
            session, post_id=post_id, data=data, actor=world.pia, catalogues=world.catalogues
        )


def test_bad_posts_report_every_problem_and_write_nothing(world: World) -> None:
    today = datetime.now(UTC).date()
    bad = {
        "kind": "request", "title": "T\x00itle", "cluster_codes": ["Quantum knitting"],
        "target_countries": ["XX"], "expires_on": str(today + timedelta(days=400)),
    }  # fmt: skip
    with world.session() as session, pytest.raises(InvalidInput) as raised:
        board.create_post(
            session, organisation_id=world.alpha, data=bad, actor=world.pia,
            catalogues=world.catalogues,
        )  # fmt: skip
    fields = sorted(p.field or "" for p in raised.value.problems)
    assert fields == ["cluster_codes", "expires_on", "target_countries", "title"]
    shapes = [
        ({"kind": "deal", "title": "x"}, "kind"),
        ({"kind": "offer", "title": "x" * 201}, "title"),
        ({"kind": "offer", "title": "x", "body": "b" * 5001}, "body"),
        ({"kind": "offer", "title": "x", "keywords": "not a list"}, "keywords"),
        ({"kind": "offer", "title": "x", "expires_on": str(today - timedelta(1))}, "expires_on"),
        ({"kind": "offer", "title": "x", "admin": True}, "admin"),
    ]  # fmt: skip
    for data, field in shapes:
        with world.session() as session, pytest.raises(InvalidInput) as raised:
            board.create_post(
                session, organisation_id=world.alpha, data=data, actor=world.pia,
                catalogues=world.catalogues,
            )  # fmt: skip
        assert raised.value.problems[0].field == field
    with world.session() as session:
        mine = board.list_posts(session, filters=PostFilter(q="Quantum", include_expired=True))
    assert mine.total == 0
    with world.session() as session, pytest.raises(NotFound):
        board.create_post(
            session, organisation_id=2**40, data={"kind": "offer", "title": "x"},
            actor=world.pia, catalogues=world.catalogues,
        )  # fmt: skip
    with world.session() as session, pytest.raises(NotFound):
        board.get_post(session, post_id=2**40, viewer=None)


# --- listing --------------------------------------------------------------------------------


def test_lists_filter_and_page_newest_first(world: World) -> None:
    marker = "Zebrafish"  # unique to this test
    first = _publish(world, f"{marker} offer one", kind="offer", cluster_codes=["4"])
    second = _publish(world, f"{marker} request", target_countries=["ES"], body="100% organic")
    third = _publish(world, f"{marker} offer two", kind="offer")
    with world.session() as session:

        def ids(**kwargs: object) -> list[int]:
            page = board.list_posts(session, filters=PostFilter(q=marker.lower(), **kwargs))
            return [p.id for p in page.items]

        assert ids() == [third, second, first]
        assert ids(kind="offer") == [third, first]
        assert ids(cluster="4") == [first] and ids(cluster="41") == []
        assert ids(target_country="es") == [second]
        assert ids(country="DE") == [third, second, first] and ids(country="FR") == []
        assert ids(organisation_id=world.beta) == []
        percent = board.list_posts(session, filters=PostFilter(q="100%"))
        assert [p.id for p in percent.items] == [second]  # % is a character, not a wildcard
        paged = board.list_posts(session, filters=PostFilter(q=marker), page=2, page_size=2)
        assert paged.total == 3 and [p.id for p in paged.items] == [first]
        for bad in (PostFilter(kind="deal"), PostFilter(country="XX"), PostFilter(q="a\x00")):
            with pytest.raises(InvalidInput):
                board.list_posts(session, filters=bad)


def test_closed_and_expired_posts_leave_the_list_and_take_no_interest(world: World) -> None:
    closed = _publish(world, "Kelp farming partners")
    expired = _publish(world, "Kelp drying partners")
    with world.session() as session:
        board.close_post(session, post_id=closed, actor=world.pia)
    _expire(world, expired)
    with world.session() as session:
        listed = board.list_posts(session, filters=PostFilter(q="kelp"))
        everything = board.list_posts(session, filters=PostFilter(q="kelp", include_expired=True))
        assert listed.total == 0 and everything.total == 2
        assert {p.status for p in everything.items} == {"closed", "expired"}
        assert not board.get_post(session, post_id=expired, viewer=world.mia).can_express_interest
    for post_id, state in ((closed, "closed"), (expired, "expired")):
        with pytest.raises(Conflict, match=state):
            _interest(world, post_id, world.mia)


# --- interest ---------------------------------------------------------------------------------


def test_interest_notifies_publishers_and_followers_without_the_message(world: World) -> None:
    post_id = _publish(world, "Hydrogen valley partners")
    with world.session() as session:
        post_interest.follow(session, post_id=post_id, actor=world.finn)
        # a publisher who follows too
        post_interest.follow(session, post_id=post_id, actor=world.pia)
    _interest(world, post_id, world.mia, organisation_id=world.beta)
    for publisher in (world.pia, world.carl):  # Pia is admin and author: notified once
        [note] = _about(world, publisher, post_id)
        assert note.kind == "interest" and "Mia (Beta Cluster)" in note.message
        assert "at scale" in note.message and note.read_at is None
    [note] = _about(world, world.finn, post_id)
    assert note.kind == "post_interest" and "at scale" not in note.message
    assert "Mia" not in note.message
    assert _about(world, world.stan, post_id) == [] and _about(world, world.mia, post_id) == []
    with world.session() as session:
        seen_by_admin = board.get_post(session, post_id=post_id, viewer=world.carl)
        seen_by_follower = board.get_post(session, post_id=post_id, viewer=world.finn)
        seen_by_sender = board.get_post(session, post_id=post_id, viewer=world.mia)
    [interest] = seen_by_admin.interests or []
    assert interest.user_email == "mia@example.org" and interest.organisation_id == world.beta
    assert seen_by_admin.can_edit and not seen_by_admin.can_express_interest
    assert seen_by_follower.interests is None and seen_by_follower.following
    assert seen_by_follower.can_express_interest
    assert seen_by_sender.interested and not seen_by_sender.can_express_interest


def test_interest_is_refused_to_publishers_twice_and_for_others_profiles(world: World) -> None:
    post_id = _publish(world, "Smart textiles partners")
    with pytest.raises(PermissionDenied):
        _interest(world, post_id, world.carl)  # an admin of the posting profile
    with pytest.raises(PermissionDenied):
        _interest(world, post_id, world.stan, organisation_id=world.beta)  # not Stan's profile
    with pytest.raises(NotFound):
        _interest(world, post_id, world.stan, organisation_id=2**31 - 1)
    with pytest.raises(PermissionDenied):
        _interest(world, post_id, None)
    for data in ({"message": ""}, {"message": "x" * 2001}, {"message": "a\x00b"}, {"x": 1}):
        with pytest.raises(InvalidInput):
            _interest(world, post_id, world.stan, **data)
    _interest(world, post_id, world.stan)
    with pytest.raises(Conflict, match="already expressed interest"):
        _interest(world, post_id, world.stan, message="Once more")
    with world.session() as session:
        interests = board.get_post(session, post_id=post_id, viewer=world.pia).interests
    assert [i.user_name for i in interests or []] == ["Stan"]


class BrokenMailer:
    """A mail backend that is down."""

    def send(self, mail: OutgoingMail) -> None:
        raise ConnectionError("mail server unreachable")


def _mails(folder: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def test_interest_is_mailed_after_commit_and_kept_when_mail_fails(
    world: World, tmp_path: Path
) -> None:
    post_id = _publish(world, "Photonics pilot line")
    mailer = FileMailer(tmp_path)
    with world.session() as session:
        post_interest.express_interest(
            session, post_id=post_id, data={"message": "Our line is free in May."},
            actor=world.finn, mailer=mailer, site_url="https://hub.example.org/",
        )  # fmt: skip
        assert _mails(tmp_path) == []  # nothing leaves before the commit
    mails = _mails(tmp_path)
    assert sorted(m["To"] for m in mails) == ["carl@example.org", "pia@example.org"]
    body = mails[0].get_payload(decode=True).decode()
    assert "Our line is free in May." in body and "finn@example.org" in body
    assert f"https://hub.example.org/posts/{post_id}" in body
    with pytest.raises(RuntimeError), world.session() as session:  # rolled back: no mail
        post_interest.express_interest(
            session, post_id=post_id, data={"message": "Hello"}, actor=world.stan,
            mailer=mailer, site_url="https://hub.example.org",
        )  # fmt: skip
        raise RuntimeError("the request failed later")
    assert len(_mails(tmp_path)) == 2
    with world.session() as session:
        post_interest.express_interest(
            session, post_id=post_id, data={"message": "Hello"}, actor=world.stan,
            mailer=BrokenMailer(), site_url="https://hub.example.org",
        )  # fmt: skip
    with world.session() as session:
        interests = board.get_post(session, post_id=post_id, viewer=world.pia).interests
    assert sorted(i.user_name for i in interests or []) == ["Finn", "Stan"]


# --- follows and notifications ----------------------------------------------------------------


def test_followers_hear_of_edits_and_closing_but_not_the_editor(world: World) -> None:
    post_id = _publish(world, "Agrifood robotics")
    with world.session() as session:
        assert post_interest.follow(session, post_id=post_id, actor=world.finn)
        assert post_interest.follow(session, post_id=post_id, actor=world.finn)  # again: fine
        post_interest.follow(session, post_id=post_id, actor=world.carl)
        post_interest.follow(session, post_id=post_id, actor=world.stan)
        assert not post_interest.unfollow(session, post_id=post_id, actor=world.stan)
        followed = board.list_posts(session, filters=PostFilter(followed=True), viewer=world.finn)
        assert post_id in [p.id for p in followed.items]
        with pytest.raises(NotAuthenticated):
            board.list_posts(session, filters=PostFilter(followed=True), viewer=None)
        with pytest.raises(PermissionDenied):
            post_interest.follow(session, post_id=post_id, actor=None)
        board.update_post(
            session, post_id=post_id, data={"kind": "request", "title": "Agrifood robots"},
            actor=world.carl, catalogues=world.catalogues,
        )  # fmt: skip
        board.close_post(session, post_id=post_id, actor=world.pia)
        board.close_post(session, post_id=post_id, actor=world.pia)  # again: no new notice
    assert [n.kind for n in _about(world, world.finn, post_id)] == ["post_closed", "post_changed"]
    assert [n.kind for n in _about(world, world.carl, post_id)] == ["post_closed"]
    assert _about(world, world.stan, post_id) == [] and _about(world, world.pia, post_id) == []


def test_notifications_are_listed_unread_first_and_marked_by_their_owner(world: World) -> None:
    post_id = _publish(world, "Space data partners")
    for sender in (world.finn, world.stan):
        _interest(world, post_id, sender)
    older, newer = reversed(_about(world, world.carl, post_id))
    assert "Finn" in older.message and "Stan" in newer.message
    with world.session() as session:
        with pytest.raises(NotFound):  # Carl's notification is not Pia's to mark
            notifications.mark_read(session, actor=world.pia, notification_ids=[older.id])
        with pytest.raises(NotFound):
            notifications.mark_read(session, actor=world.carl, notification_ids=[2**40])
        assert notifications.mark_read(session, actor=world.carl, notification_ids=[older.id]) == 1
    with world.session() as session:
        page = notifications.list_notifications(session, actor=world.carl, page_size=100)
        read_positions = [i for i, n in enumerate(page.items) if n.read_at is not None]
        unread_positions = [i for i, n in enumerate(page.items) if n.read_at is None]
        assert max(unread_positions) < min(read_positions)  # unread first
        assert page.unread == notifications.unread_count(session, user_id=world.carl.id)
        assert page.unread == len(unread_positions) >= 1
        assert notifications.mark_read(session, actor=world.carl) == page.unread
        assert notifications.unread_count(session, user_id=world.carl.id) == 0
        assert notifications.unread_count(session, user_id=world.pia.id) > 0  # others untouched
        with pytest.raises(PermissionDenied):
            notifications.list_notifications(session, actor=None)
