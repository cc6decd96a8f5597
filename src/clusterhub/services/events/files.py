"""Events described in files, for the operator's command line (``clusterhub events create``).

The YAML format is ``EventInput``'s fields (docs/reference/events.md), except that the
organiser may be named by its directory key (``organiser: cmp:1234``) instead of its id. Every
problem names the file and the line of the top-level key it concerns.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clusterhub.errors import InvalidInput
from clusterhub.input_files import load_yaml
from clusterhub.services.audit import Actor
from clusterhub.services.events.events import EventPublic, create_event_as_operator
from clusterhub.store.models import Organisation


def _key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key of a YAML mapping."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if found:
            lines.setdefault(found.group(1), number)
    return lines


def create_event_from_file(session: Session, *, by: Actor, path: Path) -> EventPublic:
    """Create the draft event ``path`` describes, or ``InvalidInput`` naming file and line."""
    name = str(path)
    document = load_yaml(path, expected="a mapping describing one event")
    if not isinstance(document, dict):
        raise InvalidInput.single("the file must hold a mapping of the event's fields",
                                  file=name, line=1)  # fmt: skip
    lines = _key_lines(path.read_text(encoding="utf-8-sig"))
    data = dict(document)
    key = data.pop("organiser", None)
    if key is not None:
        found = session.scalar(select(Organisation.id).where(Organisation.key == str(key)))
        if found is None:
            raise InvalidInput.single("no directory profile with this key", file=name,
                                      line=lines.get("organiser"), field="organiser",
                                      value=str(key))  # fmt: skip
        data["organiser_id"] = found
    try:
        return create_event_as_operator(session, by=by, data=data)
    except InvalidInput as error:
        located = [replace(p, file=name, line=lines.get((p.field or "").split(".")[0]
                                                        .split("[")[0]))
                   for p in error.problems]  # fmt: skip
        raise InvalidInput(located, summary=error.summary, total=error.total) from None
