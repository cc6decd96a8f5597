"""The directory search's in-memory catalogue: every profile's filterable facts as numpy columns.

Filtering, facet counting, sorting and paging 100,000 profiles in SQL costs a query per facet and
an ``ORDER BY`` over the matching rows; over numpy columns the same work is a few boolean masks
and ``bincount`` calls, a millisecond or two. The database stays the source of truth: the
catalogue is rebuilt from it whenever the directory's generation counter moved, and only the
rows whose ``version`` (the optimistic lock, raised by every profile write) or embedding text
hash changed are read again (see :func:`refresh`).

String facts are held as integer codes into a vocabulary (:class:`Column`), so a filter is a
vocabulary-sized lookup table indexed by the codes and a facet is one ``bincount``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from clusterhub.services.directory.facts import SIZE_BANDS, UNKNOWN_SIZE
from clusterhub.services.directory.schemas import Label, LabelReview, ProfileType
from clusterhub.services.embeddings import DIMENSIONS
from clusterhub.store.models import (
    Organisation,
    OrganisationCluster,
    OrganisationEmbedding,
    as_utc,
)

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]

#: Label facet values: a label counts as its level only while valid and once verified; a valid
#: label not verified is ``declared`` (or ``rejected``) whatever its level.
DECLARED = LabelReview.DECLARED.value
REJECTED = LabelReview.REJECTED.value
EXPIRED = "expired"
NO_LABEL = "none"
LABEL_VALUES = (
    Label.GOLD.value, Label.SILVER.value, Label.BRONZE.value, DECLARED, REJECTED, EXPIRED,
    NO_LABEL,
)  # fmt: skip
#: Size facet values, smallest band first, then profiles without a member count.
SIZE_VALUES = (*(band for _, band in reversed(SIZE_BANDS)), UNKNOWN_SIZE)
PROFILE_TYPE_VALUES = tuple(t.value for t in ProfileType)
#: Above this many changed rows a refresh reads the whole table instead of ``IN`` lists.
FULL_RELOAD_ROWS = 20_000
_CHUNK = 900
_NO_DATE = np.iinfo(np.int64).max
_BLOB_BYTES = DIMENSIONS * 4
_SERIALS = itertools.count()
_Statement = TypeVar("_Statement", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, eq=False)
class Rows:
    """Per-profile facts as loaded from the database, sorted by ``ids``.

    Missing strings are ``""``; a missing member count is -1; a missing label date is the
    largest int64; a profile without an embedding has a zero vector and an empty hash.
    """

    ids: Ints
    versions: Ints
    hashes: npt.NDArray[np.object_]
    keys: npt.NDArray[np.object_]
    sources: npt.NDArray[np.object_]
    names: npt.NDArray[np.object_]
    acronyms: npt.NDArray[np.object_]
    cities: npt.NDArray[np.object_]
    country: npt.NDArray[np.object_]
    nuts: npt.NDArray[np.object_]
    profile_type: npt.NDArray[np.object_]
    label: npt.NDArray[np.object_]
    label_review: npt.NDArray[np.object_]
    label_until: Ints
    members: Ints
    synthetic: Mask
    updated: Ints
    pair_ids: Ints
    pair_codes: npt.NDArray[np.object_]
    vectors: Floats

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, positions: Ints) -> Rows:
        """These rows (positions in ``ids``), with their cluster pairs."""
        keep = np.isin(self.pair_ids, self.ids[positions])
        fields = {
            name: getattr(self, name)[positions]
            for name in Rows.__dataclass_fields__
            if not name.startswith("pair_")
        }
        return Rows(**fields, pair_ids=self.pair_ids[keep], pair_codes=self.pair_codes[keep])

    def replaced(self, fresh: Rows) -> Rows:
        """These rows with ``fresh`` (rows of profiles already here) written over them.

        The vector matrix is shared, not copied, when no embedding changed.
        """
        at = np.searchsorted(self.ids, fresh.ids)
        fields: dict[str, Any] = {}
        for name in Rows.__dataclass_fields__:
            if name.startswith("pair_"):
                continue
            values = getattr(self, name)
            if name == "vectors" and np.array_equal(self.hashes[at], fresh.hashes):
                fields[name] = values
                continue
            values = values.copy()
            values[at] = getattr(fresh, name)
            fields[name] = values
        keep = ~np.isin(self.pair_ids, fresh.ids)
        return Rows(
            **fields,
            pair_ids=np.concatenate([self.pair_ids[keep], fresh.pair_ids]),
            pair_codes=np.concatenate([self.pair_codes[keep], fresh.pair_codes]),
        )

    @staticmethod
    def concat(parts: Sequence[Rows]) -> Rows:
        """The union of disjoint row sets, sorted by id."""
        joined = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in Rows.__dataclass_fields__
        }
        ids = joined["ids"]
        if np.all(ids[1:] > ids[:-1]):  # already in order (new profiles come last)
            return Rows(**joined)
        order = np.argsort(ids, kind="stable")
        return Rows(
            **{
                name: values if name.startswith("pair_") else values[order]
                for name, values in joined.items()
            }
        )


def empty_rows() -> Rows:
    """No profiles (the state before the first build)."""
    none = np.array([], dtype=object)
    ints = np.array([], dtype=np.int64)
    return Rows(
        ids=ints,
        versions=ints,
        hashes=none,
        keys=none,
        sources=none,
        names=none,
        acronyms=none,
        cities=none,
        country=none,
        nuts=none,
        profile_type=none,
        label=none,
        label_review=none,
        label_until=ints,
        members=ints,
        synthetic=np.array([], dtype=np.bool_),
        updated=ints,
        pair_ids=ints,
        pair_codes=none,
        vectors=np.zeros((0, DIMENSIONS), dtype=np.float32),
    )


# --- loading ----------------------------------------------------------------------------------


def refresh(
    session: Session, rows: Rows, *, model: str, changed: Collection[int] | None = None
) -> Rows:
    """``rows`` brought up to date with the database: changed and new profiles read again,
    deleted ones dropped.

    ``changed`` lists the profiles changed since ``rows`` were read, when the change log knows
    them (``store.generations.changed_since``): only those are read, a few milliseconds
    whatever the directory's size. Otherwise a profile is re-read when its ``version`` or its
    embedding's text hash differs from what ``rows`` holds, which reads the state of every
    profile. Comparing versions rather than ``updated_at`` stays correct when another process
    commits a change stamped earlier than our last build (timestamps are taken before commit,
    so "newer than the last build" can miss a slow transaction).
    """
    if changed is not None:
        return _with_changes(session, rows, sorted(changed), model=model)
    state = session.execute(
        select(Organisation.id, Organisation.version, OrganisationEmbedding.text_hash)
        .outerjoin(
            OrganisationEmbedding,
            and_(
                OrganisationEmbedding.organisation_id == Organisation.id,
                OrganisationEmbedding.model == model,
            ),
        )
        .order_by(Organisation.id)
    ).all()
    ids = np.fromiter((r[0] for r in state), dtype=np.int64, count=len(state))
    versions = np.fromiter((r[1] for r in state), dtype=np.int64, count=len(state))
    hashes = np.array([r[2] or "" for r in state], dtype=object)
    where = np.clip(np.searchsorted(rows.ids, ids), 0, max(len(rows) - 1, 0))
    known = (
        (rows.ids[where] == ids)
        & (rows.versions[where] == versions)
        & (rows.hashes[where] == hashes)
        if len(rows)
        else np.zeros(len(ids), dtype=np.bool_)
    )
    todo = ids[~known]
    if len(todo) > FULL_RELOAD_ROWS:
        return load(session, None, model=model)
    fresh = load(session, todo.tolist(), model=model)
    if len(ids) == len(rows) and np.array_equal(ids, rows.ids):
        return rows.replaced(fresh)  # edits only: no profile added or removed
    kept = rows.take(where[known]) if len(rows) else rows
    return Rows.concat([kept, fresh])


def _with_changes(session: Session, rows: Rows, changed: list[int], *, model: str) -> Rows:
    """``rows`` with the profiles ``changed`` read again (dropped when they are gone)."""
    if len(changed) > FULL_RELOAD_ROWS:
        return load(session, None, model=model)
    fresh = load(session, changed, model=model)
    ids = np.asarray(changed, dtype=np.int64)
    if len(rows) and len(fresh) == len(ids) and np.isin(ids, rows.ids).all():
        return rows.replaced(fresh)  # edits only: no profile added or removed
    kept = np.flatnonzero(~np.isin(rows.ids, ids))
    return Rows.concat([rows.take(kept), fresh]) if len(rows) else fresh


def load(session: Session, ids: list[int] | None, *, model: str) -> Rows:
    """The facts of profiles ``ids`` (all profiles when ``None``)."""
    org_rows: list[Any] = []
    pairs: list[Any] = []
    vectors: list[Any] = []
    chunks = [None] if ids is None else [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for chunk in chunks:
        org_rows += session.execute(_within(_org_columns(), Organisation.id, chunk)).all()
        pairs += session.execute(
            _within(
                select(OrganisationCluster.organisation_id, OrganisationCluster.cluster_code),
                OrganisationCluster.organisation_id,
                chunk,
            )
        ).all()
        vectors += session.execute(
            _within(
                select(
                    OrganisationEmbedding.organisation_id,
                    OrganisationEmbedding.text_hash,
                    OrganisationEmbedding.vector,
                ).where(OrganisationEmbedding.model == model),
                OrganisationEmbedding.organisation_id,
                chunk,
            )
        ).all()
    return _rows(org_rows, pairs, vectors)


def _org_columns() -> Select[*tuple[Any, ...]]:
    return select(
        Organisation.id,
        Organisation.version,
        Organisation.name,
        Organisation.country,
        Organisation.nuts_code,
        Organisation.profile_type,
        Organisation.label,
        Organisation.label_valid_until,
        Organisation.members_total,
        Organisation.is_synthetic,
        Organisation.updated_at,
        Organisation.key,
        Organisation.source,
        Organisation.acronym,
        Organisation.city,
        Organisation.label_review,
    )


def _within(statement: _Statement, column: Any, chunk: list[int] | None) -> _Statement:
    return statement if chunk is None else statement.where(column.in_(chunk))


def _rows(org_rows: list[Any], pairs: list[Any], vector_rows: list[Any]) -> Rows:
    n = len(org_rows)
    ids = np.fromiter((r[0] for r in org_rows), dtype=np.int64, count=n)
    order = np.argsort(ids, kind="stable")
    org_rows = [org_rows[i] for i in order]
    ids = ids[order]
    vectors = np.zeros((n, DIMENSIONS), dtype=np.float32)
    hashes = np.full(n, "", dtype=object)
    good = [r for r in vector_rows if r[2] is not None and len(r[2]) == _BLOB_BYTES]
    if good:
        vector_ids = np.fromiter((r[0] for r in good), dtype=np.int64, count=len(good))
        at = np.clip(np.searchsorted(ids, vector_ids), 0, max(n - 1, 0))
        present = (ids[at] == vector_ids) if n else np.zeros(len(good), dtype=np.bool_)
        blob = np.frombuffer(b"".join(r[2] for r in good), dtype="<f4").reshape(-1, DIMENSIONS)
        vectors[at[present]] = blob[present]
        hashes[at[present]] = np.array([r[1] for r in good], dtype=object)[present]
    return Rows(
        ids=ids,
        versions=_ints((r[1] for r in org_rows), n),
        hashes=hashes,
        keys=_strings(r[11] for r in org_rows),
        sources=_strings(r[12] for r in org_rows),
        names=_strings(r[2] for r in org_rows),
        acronyms=_strings(r[13] for r in org_rows),
        cities=_strings(r[14] for r in org_rows),
        country=_strings(r[3] for r in org_rows),
        nuts=_strings(r[4] for r in org_rows),
        profile_type=_strings(r[5] for r in org_rows),
        label=_strings(r[6] for r in org_rows),
        label_review=_strings(r[15] for r in org_rows),
        label_until=_ints((_day(r[7]) for r in org_rows), n),
        members=_ints((-1 if r[8] is None else r[8] for r in org_rows), n),
        synthetic=np.fromiter((bool(r[9]) for r in org_rows), dtype=np.bool_, count=n),
        updated=_ints((_micros(r[10]) for r in org_rows), n),
        pair_ids=_ints((p[0] for p in pairs), len(pairs)),
        pair_codes=_strings(p[1] for p in pairs),
        vectors=vectors,
    )


def _ints(values: Iterable[int], count: int) -> Ints:
    return np.fromiter(values, dtype=np.int64, count=count)


def _strings(values: Iterable[str | None]) -> npt.NDArray[np.object_]:
    return np.array([v or "" for v in values], dtype=object)


def _day(value: date | None) -> int:
    return _NO_DATE if value is None else value.toordinal()


def _micros(value: datetime) -> int:
    return int(as_utc(value).timestamp() * 1_000_000)


# --- the queryable catalogue ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Column:
    """A string fact as integer codes into ``values`` (``""`` stands for missing)."""

    values: tuple[str, ...]
    codes: npt.NDArray[np.intp]

    @classmethod
    def of(cls, strings: npt.NDArray[np.object_], vocabulary: Sequence[str] = ()) -> Column:
        """Codes of ``strings``: a fixed ``vocabulary`` first and in its order, other values
        after it in order of appearance (one dictionary pass; sorting strings costs more)."""
        values = strings.tolist()
        index = {value: code for code, value in enumerate(dict.fromkeys([*vocabulary, *values]))}
        codes = np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
        return cls(tuple(index), codes)

    def matching(self, accept: Callable[[str], bool]) -> Mask:
        """Rows whose value ``accept`` says yes to (evaluated once per distinct value)."""
        table = np.fromiter(
            (accept(v) for v in self.values), dtype=np.bool_, count=len(self.values)
        )
        return table[self.codes] if len(self.values) else np.zeros(len(self.codes), np.bool_)

    def counts(self, rows: Mask) -> dict[str, int]:
        """How many of ``rows`` have each value (missing and zero counts left out)."""
        totals = np.bincount(self.codes[rows], minlength=len(self.values))
        return {v: int(c) for v, c in zip(self.values, totals, strict=True) if v and c}


class Catalogue:
    """The rows of one generation with the codes, orders and pairs the search needs."""

    def __init__(self, rows: Rows, generation: int) -> None:
        self.rows = rows
        self.generation = generation
        self.serial = next(_SERIALS)  # tells catalogues apart in caches, unlike id()
        self.size = len(rows)
        self.country = Column.of(rows.country)
        self.nuts = Column.of(rows.nuts)
        regions = np.array([c[:4] if len(c) >= 4 else "" for c in self.nuts.values], object)
        self.region = Column.of(regions[self.nuts.codes]) if self.size else Column.of(regions)
        self.profile_type = Column.of(rows.profile_type, PROFILE_TYPE_VALUES)
        self.size_band = Column.of(_size_bands(rows.members), SIZE_VALUES)
        self._label = Column.of(rows.label, LABEL_VALUES)
        self._labels_on: tuple[date, Column] | None = None
        self.pair_rows = np.searchsorted(rows.ids, rows.pair_ids)
        self.clusters = Column.of(rows.pair_codes)
        self._pairs_by_row = np.argsort(self.pair_rows, kind="stable")
        self._pair_starts = np.searchsorted(
            self.pair_rows[self._pairs_by_row], np.arange(self.size + 1)
        )
        self.has_vector = rows.hashes != ""
        names = [n.casefold() for n in rows.names.tolist()]
        self.name_order = np.array(sorted(range(self.size), key=names.__getitem__), dtype=np.intp)
        self.name_rank = np.empty(self.size, dtype=np.intp)
        self.name_rank[self.name_order] = np.arange(self.size)
        self.members_order = np.lexsort((self.name_rank, -rows.members))
        self.updated_order = np.lexsort((rows.ids, -rows.updated))

    def positions(self, ids: Ints) -> tuple[npt.NDArray[np.intp], Mask]:
        """Row positions of profile ``ids`` and which of them the catalogue holds."""
        if not self.size:
            return np.zeros(len(ids), np.intp), np.zeros(len(ids), np.bool_)
        at = np.clip(np.searchsorted(self.rows.ids, ids), 0, self.size - 1)
        return at, self.rows.ids[at] == ids

    def labels(self, today: date) -> Column:
        """Label status per row on ``today``: the level while valid and verified, else
        declared, rejected, expired (whatever the review) or none.

        Computed once per day (a few milliseconds over 100,000 rows, on every query otherwise).
        """
        known = self._labels_on
        if known is not None and known[0] == today:
            return known[1]
        codes = self._label.codes.copy()
        labelled = codes < LABEL_VALUES.index(DECLARED)
        review = self.rows.label_review
        for state in (DECLARED, REJECTED):
            codes[labelled & (review == state)] = LABEL_VALUES.index(state)
        codes[labelled & (self.rows.label_until < today.toordinal())] = LABEL_VALUES.index(EXPIRED)
        codes[self.rows.label == ""] = LABEL_VALUES.index(NO_LABEL)
        column = Column(self._label.values, codes)
        self._labels_on = (today, column)
        return column

    def cluster_mask(self, codes: Iterable[str]) -> Mask:
        """Rows serving any of the cluster ``codes``."""
        wanted = set(codes)
        pairs = self.clusters.matching(wanted.__contains__)
        mask = np.zeros(self.size, dtype=np.bool_)
        mask[self.pair_rows[pairs]] = True
        return mask

    def cluster_codes(self, row: int) -> list[str]:
        """The cluster codes of one row, in code order (as ``directory.summary`` lists them)."""
        pairs = self._pairs_by_row[self._pair_starts[row] : self._pair_starts[row + 1]]
        return sorted(self.clusters.values[c] for c in self.clusters.codes[pairs])

    def label_until(self, row: int) -> date | None:
        """The valid-until date of one row's label."""
        day = int(self.rows.label_until[row])
        return None if day == _NO_DATE else date.fromordinal(day)

    def cluster_counts(self, rows: Mask) -> dict[str, int]:
        """How many of ``rows`` serve each cluster (a profile counts once per cluster)."""
        return self.clusters.counts(rows[self.pair_rows])


def _size_bands(members: Ints) -> npt.NDArray[np.object_]:
    bands = np.full(len(members), UNKNOWN_SIZE, dtype=object)
    for lower, band in sorted(SIZE_BANDS):
        bands[members >= lower] = band
    return bands
