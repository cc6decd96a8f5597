"""``clusterhub users``: accounts from the command line (the first site admin); domain: accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterhub.cli._console import choice, console, friendly_errors
from clusterhub.services.accounts.roles import Role

app = typer.Typer(help="Create accounts (e.g. the first site admin) on the configured database.")
ROLES = tuple(role.value for role in Role)


@app.command("create")
def create_command(
    email: Annotated[str, typer.Argument(help="E-mail address of the account.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "Administrator",
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "site_admin",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="CLUSTERHUB_NEW_PASSWORD",
            help="Asked for when not given (or read from CLUSTERHUB_NEW_PASSWORD).",
        ),
    ] = "",
) -> None:
    """Create an account with a role; the audit log records it as done by cli:<OS user>."""
    from clusterhub.config import get_settings
    from clusterhub.services.accounts.users import create_user
    from clusterhub.services.audit import Actor
    from clusterhub.store.db import make_engine, make_session_factory, transaction, upgrade

    settings = get_settings()
    with friendly_errors():
        engine = make_engine(settings)
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            user = create_user(
                session,
                email=email,
                display_name=name,
                password=password,
                role=Role(choice(role, ROLES, "role")),
                by=Actor.command_line(),
            )
        console.print(f"[green]created[/] {user.email} ({user.role.value}), id {user.id}")
