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
from clusterhub.services import (
    account_links,
    accounts,
    audit,
    backup,
    cordis,
    directory,
    directory_io,
    directory_sources,
    email_verification,
    embedding_backfill,
    indexing,
    labels,
    logins,
    notifications,
    observatory,
    post_interest,
    posts,
    scoreboard_data,
    scoreboard_imports,
)
from clusterhub.services.accounts import Role
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

WRITE_ACTIONS: tuple[WriteAction, ...] = (
    # accounts
    WriteAction(accounts.register, "user.register", "user", Role.VISITOR, ("web",),
                "anyone without an account; the account starts as a member"),
    WriteAction(accounts.create_user, "user.create", "user", None, ("cli",),
                "the server's operator (e.g. the first site admin)"),
    WriteAction(logins.login, "login", "user", Role.VISITOR, ("web",), "anyone"),
    WriteAction(logins.login, "login.failed", "user", Role.VISITOR, ("web",),
                "anyone (a wrong e-mail or password)"),
    WriteAction(accounts.logout, "logout", "user", Role.VISITOR, ("web",), "the session's user"),
    WriteAction(accounts.update_profile, "user.update", "user", Role.VISITOR, ("web",),
                "the account's own user"),
    WriteAction(accounts.change_password, "user.password_change", "user", Role.VISITOR,
                ("web",), "the account's own user, with the current password"),
    WriteAction(accounts.request_password_reset, "password_reset.request", "user", None,
                ("web",), "anyone naming an account's e-mail (anonymous)"),
    WriteAction(accounts.reset_password, "user.password_reset", "user", None, ("web",),
                "whoever holds the mailed reset link"),
    WriteAction(accounts.set_role, "user.role", "user", Role.SITE_ADMIN, ("web",),
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
    WriteAction(directory.create_profile, "directory.create", "organisation", Role.MEMBER,
                ("web", "api"), "members; the creator becomes the profile's admin"),
    WriteAction(directory.update_profile, "directory.update", "organisation", Role.MEMBER,
                ("web", "api"), _PROFILE_ADMINS),
    WriteAction(directory.delete_profile, "directory.delete", "organisation", Role.MEMBER,
                (), _PROFILE_ADMINS),
    WriteAction(directory.add_admin, "directory.add_admin", "organisation", Role.MEMBER,
                ("web",), _PROFILE_ADMINS),
    WriteAction(directory_io.import_file, "directory.import", "organisation", None, ("cli",),
                "the server's operator"),
    WriteAction(directory_sources.load_cmp_organisations, "directory.import", "organisation",
                None, ("cli", "system"), "the server's operator; first start"),
    WriteAction(cordis.load_cordis, "directory.import", "organisation", None,
                ("cli", "system"), "the server's operator; first start"),
    WriteAction(demo.load_demo, "directory.import", "organisation", None, ("cli", "system"),
                "the server's operator; first start"),
    WriteAction(demo.remove_demo, "directory.remove_source", "organisation", None, ("cli",),
                "the server's operator"),
    WriteAction(directory_sources.load_partnerships, "partnerships.import", "partnership", None,
                ("cli", "system"), "the server's operator; first start"),
    WriteAction(embedding_backfill.EmbeddingBackfill._one_batch, "directory.embed",
                "organisation", None, ("system",), "the running server, in the background"),
    WriteAction(labels.verify, "label.verify", "organisation", Role.PROGRAMME_OFFICER,
                ("web",), f"{_OFFICERS}, not on a profile they administer"),
    WriteAction(labels.reject, "label.reject", "organisation", Role.PROGRAMME_OFFICER,
                ("web",), f"{_OFFICERS}, not on a profile they administer"),
    # partner search
    WriteAction(posts.create_post, "posts.create", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(posts.update_post, "posts.update", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(posts.close_post, "posts.close", "post", Role.MEMBER, ("web", "api"),
                _PROFILE_ADMINS),
    WriteAction(post_interest.express_interest, "posts.interest", "post", Role.MEMBER,
                ("web", "api"), "members, not on their own profile's posts"),
    WriteAction(post_interest.follow, "posts.follow", "post", Role.MEMBER, ("web", "api"),
                "members"),
    WriteAction(post_interest.unfollow, "posts.unfollow", "post", Role.MEMBER,
                ("web", "api"), "members"),
    WriteAction(notifications.mark_read, "notifications.read", "user", Role.VISITOR,
                ("web", "api"), "the notifications' owner"),
    # observatory and scoreboard
    WriteAction(observatory.load_cluster_map, "observatory.load", "dataset", None, ("system",),
                "first start and `serve --reload-data`"),
    WriteAction(scoreboard_data.ensure_computed, "scoreboard.compute", "indicator_values",
                None, ("system",), "first start and `serve --reload-data`"),
    WriteAction(scoreboard_imports.import_indicator_file, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(scoreboard_imports.import_eurostat_file, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(scoreboard_imports.fetch_eurostat_indicator, "scoreboard.import",
                "indicator_values", None, ("cli",), "the server's operator"),
    WriteAction(scoreboard_imports.import_upload, "scoreboard.import", "indicator_values",
                Role.PROGRAMME_OFFICER, ("web", "api"), _OFFICERS),
)  # fmt: skip

#: Functions that write only as a step of the use cases above (which record the entry), and
#: the audit log's own writers.
PARTS: tuple[Callable[..., Any], ...] = (
    audit.record,
    audit.record_import,
    accounts._insert_user,
    accounts.start_session,
    logins.complete_login,  # the writing half of login, which the web calls after the check
    account_links.issue,
    account_links.claim,
    account_links.mail_reset,
    account_links.mail_verification,
    accounts.record_attempt,
    accounts.clear_failures,
    directory._apply,
    directory._redeclare,
    directory._record,
    directory.upsert_profiles,
    directory.remove_all_from_source,
    directory_sources.upsert_records,
    directory_sources._set_facts,
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
    posts.tell_followers,
    post_interest._announce_interest,
    scoreboard_data.load_computed,
    scoreboard_data.store_values,
    scoreboard_imports._stored,
    fts.upsert,
    fts.delete,
    generations.bump,
)


def actions() -> list[str]:
    """Every audit action a use case records, sorted (the audit page's suggestions)."""
    return sorted({entry.action for entry in WRITE_ACTIONS})


def entity_types() -> list[str]:
    """Every entity type audit entries name, sorted."""
    return sorted({entry.entity_type for entry in WRITE_ACTIONS})
