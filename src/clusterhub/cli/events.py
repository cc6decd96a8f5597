"""``clusterhub events``: matchmaking events; ``events solve`` is the research interface.

``clusterhub events solve INSTANCE.dzn --time-limit 60 --out schedule.json`` schedules one
MiniZinc instance of the B2B benchmark (Bofill et al., JAIR 2022) and writes the answer with
meetings, slots and tables numbered from 1 as in the file. OR-Tools is imported only when a
schedule is solved, so ``clusterhub --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli._console import console, friendly_errors

if TYPE_CHECKING:
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
    "unscheduled" (each left-out meeting with its reason). The schedule is re-checked by the
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
    for row in answer["unscheduled"][:5]:
        console.print(f"  meeting {row['meeting']} unscheduled: {row['reason']}", highlight=False)
    if len(answer["unscheduled"]) > 5:
        console.print(f"  ... and {len(answer['unscheduled']) - 5} more (see the file)")
    console.print(f"[green]wrote[/] {out}", highlight=False)
