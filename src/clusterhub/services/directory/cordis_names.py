"""Names and cities of Horizon 2020 organisations as CORDIS listed them in mid-2017.

The mirror's flattened participations name no one; ``cordis/h2020_organisations_2017.csv.gz``
(``pic,name,short_name,type,street,city,country``) names 16,591 of the 35,871 participants. It
was taken from a node table of the ODFest 2017 network project, built from the CORDIS
organisations export, so it is a mirror-only data set (``cordis-organisations-2017``). Its text
was once read as Mac Roman although it was UTF-8 ("Espa√±ola" for "Española"); such cells are
turned back when the round trip gives valid UTF-8, and counted. Only the name, short name and
city are used: the participations file already gives each participant's type and country (in
the same CORDIS codes, ``UK`` and ``EL``, which are also the directory's), and a profile has no
street field.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from clusterhub.errors import InvalidInput
from clusterhub.input_files import ProblemList, read_frame

#: Columns the file must have (others are ignored).
COLUMNS = ("pic", "name", "short_name", "city")
#: Longest text each profile field takes; a longer cell is left out rather than cut.
_SIZES = {"name": 300, "acronym": 60, "city": 120}


def read_names(path: Path) -> tuple[pl.DataFrame, dict[str, int]]:
    """``pic`` (Int64), ``name``, ``acronym`` and ``city`` per organisation, and counts of what
    was repaired or left out.

    Raises
    ------
    InvalidInput
        If the file is damaged (the shared reader names the line), lacks a column, has a PIC
        that is not a number (file, line and field named) or names one PIC twice.
    """
    problems = ProblemList()
    raw = read_frame(path, problems=problems, name=path.name)
    problems.raise_if_any(f"cannot read {path.name}")
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidInput.single(f"missing column(s) {', '.join(missing)}", file=path.name, line=1)
    frame = raw.select("_line", *(pl.col(c).str.strip_chars().replace("", None) for c in COLUMNS))
    without_pic = frame.filter(pl.col("pic").is_null())
    frame = frame.filter(pl.col("pic").is_not_null()).with_columns(
        pl.col("pic").cast(pl.Int64, strict=False).alias("pic_number")
    )
    bad = frame.filter(pl.col("pic_number").is_null())
    if bad.height:
        raise InvalidInput.single(
            "expected a numeric PIC (participant identification code)",
            file=path.name,
            line=int(bad["_line"][0]),
            field="pic",
        )
    repeated = frame.filter(pl.col("pic_number").is_duplicated())
    if repeated.height:
        raise InvalidInput.single(
            f"PIC {repeated['pic'][0]} appears twice",
            file=path.name,
            line=int(repeated["_line"][1]),
            field="pic",
        )
    texts = frame.select(
        pl.col("pic_number").alias("pic"),
        pl.col("name"),
        pl.col("short_name").alias("acronym"),
        pl.col("city"),
    )
    repaired = 0
    columns: dict[str, list[str | None]] = {}
    for column in _SIZES:
        values = []
        for value in texts[column]:
            fixed = repair_text(value) if value is not None else None
            repaired += fixed != value
            values.append(fixed)
        columns[column] = values
    names = texts.with_columns(pl.Series(c, v, dtype=pl.String) for c, v in columns.items())
    too_long = {
        c: names.filter(pl.col(c).str.len_chars() > size).height for c, size in _SIZES.items()
    }
    names = names.with_columns(
        pl.when(pl.col(c).str.len_chars() <= size).then(pl.col(c)).alias(c)
        for c, size in _SIZES.items()
    )
    counts = {
        "organisations named by the 2017 CORDIS list": int(names["name"].is_not_null().sum()),
        "2017 CORDIS list rows without a PIC (left out)": without_pic.height,
        "2017 CORDIS list cells repaired from a Mac Roman misreading": repaired,
        **{
            f"2017 CORDIS list {c}s too long for a profile (left empty)": n
            for c, n in too_long.items()
            if n
        },
    }
    return names, counts


def repair_text(text: str) -> str:
    """``text`` as written if it was UTF-8 read as Mac Roman ("Espa√±ola" → "Española"), else
    unchanged: only a round trip that gives valid UTF-8 is taken, so a correct accented text
    (which does not survive it) is kept as it is."""
    if text.isascii():
        return text
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
