"""What every form of the site shares: one list convention and problems named by field labels.

Lists come in two kinds, each entered one way on every form:

* **coded lists** (countries, languages, cluster categories) are a native ``<select multiple>``
  that ``static/picker.js`` turns into a searchable picker (type to filter, tap to add, chips
  to remove); without JavaScript the native control still works;
* **free-text lists** (keywords, technologies, NACE codes) are typed with entries separated by
  commas or new lines (a semicolon, as in import files, works too).

A problem from the services names a field by its data name (``keywords.2``); the form shows it
next to its input and in the summary at the top, as "Label: what was wrong; what is expected",
with the value that was entered, so the summary reads on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clusterhub.errors import Problem

LIST_HINT = "Separate entries with commas or new lines."
PICKER_HINT = "Type to filter the list, then choose; choose as many as apply."
_LIST_SPLIT = re.compile(r"[,;\n]")


def split_list(text: str) -> list[str]:
    """A free-text list as typed: entries separated by commas, semicolons or new lines."""
    return [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]


def labelled(problems: list[Problem], labels: Mapping[str, str]) -> list[Problem]:
    """Problems pointed at the form's inputs (``keywords.2`` is the ``keywords`` input) and
    worded with the field's label and the value entered, in the order of the form's fields
    (``labels``' order); a problem of no known field comes first, keeps its text and links
    nowhere. A password is never repeated back."""
    order = {name: index for index, name in enumerate(labels)}
    result = []
    for problem in sorted(problems, key=lambda p: order.get((p.field or "").split(".")[0], -1)):
        name = (problem.field or "").split(".")[0]
        label = labels.get(name)
        if label is None:
            result.append(Problem(problem.message, value=problem.value))
            continue
        text = problem.message
        if text[:1].isupper() and text[1:2].islower():  # "The part after @…" follows a colon
            text = text[0].lower() + text[1:]
        # "Latitude is too large: …", "Website: expected a web address …"
        message = f"{label} {text}" if text.startswith("is ") else f"{label}: {text}"
        if problem.value and problem.value not in problem.message and "password" not in name:
            message = f"{message.rstrip('.')} (you entered “{problem.value}”)"
        result.append(Problem(message, field=name, value=problem.value))
    return result
