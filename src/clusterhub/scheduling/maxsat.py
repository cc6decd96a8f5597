"""Core-guided MaxSAT (RC2, from python-sat) on the breaks: the prover CP-SAT's bounds lack.

The instance is encoded as weighted CNF: the hard constraints of ``model`` (exactly one slot
per meeting, at most one meeting per participant and slot, at most ``tables`` per slot,
precedences), the literature's implied constraint (a participant is busy in exactly as many
slots as it has meetings), ``later`` literals and one soft clause ``¬gap[p,s]`` per possible
break. RC2 raises a lower bound with each unsatisfiable core it relaxes and stops at the
optimum; the bound after each core is streamed back, so a run cut short still proves it.

RC2 cannot be interrupted from Python, so it runs in a child process (``python -m
clusterhub.scheduling.maxsat``, the instance pickled on its standard input, one JSON line per
bound and the slots on its output) that is stopped at the deadline. Every meeting must be
placed (research instances, or an event whose every meeting fits); the answer is re-checked by
the independent validator like any other.
"""

from __future__ import annotations

import json
import pickle
import selectors
import subprocess
import sys
import threading
import time

from pysat.card import CardEnc, EncType
from pysat.examples.rc2 import RC2
from pysat.formula import WCNF, IDPool

from clusterhub.scheduling.instance import Instance


class Prover:
    """RC2 running beside the caller in a child process for at most ``seconds``: ``bound`` is
    the best lower bound it has proven so far, ``slots`` the optimal schedule once it has
    finished; ``done`` once nothing more will come (finished, failed or out of time)."""

    def __init__(self, instance: Instance, seconds: float) -> None:
        self.until = time.perf_counter() + seconds
        self.bound = 0
        self.slots: list[int | None] | None = None
        self.done = False
        self._stopped = False
        self._lock = threading.Lock()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "clusterhub.scheduling.maxsat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write(pickle.dumps(instance))
        self._child.stdin.close()
        self._waiting = selectors.DefaultSelector()
        self._waiting.register(self._child.stdout, selectors.EVENT_READ)

    def wait(self, seconds: float) -> None:
        """Read what the child says until it is done or ``seconds`` have passed (0: only what
        is already there). Safe to call from a watcher thread."""
        until = min(time.perf_counter() + seconds, self.until)
        with self._lock:
            stdout = self._child.stdout
            assert stdout is not None
            while not self.done and self._waiting.select(max(until - time.perf_counter(), 0)):
                line = stdout.readline()
                if not line:
                    self.done = True
                    break
                kind, value = json.loads(line)
                if kind == "bound":
                    self.bound = max(self.bound, int(value))
                else:
                    self.slots, self.done = list(value), True
        if not self.done and time.perf_counter() >= self.until:
            self.stop()

    def stop(self) -> None:
        """End the child (it cannot be interrupted otherwise) and release its pipe."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = self.done = True
            self._child.kill()
            self._child.wait()
            self._waiting.close()
            if self._child.stdout is not None:
                self._child.stdout.close()


def prove(instance: Instance, seconds: float) -> Prover:
    """Run RC2 on ``instance`` for at most ``seconds`` (every meeting must be placed); the
    stopped prover keeps its ``bound`` and, when it finished, its ``slots``."""
    prover = Prover(instance, seconds)
    try:
        prover.wait(seconds)
    finally:
        prover.stop()
    return prover


def _run() -> None:
    """The child: read the instance, encode, solve, print each new bound and the slots."""
    instance = pickle.loads(sys.stdin.buffer.read())
    formula, x = encode(instance)

    def say(kind: str, value: object) -> None:
        print(json.dumps([kind, value]), flush=True)

    class _Reporting(RC2):  # type: ignore[misc]
        def process_core(self) -> None:
            super().process_core()
            say("bound", self.cost)

    with _Reporting(formula, solver="g4", adapt=True, exhaust=True, minz=True, trim=5) as rc2:
        model = rc2.compute()
        if model is None:
            return
        true = {v for v in model if v > 0}
        slots: list[int | None] = [None] * len(instance.meetings)
        for (m, s), var in x.items():
            if var in true:
                slots[m] = s
        say("bound", rc2.cost)
        say("slots", slots)


def encode(instance: Instance) -> tuple[WCNF, dict[tuple[int, int], int]]:
    """The weighted CNF of ``instance`` (every meeting placed) and its placement variables."""
    pool = IDPool()
    formula = WCNF()
    x = {
        (m, s): pool.id(("x", m, s))
        for m in range(len(instance.meetings))
        for s in instance.allowed_slots(m)
    }

    def hard(clauses: list[list[int]]) -> None:
        for clause in clauses:
            formula.append(clause)

    for m in range(len(instance.meetings)):
        row = [x[m, s] for s in instance.allowed_slots(m)]
        hard(CardEnc.equals(row, 1, vpool=pool, encoding=EncType.ladder).clauses)
    for slot in range(1, instance.slots + 1):
        here = [var for (m, s), var in x.items() if s == slot]
        if len(here) > instance.tables:
            hard(
                CardEnc.atmost(
                    here, instance.tables, vpool=pool, encoding=EncType.seqcounter
                ).clauses
            )
    for before, after in instance.precedences:
        for s in instance.allowed_slots(before):
            hard([[-x[before, s], -x[after, t]] for t in instance.allowed_slots(after) if t <= s])
    for participant, meetings in instance.by_participant.items():
        _participant(formula, pool, instance, x, participant=participant, meetings=meetings)
    return formula, x


def _participant(
    formula: WCNF,
    pool: IDPool,
    instance: Instance,
    x: dict[tuple[int, int], int],
    *,
    participant: int,
    meetings: list[int],
) -> None:
    """Busy literals (one meeting at most per slot, as many busy slots as meetings), the
    ``later`` chain and a soft clause against each possible break of one participant."""
    busy: dict[int, int] = {}
    for slot in range(1, instance.slots + 1):
        here = [x[m, slot] for m in meetings if (m, slot) in x]
        if not here:
            continue
        if len(here) > 1:
            for clause in CardEnc.atmost(here, 1, vpool=pool, encoding=EncType.ladder).clauses:
                formula.append(clause)
        literal = busy[slot] = pool.id(("busy", participant, slot))
        formula.append([-literal, *here])
        for var in here:
            formula.append([-var, literal])
    if len(busy) > len(meetings):
        exact = CardEnc.equals(
            list(busy.values()), len(meetings), vpool=pool, encoding=EncType.seqcounter
        )
        for clause in exact.clauses:
            formula.append(clause)
    if len(meetings) < 2:
        return
    slots = sorted(busy)
    later: dict[int, int] = {slots[-1]: busy[slots[-1]]}
    for index in range(len(slots) - 2, -1, -1):
        slot, following = slots[index], later[slots[index + 1]]
        literal = later[slot] = pool.id(("later", participant, slot))
        formula.extend(
            [[-literal, busy[slot], following], [-busy[slot], literal], [-following, literal]]
        )
    for slot in slots:
        after = next((later[s] for s in slots if s >= slot + 2), None)
        if after is None:
            continue
        gap = pool.id(("gap", participant, slot))
        clause = [-busy[slot], -after, gap]
        if slot + 1 in busy:
            clause.append(busy[slot + 1])
        formula.append(clause)
        formula.append([-gap], weight=1)


if __name__ == "__main__":
    _run()
