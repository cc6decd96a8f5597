"""What the keyword index and the sentence model are given for a profile."""

from __future__ import annotations

from clusterhub.services.directory.indexing import document, embedding_text
from clusterhub.services.reference import Catalogues
from clusterhub.store.models import Organisation, OrganisationCluster


def _org(**fields: object) -> Organisation:
    base: dict[str, object] = {
        "id": 1, "name": "X", "acronym": None, "city": None, "country": "DE",
        "description": "", "nace_codes": [], "ecosystems": [], "technologies": [],
        "keywords": [], "s3_priorities": [], "clusters": [],
    }  # fmt: skip
    return Organisation(**{**base, **fields})


def test_cluster_profiles_are_embedded_with_name_clusters_and_description(
    catalogues: Catalogues,
) -> None:
    org = _org(
        profile_type="cluster_organisation",
        name="Aerospace Valley",
        city="Toulouse",
        country="FR",
        clusters=[OrganisationCluster(cluster_code="1")],
        nace_codes=["30.30"],
        description="Drones and satellites.",
    )
    text = embedding_text(org, catalogues)
    assert text.startswith("Aerospace Valley. Cluster organisation in Toulouse, France")
    assert catalogues.clusters["1"] in text and "Drones and satellites." in text
    assert catalogues.nace.name("30.30") in text
    indexed = document(org, catalogues)
    assert indexed.name == "Aerospace Valley" and "Drones" in indexed.body


def test_unnamed_project_partners_share_a_text_when_they_do_the_same_things(
    catalogues: Catalogues,
) -> None:
    """Participant codes and figures carry no meaning: thousands of unnamed partners share a
    text. A name CORDIS publishes does, and leads the text."""
    common = {"profile_type": "project_partner", "country": "BE"}
    smes = ["private company", "Horizon 2020", "Innovation in SMEs"]
    first = _org(**common, name="Name not published (CORDIS PIC 1)", description="3 projects, €1",
                 keywords=smes)  # fmt: skip
    second = _org(**common, id=2, name="Name not published (CORDIS PIC 2)",
                  description="9 projects, €7", keywords=smes)  # fmt: skip
    other = _org(**common, id=3, name="Name not published (CORDIS PIC 3)",
                 keywords=["research organisation", "Horizon 2020"])  # fmt: skip
    named = _org(**common, id=4, name="AIRBUS SAS", acronym="AIRBUS", keywords=smes)
    assert embedding_text(first, catalogues) == embedding_text(second, catalogues)
    assert embedding_text(first, catalogues) != embedding_text(other, catalogues)
    assert "Innovation in SMEs" in embedding_text(first, catalogues)
    assert "CORDIS PIC" not in embedding_text(first, catalogues)
    assert "PIC 1" in document(first, catalogues).name  # a PIC typed in the search box finds it
    assert embedding_text(named, catalogues).startswith(
        "AIRBUS SAS (AIRBUS). Research and innovation project"
    )
    assert embedding_text(named, catalogues).endswith(embedding_text(first, catalogues))


def test_the_indexed_texts_do_not_depend_on_the_order_clusters_were_added(
    catalogues: Catalogues,
) -> None:
    """A profile just imported lists its clusters as they were added, one read back from the
    database by code: a rebuilt index (after a restore) and a re-embedding check (after an
    edit) must see the same texts as the import did."""
    codes = ["9", "10", "2"]

    def org(order: list[str]) -> Organisation:
        clusters = [OrganisationCluster(cluster_code=c) for c in order]
        return _org(profile_type="cluster_organisation", name="A", clusters=clusters)

    added, read_back = org(codes), org(sorted(codes))
    assert document(added, catalogues) == document(read_back, catalogues)
    assert embedding_text(added, catalogues) == embedding_text(read_back, catalogues)
