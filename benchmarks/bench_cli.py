"""Time ``clusterhub --help`` (and some subcommands' ``--help``) against a bare Typer app's.

Run ``uv run python -m benchmarks.bench_cli [--runs 21] [--baseline-src DIR] [--write]``.

Method:

* **Work timed**: the wall clock of a whole process, from ``subprocess.run`` to its exit, with
  stdout discarded: interpreter start, imports, building the Typer command, printing the help.
  That is what a person waits for.
* **Yardstick**: ``benchmarks/bare_typer.py``, a Typer app with two commands and nothing else
  imported; its ``--help`` and its first command's ``--help`` (a subcommand's help loads a bit
  more of Typer).
* **clusterhub** runs as its console script does (``clusterhub.cli.main()``), from this
  checkout's ``src``; with ``--baseline-src DIR`` also from another checkout's ``src`` (for
  instance the commit before the CLI became lazy), with the same interpreter and libraries.
* **Repetitions**: every command runs ``--runs`` times, the commands taking turns within each
  round so that machine load hits all alike; medians (and the fastest run) are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_mapping import machine_facts, write_marked

SRC = Path(__file__).resolve().parents[1] / "src"
BARE = Path(__file__).resolve().with_name("bare_typer.py")
#: Helps a person asks for (arguments after ``clusterhub``).
HELPS = (
    ("--help",),
    ("complexity", "--help"),
    ("map", "--help"),
    ("scoreboard", "show", "--help"),
    ("directory", "import", "--help"),
)
_MAIN = "import sys; sys.path.insert(0, {src!r}); from clusterhub.cli import main; {argv} main()"


def _clusterhub(src: Path, args: tuple[str, ...]) -> list[str]:
    argv = f"sys.argv = ['clusterhub', *{list(args)!r}];"
    return [sys.executable, "-c", _MAIN.format(src=str(src), argv=argv)]


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=_env())
    return time.perf_counter() - start


def _env() -> dict[str, str]:
    # Same terminal width for all (Rich lays the help out for it), no colour codes.
    return {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def measure(runs: int, baseline: Path | None) -> dict[str, list[float]]:
    commands: dict[str, list[str]] = {
        "bare Typer app --help": [sys.executable, str(BARE), "--help"],
        "bare Typer app first --help": [sys.executable, str(BARE), "first", "--help"],
    }
    for args in HELPS:
        commands[f"clusterhub {' '.join(args)}"] = _clusterhub(SRC, args)
        if baseline is not None:
            commands[f"before: clusterhub {' '.join(args)}"] = _clusterhub(baseline, args)
    for command in commands.values():  # warm the file cache and byte-code once
        _seconds(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs):
        for name, command in commands.items():
            times[name].append(_seconds(command))
        print(f"round {round_ + 1}/{runs} done", flush=True)
    return times


def render(times: dict[str, list[float]], runs: int, baseline: Path | None) -> str:
    bare = statistics.median(times["bare Typer app --help"])
    bare_sub = statistics.median(times["bare Typer app first --help"])
    lines = [
        "## CLI start",
        "",
        f"Measured {dt.date.today().isoformat()} with `uv run python -m benchmarks.bench_cli "
        f"--runs {runs}{' --baseline-src DIR' if baseline else ''} --write`.",
        "",
        *[f"- **{k}**: {v}" for k, v in machine_facts().items()],
        f"- **load average** (1, 5, 15 min) when written: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work shared the machine)",
        "",
        "Wall clock of the whole process (interpreter start, imports, help printed to a "
        "discarded stdout), each command run "
        f"{runs} times, the commands taking turns in every round; medians compared. The "
        "yardstick is `benchmarks/bare_typer.py`, a Typer app with two commands and nothing "
        "else. clusterhub runs as its console script does (`clusterhub.cli.main()`). The "
        "ratio is against the bare app's `--help` for `clusterhub --help`, against its first "
        "command's `--help` for clusterhub's subcommands.",
        "",
        "| command | median (s) | fastest (s) | x bare Typer |",
        "|---|---|---|---|",
    ]
    for name, values in times.items():
        median = statistics.median(values)
        yardstick = bare if name.endswith(("app --help", "clusterhub --help")) else bare_sub
        lines.append(f"| `{name}` | {median:.3f} | {min(values):.3f} | {median / yardstick:.2f} |")
    if baseline is not None:
        lines += [
            "",
            "`before:` rows run the same commands from the checkout before the lazy CLI "
            "(every command module imported every layer: Polars, SQLAlchemy, Alembic, "
            "pydantic settings, openpyxl, ...) with the same interpreter and libraries.",
        ]
    lines += [
        "",
        "Why it is close to the yardstick: the command modules import Typer, Rich's console and "
        "the small word lists their help texts show (`stats/vocabulary.py`, "
        "`services/observatory/vocabulary.py`, `services/accounts/roles.py`); each command "
        "imports the layers it uses when it runs. `tests/cli/test_start.py` walks every "
        "command's `--help` in a fresh interpreter and fails if it loads a library a bare Typer "
        "app does not.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src directory")
    parser.add_argument("--write", action="store_true", help="record in BENCHMARKS.md")
    args = parser.parse_args(argv)
    times = measure(args.runs, args.baseline_src)
    text = render(times, args.runs, args.baseline_src)
    print(text)
    if args.write:
        write_marked(text, "cli")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
