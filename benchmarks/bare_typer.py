"""The yardstick of ``benchmarks.bench_cli``: a bare Typer app, as small as Typer apps come.

Two commands with a few typed options, nothing imported but Typer; ``--help`` of it and of its
first command is what any Typer CLI pays at least.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="A bare Typer app.", no_args_is_help=True)


@app.command()
def first(
    out: Annotated[Path, typer.Option(help="Output file.")],
    count: Annotated[int, typer.Option(min=1, help="How many.")] = 1,
    name: Annotated[str, typer.Option(help="A name.")] = "x",
) -> None:
    """A command."""


@app.command()
def second() -> None:
    """Another command."""


if __name__ == "__main__":
    app()
