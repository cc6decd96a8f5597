"""``clusterhub events``: matchmaking events; ``events solve`` is the research interface.

The operator's commands (``create``, ``import-participants``, ``schedule``, ``export``,
``expire``, ``followups``) act on the
configured database as ``cli:<OS user>``, each in one transaction.

``clusterhub events solve INSTANCE.dzn --time-limit 60 --out schedule.json`` schedules one
MiniZinc instance of the B2B benchmark (Bofill et al., JAIR 2022) and writes the answer with
meetings, slots and tables numbered from 1 as in the file. OR-Tools is imported only when a
schedule is solved, so ``clusterhub --help`` stays fast.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli._console import console, friendly_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from clusterhub.config import Settings
    from clusterhub.scheduling.research import Solved

app = typer.Typer(help="Matchmaking events: B2B meeting scheduling.", no_args_is_help=True)


@app.command("solve")
def solve_command(
    instance: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="MiniZinc data file (.dzn) in the layout of the B2B scheduling benchmark.",
        ),
    ],
    out: Annotated[Path, typer.Option(help="Where to write the schedule (JSON).")],
    time_limit: Annotated[
        float, typer.Option(min=0.1, help="Seconds the solver may search, all phases together.")
    ] = 60.0,
    fairness: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Largest allowed difference between participants' breaks (the literature "
            "uses 2); none by default.",
        ),
    ] = None,
    greedy: Annotated[
        bool, typer.Option(help="Greedy first-fit (the self-booking baseline) instead.")
    ] = False,
) -> None:
    """Schedule every meeting of INSTANCE with as few breaks as possible, proven optimal when
    the time allows.

    Writes {"status", "breaks", "bound", "seconds", "meetings": [{"meeting", "slot",
    "table"}]} numbered from 1 as in the file, plus "scheduled", "gap", "solver" and
    "unscheduled" (each left-out meeting with its reason), and for a proven infeasible
    instance "why_infeasible" (a reason a person can check). The schedule is re-checked by the
    independent validator before it is written.
    """
    from clusterhub.scheduling.research import solve_file

    with friendly_errors():
        with console.status(f"Scheduling {instance.name}"):
            solved = solve_file(instance, time_limit=time_limit, fairness=fairness, greedy=greedy)
        out.write_text(json.dumps(solved.answer, indent=1) + "\n", encoding="utf-8")
    _summary(solved, out)


def _summary(solved: Solved, out: Path) -> None:
    answer = solved.answer
    total = len(solved.instance.meetings)
    colour = {"optimal": "green", "feasible": "yellow"}.get(answer["status"], "red")
    console.print(
        f"[{colour}]{answer['status']}[/]: {answer['scheduled']} of {total} meetings, "
        f"{answer['breaks']} breaks (bound {answer['bound']}, gap {answer['gap']:.1%}), "
        f"{answer['seconds']:.1f} s, {answer['solver']}",
        highlight=False,
    )
    if answer.get("why_infeasible"):
        console.print(f"  no schedule exists: {answer['why_infeasible']}", highlight=False)
    for row in answer["unscheduled"][:5]:
        console.print(f"  meeting {row['meeting']} unscheduled: {row['reason']}", highlight=False)
    if len(answer["unscheduled"]) > 5:
        console.print(f"  ... and {len(answer['unscheduled']) - 5} more (see the file)")
    console.print(f"[green]wrote[/] {out}", highlight=False)


def _mailing_factory(engine: Engine, settings: Settings) -> sessionmaker[Session]:
    """Sessions that mail event notifications as the server does (``CLUSTERHUB_MAIL_*``)."""
    from clusterhub.services.events import notify
    from clusterhub.store.db import make_session_factory

    factory = make_session_factory(engine)
    notify.mail_with(factory, notify.Mailing.from_settings(settings))
    return factory


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on the configured database (migrated first)."""
    from clusterhub.config import get_settings
    from clusterhub.store.db import make_engine, transaction, upgrade

    settings = get_settings()
    engine = make_engine(settings)
    upgrade(engine)
    try:
        with transaction(_mailing_factory(engine, settings)) as session:
            yield session
    finally:
        engine.dispose()


@app.command("create")
def create_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="YAML file: the event, its sessions and tables.",
        ),
    ],
) -> None:
    """Create a draft event (with sessions and tables) from a YAML file; prints its id."""
    from clusterhub.services.audit import Actor
    from clusterhub.services.events.files import create_event_from_file

    with friendly_errors(), _session() as session:
        event = create_event_from_file(session, by=Actor.command_line(), path=file)
    console.print(f"[green]created[/] event {event.id} “{event.title}”", highlight=False)


@app.command("import-participants")
def import_participants_command(
    event_id: Annotated[int, typer.Argument(help="The event's id.")],
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV: email, organisation (directory key), participant_type, offer, seek.",
        ),
    ],
) -> None:
    """Register the listed accounts for a draft or published event: all rows or none."""
    from clusterhub.services.audit import Actor
    from clusterhub.services.events.files import import_participants

    with friendly_errors(), _session() as session:
        count = import_participants(session, by=Actor.command_line(), event_id=event_id,
                                    path=file)  # fmt: skip
    console.print(f"[green]registered[/] {count} participants", highlight=False)


@app.command("schedule")
def schedule_command(
    event_id: Annotated[int, typer.Argument(help="The event's id.")],
    time_limit: Annotated[
        float, typer.Option(min=0.1, help="Seconds the solver may search, all phases together.")
    ] = 60.0,
    fairness: Annotated[
        int | None,
        typer.Option(min=0, help="Largest allowed difference between participants' breaks."),
    ] = None,
) -> None:
    """Schedule the event's accepted meetings and publish the agendas (as the operator)."""
    from clusterhub.config import get_settings
    from clusterhub.services.audit import Actor
    from clusterhub.services.events.agenda import run_schedule
    from clusterhub.store.db import make_engine, upgrade

    settings = get_settings()
    engine = make_engine(settings)
    upgrade(engine)
    try:
        with friendly_errors(), console.status(f"Scheduling event {event_id}"):
            run = run_schedule(_mailing_factory(engine, settings), actor=Actor.command_line(),
                               event_id=event_id, time_limit=time_limit,
                               fairness=fairness)  # fmt: skip
    finally:
        engine.dispose()
    colour = {"optimal": "green", "feasible": "yellow"}.get(run.status, "red")
    console.print(f"[{colour}]{run.status}[/]: {run.scheduled} of {run.meetings} meetings, "
                  f"{run.breaks} breaks, {run.seconds:.1f} s (run {run.id})",
                  highlight=False)  # fmt: skip


@app.command("export")
def export_command(
    event_id: Annotated[int, typer.Argument(help="The event's id.")],
    out: Annotated[Path, typer.Option(help="Where to write: a .json or .csv file.")],
) -> None:
    """Write the event's scheduled meetings with slots, tables and times (UTC and local)."""
    from clusterhub.errors import InvalidInput
    from clusterhub.services.events.export import COLUMNS, scheduled_meetings

    with friendly_errors():
        if out.suffix.lower() not in (".json", ".csv"):
            raise InvalidInput.single("the file must end in .json or .csv", field="out",
                                      value=str(out))  # fmt: skip
        with _session() as session:
            rows = [m.row() for m in scheduled_meetings(session, event_id=event_id)]
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps({"event_id": event_id, "meetings": rows}, indent=1) + "\n",
                       encoding="utf-8")  # fmt: skip
    else:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    console.print(f"[green]wrote[/] {len(rows)} meetings to {out}", highlight=False)


@app.command("expire")
def expire_command() -> None:
    """Expire every meeting request left unanswered past its time (and tell the senders)."""
    from clusterhub.services.events.requests import expire_due

    with friendly_errors(), _session() as session:
        count = expire_due(session)
    console.print(f"expired {count} requests", highlight=False)


@app.command("followups")
def followups_command() -> None:
    """Ask every due follow-up question (end of event, six months on) in the app and by mail."""
    from clusterhub.services.events.followup import ask_due

    with friendly_errors(), _session() as session:
        asked = ask_due(session)
    people = len({d.user_id for d in asked})
    console.print(f"asked {len(asked)} follow-up questions of {people} participants",
                  highlight=False)  # fmt: skip


@app.command("demo")
def demo_command(
    remove: Annotated[
        bool, typer.Option("--remove", help="Delete the demo event and its synthetic accounts.")
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option("--admin", metavar="EMAIL", help="Let this existing account manage it."),
    ] = None,
) -> None:
    """Build the SYNTHETIC demo event (first start builds it too), remove it, or let an
    account manage it to see its desk, dashboard and table plan."""
    from clusterhub.services.audit import Actor
    from clusterhub.services.events import demo

    with friendly_errors(), _session() as session:
        if remove:
            gone = demo.remove_demo_event(session, by=Actor.command_line())
            console.print("[green]removed[/] the demo event" if gone else "no demo event")
            return
        if admin is not None:
            admins = demo.add_demo_admin(session, email=admin, by=Actor.command_line())
            console.print(f"[green]event admins:[/] {', '.join(admins)}", highlight=False)
            return
        with console.status("Building the synthetic demo event"):
            report = demo.build_demo_event(session)
    if report is None:
        console.print("the demo event exists already, or the synthetic directory profiles are "
                      "missing (clusterhub directory demo)")  # fmt: skip
        return
    console.print(f"[green]built[/] demo event {report.event_id}: {report.participants} "
                  f"participants, {report.requests} requests, {report.scheduled} of "
                  f"{report.meetings} meetings scheduled, {report.held} held, "
                  f"{report.answers} follow-up answers", highlight=False)  # fmt: skip
