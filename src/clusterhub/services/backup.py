"""Backing up and restoring the platform's database: the use cases behind ``clusterhub backup``
and ``clusterhub restore``.

The database mechanics live in ``store.backup``; what this layer adds is what needs the
services: a restore rebuilds the keyword index from the restored profiles with the names of
the reference data (clusters, NACE activities, countries), exactly as a profile write indexes
it. Sentence embeddings are restored as data: recomputing them takes minutes to hours, and
they come from the same snapshot as the profiles they describe; profiles that had none yet
are embedded by a running server in the background (``services.directory.backfill``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from clusterhub.config import Settings
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory.indexing import rebuild_keyword_index
from clusterhub.services.reference import Catalogues
from clusterhub.store.backup import (
    Approve,
    BackupResult,
    Format,
    RestoreResult,
    backup,
    restore,
)
from clusterhub.store.backup_archive import Manifest
from clusterhub.store.db import head_revision, make_engine, make_session_factory, transaction

__all__ = [
    "BackupResult",
    "Format",
    "Manifest",
    "RestoreResult",
    "backup_database",
    "restore_database",
]


def backup_database(
    settings: Settings,
    path: Path,
    *,
    by: Actor,
    format: Format = "native",
    overwrite: bool = False,
) -> BackupResult:
    """Write a consistent backup of the configured database to ``path`` (server may run).

    A backup holds everything, password hashes included, so who took one is recorded: in a
    transaction of its own once the file is complete (the backup itself does not hold it),
    unless the database is at an older schema than this code's (then it is not touched).
    """
    result = backup(settings, path, format=format, overwrite=overwrite)
    if result.manifest.revision != head_revision():
        return result  # an older schema has no room for the entry; a backup changes nothing
    engine = make_engine(settings)
    try:
        with transaction(make_session_factory(engine)) as session:
            audit.record(
                session, actor=by, action="database.backup", entity_type="database",
                entity_id=result.manifest.revision,
                details={"file": path.name, "payload": result.manifest.payload,
                         "rows": sum(t.rows for t in result.manifest.tables)},
            )  # fmt: skip
    finally:
        engine.dispose()
    return result


def restore_database(
    settings: Settings,
    path: Path,
    *,
    catalogues: Catalogues,
    by: Actor,
    approve: Approve | None = None,
) -> RestoreResult:
    """Replace the configured database's contents with a backup, all or nothing, and rebuild
    the keyword index from the restored profiles with the names in ``catalogues``.

    The audit entry is written in the restore's own transaction, after the rebuild, so that
    it is part of the restored data (the log restored from the file would not say it).
    """

    def after_load(session: Session) -> int:
        reindexed = rebuild_keyword_index(session, catalogues=catalogues)
        audit.record(
            session, actor=by, action="database.restore", entity_type="database",
            entity_id=head_revision(), details={"file": path.name, "reindexed": reindexed},
        )  # fmt: skip
        return reindexed

    return restore(settings, path, rebuild=after_load, approve=approve)
