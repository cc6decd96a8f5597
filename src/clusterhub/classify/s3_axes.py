"""The Eye@RIS3 axes that are small fixed vocabularies: scientific domains (OECD Fields of
Science 2007) and policy objectives, shipped in ``data/s3/vocabularies.yaml``.

The third axis, economic domains, is NACE Rev.2 (``classify.nace``). A file or a person may
name an entry by its code (``2.3``, ``kets``) or its name (``Mechanical engineering``, any
case); :meth:`Vocabulary.normalise` gives the code either way, or refuses with the close
matches, so a typo never becomes a new category.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from clusterhub.errors import InvalidInput, Problem
from clusterhub.input_files import load_yaml

VOCABULARIES_PATH = Path(__file__).resolve().parents[1] / "data" / "s3" / "vocabularies.yaml"
#: The document's keys of the two vocabularies.
FIELDS_OF_SCIENCE, POLICY_OBJECTIVES = "fields_of_science", "policy_objectives"


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A code list: ``entries`` maps each code to its name, in the file's order."""

    key: str
    title: str
    entries: dict[str, str]
    _by_name: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_name = {name.casefold(): code for code, name in self.entries.items()}
        object.__setattr__(self, "_by_name", by_name)

    def normalise(self, value: str) -> str:
        """The code of ``value`` (a code or a name, any case).

        Raises
        ------
        InvalidInput
            If it is neither; the message names the vocabulary and the nearest entries.
        """
        text = value.strip()
        if text in self.entries:
            return text
        code = self._by_name.get(text.casefold())
        if code is not None:
            return code
        names = list(self.entries.values())
        close = difflib.get_close_matches(text, names + list(self.entries), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InvalidInput.single(
            f"not in {self.title}; expected a code or name of it{hint}",
            field=self.key,
            value=value,
        )

    def name(self, code: str) -> str:
        """The name of ``code`` (a code or name is accepted, as by :meth:`normalise`)."""
        return self.entries[self.normalise(code)]


@dataclass(frozen=True)
class S3Vocabularies:
    """Both vocabularies."""

    fields_of_science: Vocabulary
    policy_objectives: Vocabulary


_TITLES = {
    FIELDS_OF_SCIENCE: "the OECD Fields of Science (FOS 2007)",
    POLICY_OBJECTIVES: "the Eye@RIS3 policy objectives",
}


def load_vocabularies(path: Path = VOCABULARIES_PATH) -> S3Vocabularies:
    """Read both vocabularies; ``InvalidInput`` lists every entry without a code and name, and
    every repeated code or name."""
    name = str(path)
    document = load_yaml(path, expected="a mapping of the S3 vocabularies")
    problems: list[Problem] = []
    read: dict[str, Vocabulary] = {}
    for key, title in _TITLES.items():
        raw = document.get(key) if isinstance(document, dict) else None
        if not isinstance(raw, list) or not raw:
            problems.append(Problem("expected a non-empty list of {code, name}", name, field=key))
            continue
        entries: dict[str, str] = {}
        for index, item in enumerate(raw):
            where = f"{key}[{index}]"
            code = str(item.get("code", "")).strip() if isinstance(item, dict) else ""
            label = str(item.get("name", "")).strip() if isinstance(item, dict) else ""
            if not code or not label:
                problems.append(Problem("expected a code and a name", name, field=where))
            elif code in entries or label.casefold() in {n.casefold() for n in entries.values()}:
                problems.append(Problem("code or name repeated", name, field=where, value=code))
            else:
                entries[code] = label
        read[key] = Vocabulary(key, title, entries)
    if problems:
        raise InvalidInput(problems, summary=f"{name}: not usable S3 vocabularies")
    return S3Vocabularies(read[FIELDS_OF_SCIENCE], read[POLICY_OBJECTIVES])


@cache
def default_vocabularies() -> S3Vocabularies:
    """The shipped vocabularies, read once per process."""
    return load_vocabularies()
