"""Problems of one input: the first few kept, all counted."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from clusterhub.errors import MAX_PROBLEMS, InvalidInput, Problem


class ProblemList:
    """Problems of one input: the first ``limit`` kept, every one counted.

    A file with a million bad rows must neither hold a million ``Problem`` objects nor answer
    with a message listing them all: the count says how bad it is, the first ones where to look.
    """

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def room(self) -> int:
        """How many more problems would be kept."""
        return self.limit - len(self.kept)

    def append(self, problem: Problem) -> None:
        """Count ``problem``, and keep it while there is room."""
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem], total: int | None = None) -> None:
        """Count and keep ``problems``. With ``total`` (how many there are, such as a frame's
        height) at most ``room`` are taken from ``problems``, so a lazy iterable over a million
        rows is read only as far as needed."""
        if total is None:
            for problem in problems:
                self.append(problem)
            return
        self.kept.extend(islice(problems, self.room))
        self.total += total

    def error(self, summary: str) -> InvalidInput:
        """The ``InvalidInput`` of these problems; ``summary`` is followed by their count."""
        count = f"{self.total:,} problem{'' if self.total == 1 else 's'}"
        if self.total > len(self.kept):
            count += f"; the first {len(self.kept)} are listed"
        return InvalidInput(list(self.kept), summary=f"{summary} ({count})", total=self.total)

    def raise_if_any(self, summary: str) -> None:
        """Refuse the input with every problem recorded, if there is one."""
        if self:
            raise self.error(summary)
