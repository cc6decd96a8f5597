"""A small SYNTHETIC collaboration world with a known structure, for recommender tests.

Four communities of 60 organisations (each its own programme part, mostly two countries) form
projects every year from 2014 to 2020: three to six members drawn from one community, the
already active ones more often, and one project in ten mixes two communities. So the right
answer to "who will this organisation work with next" is known: mostly its own community.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from clusterhub.services.recommend.collaborations import Collaborations, from_frames

COMMUNITIES, SIZE = 4, 60
YEARS = range(2014, 2021)
PROJECTS_PER_COMMUNITY = 10
TYPES = ("HES", "REC", "PRC", "PRC", "PUB")
COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT")


def community_of(org: str) -> int:
    """The community an organisation of the world belongs to."""
    return int(org.split("-", maxsplit=1)[0][1:])


def world(seed: int = 0) -> Collaborations:
    """The world's participations and programme parts."""
    rng = np.random.default_rng(seed)
    orgs = [f"c{c}-o{i:02d}" for c in range(COMMUNITIES) for i in range(SIZE)]
    activity = np.ones(len(orgs))
    rows, parts = [], []
    project = 1000
    for year in YEARS:
        for community in range(COMMUNITIES):
            for _ in range(PROJECTS_PER_COMMUNITY):
                project += 1
                pool = list(range(community * SIZE, (community + 1) * SIZE))
                if rng.random() < 0.1:
                    other = (community + 1 + rng.integers(COMMUNITIES - 1)) % COMMUNITIES
                    pool += list(range(other * SIZE, (other + 1) * SIZE))
                weights = activity[pool] / activity[pool].sum()
                size = int(rng.integers(3, 7))
                members = rng.choice(pool, size=size, replace=False, p=weights)
                activity[members] += 1
                parts.append({"project": project, "part": f"P{community}"})
                rows += [
                    {
                        "project": project,
                        "org": orgs[m],
                        "year": year,
                        "type": TYPES[m % len(TYPES)],
                        "country": COUNTRIES[2 * (m // SIZE) + m % 2],
                    }
                    for m in members
                ]
    return from_frames(pl.DataFrame(rows), pl.DataFrame(parts))
