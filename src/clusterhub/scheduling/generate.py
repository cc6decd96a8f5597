"""SYNTHETIC brokerage events as large as the biggest real ones, and a proven ceiling on them.

The research instances (Bofill et al.) have at most 78 participants; issue 13 asks for events of
1,000 participants and 10,000 accepted requests, which nobody publishes. ``generate`` builds
such an event from a seed, shaped like real brokerage events:

* **popularity is skewed**: every participant asks for meetings, but whom they ask is drawn
  with Pareto-distributed weights, so a few participants (the large company, the investor) are
  asked by a hundred others while most are asked a handful of times; a popular participant
  receives far more accepted requests than it has slots;
* **some meetings are bound to a session** (one of the two attends only the morning or only the
  afternoon);
* **a few participants are away for a few slots** (a talk to give, a train to catch);
* **mutual requests** (both asked) have priority, as the organiser's rules say.

Because popular participants and the table count oversubscribe the event, not every accepted
request can be scheduled: ``upper_bound`` gives a proven ceiling to measure a schedule against.
"""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import accumulate

from clusterhub.scheduling.instance import Instance, Meeting, Session


def generate(
    *,
    participants: int = 1000,
    requests: int = 10_000,
    morning_slots: int = 8,
    afternoon_slots: int = 8,
    tables: int = 100,
    seed: int = 0,
    pareto: float = 2.0,
    constrained: float = 0.15,
    away: float = 0.05,
    mutual: float = 0.1,
) -> Instance:
    """A SYNTHETIC event of ``participants`` with ``requests`` accepted meetings (distinct
    pairs), two sessions of ``morning_slots`` and ``afternoon_slots`` slots and ``tables``.

    ``pareto`` is the shape of the popularity weights (smaller: more skewed), ``constrained``
    the share of meetings bound to one session, ``away`` the share of participants unavailable
    for one to three slots, ``mutual`` the share of meetings both sides asked for (priority).
    The same arguments always give the same instance.
    """
    if participants < 2 or requests > participants * (participants - 1) // 2:
        raise ValueError(f"{requests} distinct pairs cannot be drawn from {participants} people")
    rng = random.Random(seed)
    people = list(range(1, participants + 1))
    popularity = list(accumulate(rng.paretovariate(pareto) for _ in people))
    pairs: set[tuple[int, int]] = set()
    ordered: list[tuple[int, int]] = []
    while len(ordered) < requests:
        asker = rng.choice(people)
        asked = rng.choices(people, cum_weights=popularity)[0]
        pair = (min(asker, asked), max(asker, asked))
        if asker != asked and pair not in pairs:
            pairs.add(pair)
            ordered.append((asker, asked))
    slots = morning_slots + afternoon_slots
    meetings = tuple(
        Meeting(
            asker,
            asked,
            session=_session(rng, constrained),
            priority=rng.random() < mutual,
        )
        for asker, asked in ordered
    )
    forbidden = tuple(
        frozenset(rng.sample(range(1, slots + 1), rng.randint(1, 3)))
        if rng.random() < away
        else frozenset()
        for _ in people
    )
    return Instance(
        participants=participants,
        tables=tables,
        slots=slots,
        morning_slots=morning_slots,
        meetings=meetings,
        forbidden=forbidden,
    )


def _session(rng: random.Random, constrained: float) -> Session:
    if rng.random() >= constrained:
        return "any"
    return "morning" if rng.random() < 0.5 else "afternoon"


def upper_bound(instance: Instance) -> int:
    """A proven upper bound on the meetings any schedule of ``instance`` can place.

    The least of three valid ceilings (precedences and fairness can only lower the true
    maximum, so they are ignored; fixed slots, sessions and availability are in
    ``allowed_slots``):

    1. **Placeable meetings**: a meeting with no allowed slot is never placed.
    2. **Per slot**: in slot ``s`` at most ``min(tables, |M_s|, ⌊|P_s| / 2⌋)`` meetings take
       place, where ``M_s`` are the meetings allowed in ``s`` and ``P_s`` the participants of
       those meetings: each meeting there takes a table and two different participants of
       ``P_s``, each of whom meets once per slot. A meeting takes one slot, so the sum over the
       slots bounds the total (at most ``tables × slots``).
    3. **Per participant** (a fractional b-matching): participant ``p`` takes part in at most
       ``c_p = min(d_p, a_p)`` placed meetings, ``d_p`` its placeable meetings and ``a_p`` the
       slots in which at least one of them is allowed (one meeting per slot). In the bipartite
       double cover (``p`` on the left and on the right, capacity ``c_p`` each, and for every
       placeable meeting of ``a`` and ``b`` the arcs ``a → b`` and ``b → a`` of capacity 1)
       every schedule is a flow of twice the meetings it places, so placed ≤ ⌊max flow / 2⌋.
       This is never above ``⌊Σ_p c_p / 2⌋`` and is lower where caps are uneven (a star of five
       meetings around one participant with three slots: 3, not ⌊(3 + 5) / 2⌋ = 4).
    """
    allowed = [instance.allowed_slots(m) for m in range(len(instance.meetings))]
    placeable = [m for m, slots in enumerate(allowed) if slots]
    in_slot: dict[int, int] = defaultdict(int)
    people_in_slot: dict[int, set[int]] = defaultdict(set)
    degree: dict[int, int] = defaultdict(int)
    slots_of: dict[int, set[int]] = defaultdict(set)
    for m in placeable:
        meeting = instance.meetings[m]
        for p in (meeting.first, meeting.second):
            degree[p] += 1
            slots_of[p].update(allowed[m])
        for s in allowed[m]:
            in_slot[s] += 1
            people_in_slot[s].update((meeting.first, meeting.second))
    per_slot = sum(
        min(instance.tables, count, len(people_in_slot[s]) // 2) for s, count in in_slot.items()
    )
    caps = {p: min(d, len(slots_of[p])) for p, d in degree.items()}
    pairs = [(instance.meetings[m].first, instance.meetings[m].second) for m in placeable]
    return min(len(placeable), per_slot, _double_cover_flow(caps, pairs) // 2)


def _double_cover_flow(caps: dict[int, int], pairs: list[tuple[int, int]]) -> int:
    """The max flow source → left p (cap ``caps[p]``) → right q (1 per meeting and direction)
    → sink (cap ``caps[q]``); OR-Tools' max flow, imported here (a few hundred ms)."""
    from ortools.graph.python import max_flow  # type: ignore[import-untyped]  # noqa: PLC0415

    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    left = {p: 2 + 2 * i for i, p in enumerate(caps)}
    for p, cap in caps.items():
        flow.add_arc_with_capacity(source, left[p], cap)
        flow.add_arc_with_capacity(left[p] + 1, sink, cap)
    for a, b in pairs:
        flow.add_arc_with_capacity(left[a], left[b] + 1, 1)
        flow.add_arc_with_capacity(left[b], left[a] + 1, 1)
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(flow.optimal_flow())
