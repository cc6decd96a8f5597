"""Domain errors: every layer raises these, and only the faces translate them for people.

Bad input must be reported with *where* it is (file, line, field) and *what was expected*,
so the errors carry those as structured fields rather than only a formatted message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Problems an ``InvalidInput`` lists; beyond them problems are only counted (``total``), so a
#: file with a million bad rows can neither exhaust memory nor produce a huge error message.
MAX_PROBLEMS = 200
#: Characters of a problem's value that are kept (a cell may hold a megabyte).
MAX_VALUE_CHARS = 200


class ClusterhubError(Exception):
    """Base of every error clusterhub raises on purpose."""


class NotFound(ClusterhubError):
    """A code, record or file that was asked for does not exist."""


class Conflict(ClusterhubError):
    """A write that would contradict what is already stored.

    ``details`` says what the writer needs to resolve it (e.g. the current version of a record
    edited concurrently); the web shows it in the error body.
    """

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details


class PermissionDenied(ClusterhubError):
    """The user is known but may not do this (not logged in, wrong role, not the owner)."""


class NotAuthenticated(PermissionDenied):
    """The action needs a logged-in user."""


@dataclass(frozen=True)
class Problem:
    """One defect in an input: where it is and what was expected there."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and len(self.value) > MAX_VALUE_CHARS:
            object.__setattr__(self, "value", self.value[:MAX_VALUE_CHARS] + "…")

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        parts = [where] if where else []
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass
class InvalidInput(ClusterhubError):
    """Input that cannot be used as it is; lists every problem found, not only the first.

    At most ``MAX_PROBLEMS`` are listed; ``total`` counts them all (readers collect them with
    ``input_files.ProblemList``, which never holds more than it lists).
    """

    problems: list[Problem] = field(default_factory=list)
    summary: str = "invalid input"
    total: int = 0

    def __post_init__(self) -> None:
        self.total = max(self.total, len(self.problems))
        self.problems = self.problems[:MAX_PROBLEMS]
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = [f"  - {p}" for p in self.problems[:20]]
        more = self.total - len(shown)
        if more > 0:
            shown.append(f"  ... and {more} more")
        return "\n".join([self.summary, *shown]) if shown else self.summary

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> InvalidInput:
        """One-problem shorthand, so call sites stay short."""
        problem = Problem(message, file=file, line=line, field=field, value=value)
        return cls([problem], summary=str(problem))


#: pydantic's error types in words a person filling a form understands: what is expected.
#: ``{name}`` is filled from the error's context (limits, allowed values).
PLAIN_MESSAGES = {
    "missing": "is required; please fill it in",
    "string_too_short": "is required; please fill it in",
    "string_too_long": "is too long: at most {max_length} characters",
    "too_long": "has too many entries: at most {max_length}",
    "int_parsing": "expected a whole number, such as 12",
    "int_from_float": "expected a whole number, such as 12 (no decimals)",
    "int_type": "expected a whole number, such as 12",
    "float_parsing": "expected a number, such as 12 or 2.5 (a point for decimals)",
    "float_type": "expected a number, such as 12 or 2.5",
    "greater_than_equal": "is too small: expected {ge} or more",
    "greater_than": "is too small: expected more than {gt}",
    "less_than_equal": "is too large: expected {le} or less",
    "less_than": "is too large: expected less than {lt}",
    "date_from_datetime_parsing": "expected a date written as YYYY-MM-DD, such as 2027-06-30",
    "date_parsing": "expected a date written as YYYY-MM-DD, such as 2027-06-30",
    "date_type": "expected a date written as YYYY-MM-DD, such as 2027-06-30",
    "enum": "expected one of: {expected}",
    "literal_error": "expected one of: {expected}",
    "string_pattern_mismatch": "has characters or a form that is not allowed here",
    "extra_forbidden": "is not a field we know",
    "list_type": "expected a list",
    "string_type": "expected text",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in plain words.

    pydantic's own texts ("Input should be a valid integer, unable to parse string as an
    integer") name a type, not what to type; people read these in forms and import reports.
    A validator's own ``ValueError`` text is kept, without pydantic's "Value error, " prefix.
    """
    kind = str(error.get("type"))
    if error.get("input", "") is None and kind.endswith("_type"):
        kind = "missing"  # a form's empty box arrives as "not stated"
    template = PLAIN_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    context = {
        key: int(value) if isinstance(value, float) and value.is_integer() else value
        for key, value in (error.get("ctx") or {}).items()
    }
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return str(error.get("msg", "is not valid"))


def validation_problems(
    errors: Iterable[Mapping[str, Any]], *, file: str | None = None, line: int | None = None
) -> list[Problem]:
    """pydantic's errors as problems, each naming its field and saying what was expected."""
    problems = []
    for error in errors:
        value = error.get("input")
        shown = None if value is None or isinstance(value, dict) else str(value)[:80]
        where = ".".join(str(part) for part in error.get("loc", ())) or None
        problems.append(Problem(plain_message(error), file, line, where, shown))
    return problems


class DataSourceError(ClusterhubError):
    """A data set could not be fetched or found in the cache or mirror."""


class Unavailable(ClusterhubError):
    """Something needed is busy for the moment (the database is taken by another writer, every
    connection is in use): the same request will work if sent again in ``retry_after`` seconds.

    The web answers 503 with a ``Retry-After`` header, the command line says to try again;
    neither is a crash, and nothing was written.
    """

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(ClusterhubError):
    """Too many attempts (failed logins by default) for this key; try again after
    ``retry_after`` seconds. ``what`` and ``advice`` word the message for other limits."""

    def __init__(
        self,
        retry_after: int,
        *,
        what: str = "failed log-in attempts",
        advice: str = ", or reset your password",
    ) -> None:
        self.retry_after = max(1, retry_after)
        minutes = -(-self.retry_after // 60)
        super().__init__(
            f"Too many {what}. Try again in {minutes} minute{'s' if minutes != 1 else ''}{advice}."
        )
