"""The ``clusterhub`` command: a Typer root that gathers the command groups.

``clusterhub --help`` must cost about what a bare Typer app's costs, so the command modules
import only Typer, Rich's console and small word lists (``stats.vocabulary``,
``services.observatory.vocabulary``, ``services.accounts.roles``) when the CLI starts; each
command imports the layers it uses (Polars, SQLAlchemy, ...) when it runs.
``tests/cli/test_start.py`` checks that nothing heavy is loaded by ``--help``.
"""

from __future__ import annotations

import typer

from clusterhub.cli import (
    accounts,
    backup,
    complexity,
    data,
    directory,
    events,
    observatory,
    recommend,
    registers,
    relatedness,
    s3,
    scoreboard,
    serve,
)
from clusterhub.cli._console import print_error
from clusterhub.errors import ClusterhubError

app = typer.Typer(
    name="clusterhub",
    help="Cluster intelligence and collaboration: map, rate and compare regional clusters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
observatory.register(app)
app.add_typer(data.app, name="data")
app.add_typer(accounts.app, name="users")
app.add_typer(directory.app, name="directory")
app.add_typer(scoreboard.app, name="scoreboard")
app.add_typer(events.app, name="events")
app.add_typer(recommend.app, name="recommend")
app.add_typer(s3.app, name="s3")
app.command("serve")(serve.serve_command)
app.command("complexity")(complexity.complexity_command)
app.command("register")(registers.register_command)
relatedness.register(app)
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)


def main() -> None:
    """Console-script entry point: errors raised outside a command's own handling, such as
    refused settings, are printed as one readable message instead of a traceback."""
    try:
        app()
    except ClusterhubError as exc:
        raise SystemExit(print_error(exc)) from None
