"""Backing up and restoring the platform's database: the use cases behind ``clusterhub backup``
and ``clusterhub restore``.

The database mechanics live in ``store.backup``; what this layer adds is what needs the
services: a restore rebuilds the keyword index from the restored profiles with the names of
the reference data (clusters, NACE activities, countries), exactly as a profile write indexes
it. Sentence embeddings are restored as data: recomputing them takes minutes to hours, and
they come from the same snapshot as the profiles they describe; profiles that had none yet
are embedded by a running server in the background (``services.embedding_backfill``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from clusterhub.config import Settings
from clusterhub.services.directory import Catalogues
from clusterhub.services.indexing import rebuild_keyword_index
from clusterhub.store.backup import (
    Approve,
    BackupResult,
    Format,
    RestoreResult,
    backup,
    restore,
)
from clusterhub.store.backup_archive import Manifest

__all__ = [
    "BackupResult",
    "Format",
    "Manifest",
    "RestoreResult",
    "backup_database",
    "restore_database",
]


def backup_database(
    settings: Settings, path: Path, *, format: Format = "native", overwrite: bool = False
) -> BackupResult:
    """Write a consistent backup of the configured database to ``path`` (server may run)."""
    # The audit entry of a backup (actor "cli:<OS user>") is being designed with the audit of
    # every write (issue 10, item 5c); once services.audit.record takes an actor, record it
    # here, after the file is complete, in a transaction of its own.
    return backup(settings, path, format=format, overwrite=overwrite)


def restore_database(
    settings: Settings,
    path: Path,
    *,
    catalogues: Catalogues,
    approve: Approve | None = None,
) -> RestoreResult:
    """Replace the configured database's contents with a backup, all or nothing, and rebuild
    the keyword index from the restored profiles with the names in ``catalogues``."""
    # The audit entry of a restore (actor "cli:<OS user>") belongs in the restore's own
    # transaction, after the rebuild, so that it is part of the restored data; add it in the
    # rebuild step once services.audit.record takes an actor (issue 10, item 5c).
    return restore(
        settings,
        path,
        rebuild=partial(rebuild_keyword_index, catalogues=catalogues),
        approve=approve,
    )
