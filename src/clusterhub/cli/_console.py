"""Shared console plumbing: Rich output, friendly errors, download progress bars.

Imported by every command module when ``clusterhub`` starts, so it imports only what a bare
Typer app loads anyway (Rich's console); settings, reference data and progress bars are
imported when a command uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from clusterhub.errors import ClusterhubError, InvalidInput

if TYPE_CHECKING:
    from rich.progress import Progress

    from clusterhub.config import Settings
    from clusterhub.datasets import ProgressCallback
    from clusterhub.services.reference import ReferenceData

console = Console()
errors = Console(stderr=True)

#: Exit codes: 1 for input the user can fix, 2 for something not found / unavailable.
EXIT_INVALID = 1
EXIT_UNAVAILABLE = 2


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn domain errors into a clear message and an exit code, never a traceback."""
    try:
        yield
    except ClusterhubError as exc:
        raise typer.Exit(print_error(exc)) from None


def print_error(exc: ClusterhubError) -> int:
    """Print ``exc`` for people (its text is not read as Rich markup); its exit code.

    Soft wrap leaves line breaking to the terminal, so a file path in the message stays one
    piece that can be copied (and searched for) whatever the console width.
    """
    errors.print(
        "[bold red]error:[/]", escape(str(exc)), markup=True, highlight=False, soft_wrap=True
    )
    return EXIT_INVALID if isinstance(exc, InvalidInput) else EXIT_UNAVAILABLE


@contextmanager
def reference_data(settings: Settings | None = None) -> Iterator[ReferenceData]:
    """Reference data whose downloads show a progress bar on the error console."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from clusterhub.config import get_settings
    from clusterhub.services.reference import ReferenceData

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        yield ReferenceData(settings or get_settings(), progress=_bar_callback(bar))


def _bar_callback(bar: Progress) -> ProgressCallback:
    from rich.progress import TaskID

    task: list[TaskID] = []

    def update(done: int, total: int | None) -> None:
        if not task:
            task.append(bar.add_task("downloading", total=total))
        bar.update(task[0], completed=done, total=total)

    return update


@contextmanager
def step_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich bar over the named steps of a long job: ``update(step, done, total)``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        yield update


Choice = TypeVar("Choice", bound=str)


def choice(value: str, allowed: Sequence[Choice], field: str) -> Choice:
    """The allowed option equal to ``value``, typed as the option set; else a clear error."""
    for option in allowed:
        if value == option:
            return option
    raise InvalidInput.single(f"expected one of {', '.join(allowed)}", field=field, value=value)
