"""Every write use case of the platform, the audit action it records, and who may run it.

This is the authorisation and audit table (in the spirit of CKAN's action/auth tables): one row
per use case and outcome. ``tests/services/test_write_actions.py`` walks it on SQLite and
PostgreSQL, running each use case and checking that it stored exactly one audit entry with this
action, entity type and actor; and it reads the source of ``services`` (and ``demo``) to check
that every function that writes to the database is here, either as a use case or as one of the
``PARTS`` use cases are made of. A new write without an audit entry therefore fails the tests.

Faces: ``web`` pages, the JSON ``api``, the ``cli`` (actor ``cli:<OS user>``) and the
``system`` itself (``system:bootstrap`` on first start, ``system:embedding-backfill``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from clusterhub import demo
from clusterhub.services import audit, backup, bootstrap
from clusterhub.services.accounts import links, logins, notifications, users
from clusterhub.services.accounts import verification as email_verification
from clusterhub.services.accounts.users import Role
from clusterhub.services.directory import backfill as embedding_backfill
from clusterhub.services.directory import cordis, indexing, io, labels, profiles, sources
from clusterhub.services.events import access as event_access
from clusterhub.services.events import (
    agenda,
    day,
    followup,
    meetings,
    precedences,
    registration,
    requests,
)
from clusterhub.services.events import demo as event_demo
from clusterhub.services.events import events as event_admin
from clusterhub.services.events import files as event_files
from clusterhub.services.events import notify as event_notify
from clusterhub.services.observatory import loading
from clusterhub.services.posts import board, interest
from clusterhub.services.s3 import coding as s3_coding
from clusterhub.services.s3 import imports as s3_imports
from clusterhub.services.s3 import seed as s3_seed
from clusterhub.services.scoreboard import data as scoreboard_data
from clusterhub.services.scoreboard import imports
from clusterhub.store import fts, generations

Face = Literal["web", "api", "cli", "system"]


@dataclass(frozen=True)
class WriteAction:
    """A write use case and the one audit entry it records."""

    use_case: Callable[..., Any]
    action: str
    entity_type: str
    #: The least role that may run it through the web or the API; None for the command line
    #: and the system, which act on the server itself.
    minimum: Role | None
    faces: tuple[Face, ...]
    #: Who may, in words (ownership rules beyond the role).
    who: str

    @property
    def name(self) -> str:
        """The use case's dotted name, as the source check finds it."""
        return qualified_name(self.use_case)


def qualified_name(function: Callable[..., Any]) -> str:
    """``module.function`` (or ``module.Class.method``) of a function."""
    return f"{function.__module__}.{function.__qualname__}"


_PROFILE_ADMINS = "the profile's admins and site admins"
_OFFICERS = "programme officers and site admins"
_MANAGERS = "the organiser profile's admins, the event's admins and site admins"
_PARTICIPANT = "the participant (the account that registered)"

WRITE_ACTIONS: tuple[WriteAction, ...] = (
    # accounts
    WriteAction(users.register, "user.register", "user", Role.VISITOR, ("web",),
                "anyone without an account; the account starts as a member"),
    WriteAction(users.create_user, "user.create", "user", None, ("cli",),
                "the server's operator (e.g. the first site admin)"),
    WriteAction(logins.login, "login", "user", Role.VISITOR, ("web",), "anyone"),
    WriteAction(logins.login, "login.failed", "user", Role.VISITOR, ("web",),
                "anyone (a wrong e-mail or password)"),
    WriteAction(users.logout, "logout", "user", Role.VISITOR, ("web",), "the session's user"),
    WriteAction(users.update_profile, "user.update", "user", Role.VISITOR, ("web",),
                "the account's own user"),
    WriteAction(users.change_password, "user.password_change", "user", Role.VISITOR,
                ("web",), "the account's own user, with the current password"),
    WriteAction(users.request_password_reset, "password_reset.request", "user", None,
                ("web",), "anyone naming an account's e-mail (anonymous)"),
    WriteAction(users.reset_password, "user.password_reset", "user", None, ("web",),
                "whoever holds the mailed reset link"),
    WriteAction(users.set_role, "user.role", "user", Role.SITE_ADMIN, ("web",),
                "site admins, never on their own account"),
    WriteAction(email_verification.verify_email, "user.verify_email", "user", None, ("web",),
                "whoever holds the mailed verification link"),
    WriteAction(email_verification.resend_verification, "email_verification.resend", "user",
                Role.VISITOR, ("web",), "the account's own user, while its address is unproven"),
    # operations
    WriteAction(backup.backup_database, "database.backup", "database", None, ("cli",),
                "the server's operator (a backup holds everything, password hashes included)"),
    WriteAction(backup.restore_database, "database.restore", "database", None, ("cli",),
                "the server's operator"),
    # directory
    WriteAction(profiles.create_profile, "directory.create", "organisation", Role.MEMBER,
                ("web", "api"), "members; the creator becomes the profile's admin"),
    WriteAction(profiles.update_profile, "directory.update", "organisation", Role.MEMBER,
                ("web", "api"), _PROFILE_ADMINS),
    WriteAction(profiles.delete_profile, "directory.delete", "organisation", Role.MEMBER,
                (), _PROFILE_ADMINS),
    WriteAction(profiles.add_admin, "directory.add_admin", "organisation", Role.MEMBER,
                ("web",), _PROFILE_ADMINS),
    WriteAction(io.import_file, "directory.import", "organisation", None, ("cli",),
                "the server's operator"),
    WriteAction(sources.load_cmp_organisations, "directory.import", "organisation",
                None, ("cli", "system"), "the server's operator; first start"),
    WriteAction(cordis.load_cordis, "directory.import", "organisation", None,
                ("cli", "system"), "the server's operator; first start"),
    WriteAction(demo.load_demo, "directory.import", "organisation", None, ("cli", "system"),
                "the server's operator; first start"),
    WriteAction(demo.remove_demo, "directory.remove_source", "organisation", None, ("cli",),
                "the server's operator"),
    WriteAction(event_demo.remove_demo_event, "events.demo_remove", "event", None, ("cli",),
                "the server's operator"),
    WriteAction(event_demo.add_demo_admin, "events.add_admin", "event", None, ("cli",),
                "the server's operator"),
    WriteAction(sources.load_partnerships, "partnerships.import", "partnership", None,
                ("cli", "system"), "the server's operator; first start"),
    WriteAction(embedding_backfill.EmbeddingBackfill._one_batch, "directory.embed",
                "organisation", None, ("system",), "the running server, in the background"),
    WriteAction(labels.verify, "label.verify", "organisation", Role.PROGRAMME_OFFICER,
                ("web",), f"{_OFFICERS}, not on a profile they administer"),
    WriteAction(labels.reject, "label.reject", "organisation", Role.PROGRAMME_OFFICER,
                ("web",), f"{_OFFICERS}, not on a profile they administer"),
    # partner search
    WriteAction(board.create_post, "posts.create", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(board.update_post, "posts.update", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(board.close_post, "posts.close", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(interest.express_interest, "posts.interest", "post", Role.MEMBER,
                ("web", "api"), "members, not on their own profile's posts"),
    WriteAction(interest.follow, "posts.follow", "post", Role.MEMBER, ("web", "api"),
                "members"),
    WriteAction(interest.unfollow, "posts.unfollow", "post", Role.MEMBER,
                ("web", "api"), "members"),
    # matchmaking events
    WriteAction(event_admin.create_event, "events.create", "event", Role.MEMBER, ("web", "api"),
                "the organiser profile's admins and site admins"),
    WriteAction(event_admin.create_event_as_operator, "events.create", "event", None, ("cli",),
                "the server's operator (`clusterhub events create`)"),
    WriteAction(event_files.import_participants, "events.import_participants", "event", None,
                ("cli",), "the server's operator (`clusterhub events import-participants`)"),
    WriteAction(event_admin.update_event, "events.update", "event", Role.MEMBER, ("web", "api"),
                _MANAGERS),
    WriteAction(event_admin.change_status, "events.status", "event", Role.MEMBER,
                ("web", "api"), _MANAGERS),
    WriteAction(event_admin.add_event_admin, "events.add_admin", "event", Role.MEMBER,
                ("web", "api"), "the organiser profile's admins and site admins"),
    WriteAction(event_admin.remove_event_admin, "events.remove_admin", "event", Role.MEMBER,
                ("web", "api"), "the organiser profile's admins and site admins"),
    WriteAction(registration.register, "events.register", "participant", Role.MEMBER,
                ("web", "api"), "members, on behalf of a profile they administer"),
    WriteAction(registration.update_registration, "events.update_registration", "participant",
                Role.MEMBER, ("web", "api"), _PARTICIPANT),
    WriteAction(registration.cancel_registration, "events.cancel_registration", "participant",
                Role.MEMBER, ("web", "api"), f"{_PARTICIPANT} or {_MANAGERS}"),
    WriteAction(requests.send_request, "events.request", "request", Role.MEMBER,
                ("web", "api"), "participants of the event"),
    WriteAction(requests.accept_request, "events.request_accept", "request", Role.MEMBER,
                ("web", "api"), "the request's receiver"),
    WriteAction(requests.decline_request, "events.request_decline", "request", Role.MEMBER,
                ("web", "api"), "the request's receiver"),
    WriteAction(requests.withdraw_request, "events.request_withdraw", "request", Role.MEMBER,
                ("web", "api"), "either side of the request, before its meeting is scheduled"),
    WriteAction(requests.expire_due, "events.requests_expire", "request", None, ("system", "cli"),
                "the server's events timer and `clusterhub events expire`"),
    WriteAction(meetings.add_meeting, "events.add_meeting", "meeting", Role.MEMBER,
                ("web", "api", "cli"), _MANAGERS),
    WriteAction(meetings.set_meeting_rules, "events.meeting_rules", "meeting", Role.MEMBER,
                ("web", "api"), _MANAGERS),
    WriteAction(meetings.cancel_meeting, "events.cancel_meeting", "meeting", Role.MEMBER,
                ("web", "api"), _MANAGERS),
    WriteAction(precedences.add_precedence, "events.add_precedence", "meeting", Role.MEMBER,
                ("web", "api"), _MANAGERS),
    WriteAction(precedences.remove_precedence, "events.remove_precedence", "meeting",
                Role.MEMBER, ("web", "api"), _MANAGERS),
    WriteAction(agenda.run_schedule, "events.schedule", "event", Role.MEMBER,
                ("web", "api", "cli"), f"{_MANAGERS}; the server's operator"),
    WriteAction(day.check_in, "events.check_in", "participant", Role.MEMBER, ("web", "api"),
                f"{_MANAGERS}, on the event's day(s)"),
    WriteAction(day.mark_meeting, "events.meeting_held", "meeting", Role.MEMBER,
                ("web", "api"), f"{_MANAGERS}; either participant (held only)"),
    WriteAction(followup.record_outcome, "events.outcome", "meeting", Role.MEMBER,
                ("web", "api"), "the participants of a held meeting"),
    WriteAction(followup.ask_due, "events.followups_ask", "meeting_outcome", None,
                ("system", "cli"), "the server's events timer and `clusterhub events followups`"),
    WriteAction(notifications.mark_read, "notifications.read", "user", Role.VISITOR,
                ("web", "api"), "the notifications' owner"),
    # observatory and scoreboard
    WriteAction(loading.load_cluster_map, "observatory.load", "dataset", None, ("system",),
                "first start and `serve --reload-data`"),
    WriteAction(scoreboard_data.ensure_computed, "scoreboard.compute", "indicator_values",
                None, ("system",), "first start and `serve --reload-data`"),
    WriteAction(imports.import_indicator_file, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(imports.import_eurostat_file, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(imports.fetch_eurostat_indicator, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(imports.import_upload, "scoreboard.import", "indicator_values",
                Role.PROGRAMME_OFFICER, ("web", "api"), _OFFICERS),
    # smart specialisation (the web and API faces are not built yet)
    WriteAction(s3_imports.import_file, "s3.import", "s3_strategy", None, ("cli",),
                "the server's operator (`clusterhub s3 import`)"),
    WriteAction(s3_seed.load_demo_strategies, "s3.import", "s3_strategy", None, ("cli",),
                "the server's operator (`clusterhub s3 demo`)"),
    WriteAction(s3_imports.import_upload, "s3.import", "s3_strategy", Role.PROGRAMME_OFFICER,
                (), _OFFICERS),
    WriteAction(s3_coding.record_proposal, "s3.propose", "s3_priority", Role.PROGRAMME_OFFICER,
                (), _OFFICERS),
    WriteAction(s3_coding.confirm_coding, "s3.confirm", "s3_priority", Role.PROGRAMME_OFFICER,
                (), _OFFICERS),
)  # fmt: skip

#: Functions that write only as a step of the use cases above (which record the entry), and
#: the audit log's own writers.
PARTS: tuple[Callable[..., Any], ...] = (
    audit.record,
    audit.record_import,
    users._insert_user,
    users.start_session,
    logins.complete_login,  # the writing half of login, which the web calls after the check
    links.issue,
    links.claim,
    links.mail_reset,
    links.mail_verification,
    users.record_attempt,
    users.clear_failures,
    profiles._apply,
    profiles._redeclare,
    profiles._record,
    profiles.upsert_profiles,
    profiles.remove_all_from_source,
    sources.upsert_records,
    sources._set_facts,
    cordis.load_cordis_graph,
    cordis._sync_projects,
    cordis._sync_participations,
    embedding_backfill.embed_missing,
    indexing.index_profiles,
    indexing.unindex,
    indexing._embed,
    indexing.store_embeddings,
    indexing.rebuild_keyword_index,
    labels._review,
    notifications.notify,
    # In-app notices of a request, agenda or follow-up step, inside their use case's write.
    event_notify._send,
    event_notify.request_received,
    event_notify.request_answered,
    event_notify.agenda_ready,
    event_notify.followups_due,
    board.tell_followers,
    interest._announce_interest,
    scoreboard_data.load_computed,
    scoreboard_data.store_values,
    imports._stored,
    s3_imports.store_file,
    fts.upsert,
    fts.delete,
    generations.bump,
    event_access.bump,
    event_admin._apply,
    event_admin._replace_layout,
    registration._set_profile,
    meetings.create_meeting,
    meetings._set_rules,
    agenda.store_run,
    # The synthetic demo event is built of the real use cases, each with its own entry, and
    # one "events.demo" entry by the system for the whole.
    event_demo.build_demo_event,
    event_demo._account,
    event_demo._create,
    event_demo._register,
    # First start: the built-in data sets, the directory and the demo event, each use case
    # with its own entries by ``system:bootstrap``.
    bootstrap.prepare_database,
    bootstrap._load_demo_event,
)


def actions() -> list[str]:
    """Every audit action a use case records, sorted (the audit page's suggestions)."""
    return sorted({entry.action for entry in WRITE_ACTIONS})


def entity_types() -> list[str]:
    """Every entity type audit entries name, sorted."""
    return sorted({entry.entity_type for entry in WRITE_ACTIONS})
