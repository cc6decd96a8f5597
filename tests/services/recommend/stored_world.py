"""The synthetic world of ``world.py`` written to a platform database, as a CORDIS import
would write it: profiles keyed ``world:…``, projects with start dates and programme parts,
participations. The four communities' parts get real Horizon 2020 codes (``PARTS``) so that
directory profiles can be matched to them by their text."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clusterhub.services.recommend.collaborations import Collaborations
from clusterhub.store.models import Organisation, Participation, Project

#: Community part -> the Horizon 2020 part it stands for (transport, health, energy, ICT).
PARTS = {"P0": "SC4", "P1": "SC1", "P2": "SC3", "P3": "LEIT"}


def store_world(session: Session, data: Collaborations) -> dict[str, int]:
    """Write ``data``; the directory id of each organisation of the world."""
    orgs = data.rows.unique("org", keep="first").sort("org")
    stored = {
        row["org"]: Organisation(
            key=f"world:{row['org']}", source="cordis", profile_type="project_partner",
            name=f"World organisation {row['org']}", country=row["country"],
            facts={"type": row["type"]},
        )
        for row in orgs.iter_rows(named=True)
    }  # fmt: skip
    session.add_all(stored.values())
    parts = data.parts.group_by("project").agg("part")
    part_of = {r["project"]: [PARTS[p] for p in r["part"]] for r in parts.iter_rows(named=True)}
    years = data.rows.unique("project").select("project", "year")
    projects = {
        p: Project(key=f"world:{p}", start_date=date(y, 3, 1), programme_parts=part_of.get(p, []))
        for p, y in years.iter_rows()
    }
    session.add_all(projects.values())
    session.flush()
    session.add_all(
        Participation(project_id=projects[p].id, organisation_id=stored[o].id, role="participant")
        for p, o in data.rows.select("project", "org").iter_rows()
    )
    session.flush()
    return {org: o.id for org, o in stored.items()}
