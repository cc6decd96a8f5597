"""Every NUTS version at once: which codes each version has, where an old region lies now, and
every name a region has had.

Two official sources meet here. The JRC NUTS converter's conversion matrices (shipped as
package data, see ``data/nuts_versions/SOURCE.md``) cut each region of NUTS 2006, 2010, 2013 and
2016 into the pieces that lie in NUTS 2021 regions, with each piece's population and area:
they say where an old code went and with which share. Eurostat's change tables
(``classify.nuts_changes``) give the names of NUTS 2013, 2016 and 2021 regions and what
happened to each. A :class:`NutsHistory` answers "what is FR62 now?" (FRJ2, a pure recode),
"what was PL12?" (split into PL91 and PL92) and "which region is Midi-Pyrénées?" from them.
"""

from __future__ import annotations

import gzip
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

import polars as pl

from clusterhub.errors import InvalidInput, NotFound

#: NUTS versions the matrices cover, oldest first; the last is the one maps are drawn in.
VERSIONS = ("2006", "2010", "2013", "2016", "2021")
CURRENT = "2021"
#: The covariates of the JRC matrices a split can be weighted by.
Weight = Literal["pop18", "pop11", "areaKm", "artif_surf18", "artif_surf12"]
WEIGHTS: tuple[Weight, ...] = get_args(Weight)
#: A piece smaller than this share of its old region (by the weight) is treated as boundary
#: drawing noise or a negligible transfer and left with the region's main successor: the
#: matrices cut along digitised boundaries, so even an unchanged region sheds slivers of a
#: few dozen inhabitants, and the smallest real transfer between NUTS 2 regions since 2013
#: (Vianen, NL33 → NL31) is 0.95 % of its region's population.
MIN_SHARE = 0.01
#: Where the matrices ship: ``n{level}_cm_v{version}_v2021.csv.gz``.
MATRICES = Path(__file__).resolve().parents[1] / "data" / "nuts_versions"

PIECES: dict[str, type[pl.DataType] | pl.DataType] = {
    "version": pl.String,
    "level": pl.Int8,
    "from_code": pl.String,
    "to_code": pl.String,
    **dict.fromkeys(WEIGHTS, pl.Float64),
}


def load_matrices(folder: Path = MATRICES) -> pl.DataFrame:
    """All conversion matrices to NUTS 2021 in one frame (``PIECES``).

    Raises
    ------
    InvalidInput
        If a matrix is missing or lacks the JRC columns.
    """
    frames = []
    for version in VERSIONS[:-1]:
        for level in (1, 2, 3):
            path = folder / f"n{level}_cm_v{version}_v{CURRENT}.csv.gz"
            if not path.is_file():
                raise InvalidInput.single("missing NUTS conversion matrix", file=str(path))
            with gzip.open(path, "rb") as handle:
                frame = pl.read_csv(handle.read(), infer_schema=False)
            columns = [f"code_v{version}", f"code_v{CURRENT}", *WEIGHTS]
            lacking = [c for c in columns if c not in frame.columns]
            if lacking:
                raise InvalidInput.single(
                    f"expected the JRC columns {', '.join(columns)}; missing {', '.join(lacking)}",
                    file=path.name,
                )
            frames.append(
                frame.select(
                    pl.lit(version).alias("version"),
                    pl.lit(level, dtype=pl.Int8).alias("level"),
                    pl.col(columns[0]).alias("from_code"),
                    pl.col(columns[1]).alias("to_code"),
                    *(pl.col(w).cast(pl.Float64) for w in WEIGHTS),
                )
            )
    return pl.concat(frames)


@dataclass(frozen=True)
class Successor:
    """A NUTS 2021 region an old region went to, with the share of the old region it took."""

    code: str
    name: str | None
    share: float


@dataclass(frozen=True)
class Lineage:
    """A code, the newest version that has it, and the NUTS 2021 regions it lies in (itself
    when it is a 2021 code)."""

    code: str
    version: str
    name: str | None
    change: str | None
    successors: tuple[Successor, ...]


@dataclass(frozen=True, eq=False)
class RecodePlan:
    """A data set's NUTS version and the ``from_code, to_code, share`` rows that carry its old
    codes to NUTS 2021 (``stats.nuts_recode.recode_cells`` applies them); ``superseded``
    lists codes of other versions left out because their successors are in the data."""

    version: str
    conversion: pl.DataFrame
    superseded: tuple[str, ...]
    weight: str


@dataclass(frozen=True, eq=False)
class NutsHistory:
    """Conversion pieces (``PIECES``) and names (``nuts_changes.NAMES``) of every version.

    ``current_names`` are the names of the catalogue maps are drawn with (GISCO NUTS 2021),
    preferred for display; the change tables' names serve older codes and search.
    """

    pieces: pl.DataFrame
    names: pl.DataFrame
    current_names: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _pieces(self) -> dict[tuple[str, str], list[tuple[str, dict[str, float]]]]:
        """``(version, old code)`` → its pieces ``(code 2021, {weight: value})``."""
        out: dict[tuple[str, str], list[tuple[str, dict[str, float]]]] = {}
        for row in self.pieces.iter_rows(named=True):
            weights: dict[str, float] = {w: row[w] for w in WEIGHTS}
            out.setdefault((row["version"], row["from_code"]), []).append((row["to_code"], weights))
        return out

    @cached_property
    def _codes(self) -> dict[str, frozenset[str]]:
        codes: dict[str, set[str]] = {v: set() for v in VERSIONS}
        for version, code in self._pieces:
            codes[version].add(code)
        codes[CURRENT] = set(self.pieces.get_column("to_code").to_list()) | set(self.current_names)
        return {v: frozenset(c) for v, c in codes.items()}

    @cached_property
    def _names(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        """``(code, version)`` → its first listed name and Eurostat's change note."""
        out: dict[tuple[str, str], tuple[str, str | None]] = {}
        for code, version, name, change in self.names.iter_rows():
            out.setdefault((code, version), (name, change))
        return out

    @cached_property
    def _countries(self) -> frozenset[str]:
        return frozenset(c[:2] for c in self._codes[CURRENT])

    def codes(self, version: str) -> frozenset[str]:
        """Every code of ``version`` at levels 1-3."""
        return self._codes.get(version, frozenset())

    def versions_of(self, code: str) -> list[str]:
        """The versions that have ``code`` (a country code is in every version)."""
        if len(code) == 2:
            return list(VERSIONS) if code in self._countries else []
        return [v for v in VERSIONS if code in self._codes.get(v, frozenset())]

    def children(self, code: str) -> tuple[str, ...]:
        """The NUTS 2021 regions one level below ``code``."""
        return tuple(
            sorted(
                c
                for c in self._codes[CURRENT]
                if len(c) == len(code) + 1 and c.startswith(code) and not c.endswith("Z")
            )
        )

    def source_version(self, codes: Iterable[str]) -> str:
        """The version most of ``codes`` belong to (the newest on a tie): the version a data
        set is coded in, even when it also lists a few codes of earlier versions."""
        wanted = {c for c in codes if len(c) > 2}
        counts = {v: len(wanted & self._codes.get(v, frozenset())) for v in VERSIONS}
        return max(reversed(VERSIONS), key=lambda v: counts[v])

    def name(self, code: str, version: str | None = None) -> str | None:
        """The region's name in ``version`` (the current name first when it is a 2021 code;
        the newest version's when ``version`` is None), or None when no source names it."""
        if version in (None, CURRENT) and code in self.current_names:
            return self.current_names[code]
        for v in reversed(VERSIONS) if version is None else (version,):
            if (code, v) in self._names:
                return self._names[code, v][0]
        return None

    def shares(
        self, code: str, version: str, *, weight: Weight = "pop18", min_share: float = MIN_SHARE
    ) -> list[tuple[str, float]]:
        """Where ``code`` of ``version`` lies in NUTS 2021: ``(code 2021, share)`` pairs whose
        shares sum to 1, largest first; pieces under ``min_share`` are given to the others.

        Raises
        ------
        NotFound
            If ``version`` has no region ``code``.
        """
        if version == CURRENT:
            if code not in self._codes[CURRENT]:
                raise NotFound(f"NUTS {CURRENT} has no region {code!r}")
            return [(code, 1.0)]
        pieces = self._pieces.get((version, code))
        if not pieces:
            raise NotFound(f"NUTS {version} has no region {code!r}")
        return _normalised([(to, w[weight]) for to, w in pieces], min_share)

    def plan(
        self,
        codes: Iterable[str],
        *,
        weight: Weight = "pop18",
        min_share: float = MIN_SHARE,
    ) -> RecodePlan:
        """How to carry a data set's region codes to NUTS 2021 (see :class:`RecodePlan`).

        Each code is read in the data set's version (:meth:`source_version`) when that has it,
        else in the newest version that has it; codes of no version (Extra-Regio, typos) and
        countries stay as they are. A code of another version whose successors the data set
        already has under their own codes is *superseded*: carrying it would count its
        employment twice.
        """
        wanted = sorted({c for c in codes if len(c) > 2})
        version = self.source_version(wanted)
        present = set(wanted)
        pieces: dict[str, list[tuple[str, float]]] = {}
        superseded: list[str] = []
        for code in wanted:
            if code in self._codes[version]:
                source = version
            elif code in self._codes[CURRENT]:
                continue
            else:
                older = [v for v in self.versions_of(code) if v != CURRENT]
                if not older:
                    continue
                source = older[-1]
            shares = self.shares(code, source, weight=weight, min_share=min_share)
            if source != version and any(c in present for c, _ in shares):
                superseded.append(code)
                continue
            pieces[code] = shares
        moved = {c for code, s in pieces.items() for c, _ in s if [(code, 1.0)] != s}
        rows = [
            (code, to, share)
            for code, shares in pieces.items()
            if shares != [(code, 1.0)] or code in moved
            for to, share in shares
        ]
        frame = pl.DataFrame(
            rows,
            schema={"from_code": pl.String, "to_code": pl.String, "share": pl.Float64},
            orient="row",
        )
        return RecodePlan(version, frame, tuple(superseded), weight)

    def pieces_into_current(
        self, codes: Iterable[str], *, weight: Weight = "pop18"
    ) -> pl.DataFrame:
        """The pieces that carry the old codes among ``codes`` (not NUTS 2021 codes, each read
        in the newest version that has it) to NUTS 2021, and every other piece of the same
        version that goes into the same new regions, so a caller can tell a pure recode (one
        whole old region makes the new one) from a split or a merge, and weigh a merge.

        Columns ``from_code, version, to_code, weight`` (the piece's ``weight``, population in
        2018 by default, after the shares under ``MIN_SHARE`` went to the main successor).
        """
        current = self._codes[CURRENT]
        wanted: dict[str, str] = {}
        for code in codes:
            older = [v for v in self.versions_of(code) if v != CURRENT]
            if len(code) > 2 and code not in current and older:
                wanted[code] = older[-1]
        rows: dict[tuple[str, str, str], float] = {}

        def add(code: str, version: str, into: set[tuple[str, str]] | None = None) -> None:
            total = sum(w[weight] or 0.0 for _, w in self._pieces[version, code])
            for to_code, share in self.shares(code, version, weight=weight):
                if into is None or (version, to_code) in into:
                    rows[code, version, to_code] = share * total

        for code, version in wanted.items():
            add(code, version)
        targets = {(v, t) for _, v, t in rows}
        for version, code in list(self._pieces):
            if code not in wanted and any(
                (version, to) in targets for to, _ in self._pieces[version, code]
            ):
                add(code, version, targets)
        return pl.DataFrame(
            [(f, v, t, w) for (f, v, t), w in sorted(rows.items())],
            schema={
                "from_code": pl.String,
                "version": pl.String,
                "to_code": pl.String,
                "weight": pl.Float64,
            },
            orient="row",
        )

    def lineage(self, code: str) -> Lineage | None:
        """What became of ``code`` from the newest version that has it, or None if no version
        has it. A 2021 code is its own successor."""
        versions = self.versions_of(code)
        if not versions:
            return None
        version = versions[-1]
        successors = tuple(
            Successor(c, self.name(c, CURRENT), share) for c, share in self.shares(code, version)
        )
        change = self._change(code, version)
        return Lineage(code, version, self.name(code, version), change, successors)

    def _change(self, code: str, version: str) -> str | None:
        return self._names.get((code, version), ("", None))[1]

    @cached_property
    def _search_rows(self) -> list[tuple[str, str, str, str]]:
        """``(folded code, folded name, code, name)`` of every name of every version."""
        pairs = [*self.names.select("code", "name").iter_rows(), *self.current_names.items()]
        return [(fold(c), fold(n), c, n) for c, n in dict.fromkeys(pairs)]

    def find(self, text: str) -> list[str]:
        """NUTS 2021 codes of the regions whose code (exactly) or a name in any version
        (a fragment, ignoring case and accents) matches ``text``; an old region leads to its
        successors. "FR62", "Midi-Pyrenees" and "Occitanie" all find FRJ2 or FRJ."""
        return list(self.matches(text))

    def matches(self, text: str) -> dict[str, str | None]:
        """What ``find`` finds, each NUTS 2021 code with the former name and code that led to
        it ("formerly Midi-Pyrénées (FR62)"), or None when its own code or current name did:
        a reader who typed an old name should see why a region of another name came up."""
        wanted = fold(text)
        if not wanted:
            return {}
        # A code stands for itself (None); a name is kept to tell an old one from the current.
        hits: list[tuple[str, str | None]] = [
            (c, None if wanted == fc else n)
            for fc, fn, c, n in self._search_rows
            if wanted == fc or wanted in fn
        ]
        if len(wanted) >= 3 and wanted[:2].isalpha():
            hits.append((text.strip().upper(), None))
        found: dict[str, str | None] = {}
        for code, name in hits:
            line = self.lineage(code)
            if line is None:
                continue
            old_name = name or line.name
            for successor in line.successors:
                own = successor.code == code and (
                    name is None or fold(name) == fold(successor.name or "")
                )
                note = None if own else f"formerly {old_name or code} ({code})"
                if successor.code not in found or note is None:
                    found[successor.code] = note
        return found


def _normalised(rows: Sequence[tuple[str, float]], min_share: float) -> list[tuple[str, float]]:
    """Shares of the pieces (by weight), those under ``min_share`` dropped and the rest scaled
    to sum to 1; equal shares when the weight is zero everywhere."""
    total = sum(max(w or 0.0, 0.0) for _, w in rows)
    merged: dict[str, float] = {}
    for to_code, w in rows:
        share = (max(w or 0.0, 0.0) / total) if total > 0 else 1 / len(rows)
        merged[to_code] = merged.get(to_code, 0.0) + share
    kept = {c: s for c, s in merged.items() if s >= min_share} or {
        max(merged, key=lambda c: merged[c]): 1.0
    }
    scale = sum(kept.values())
    return sorted(((c, s / scale) for c, s in kept.items()), key=lambda p: -p[1])


def fold(text: str) -> str:
    """Lower case without accents, punctuation or extra spaces: how search compares names
    ("Midi-Pyrénées" and "midi pyrenees" are the same)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())
