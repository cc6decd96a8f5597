"""Synthetic demo profiles: the same for the same seed, valid, plausible and clearly marked."""

from __future__ import annotations

import statistics
from collections import Counter

from clusterhub.demo import MARKER, POPULATION, synthetic_profiles
from clusterhub.services.directory.profiles import validate
from clusterhub.services.reference import Catalogues, ReferenceData


def test_same_seed_same_profiles_other_seed_others(catalogues: Catalogues) -> None:
    first = synthetic_profiles(50, seed=7, catalogues=catalogues)
    assert first == synthetic_profiles(50, seed=7, catalogues=catalogues)
    other = synthetic_profiles(50, seed=8, catalogues=catalogues)
    assert [p.name for p in first] != [p.name for p in other]
    assert [p.key for p in first] == [f"synthetic:7:{n}" for n in range(1, 51)]


def test_every_profile_passes_validation_and_is_marked(
    catalogues: Catalogues, reference: ReferenceData
) -> None:
    names = dict(reference.regions.frame.filter(level=2).select("code", "name").iter_rows())
    members = reference.nace_clusters.members
    nace = {
        code: members.filter(cluster_code=code)["code"].to_list()
        for code in members["cluster_code"].unique()
    }
    profiles = synthetic_profiles(400, seed=3, catalogues=catalogues, region_names=names,
                                  nace_by_cluster=nace)  # fmt: skip
    for profile in profiles:
        clean = validate(profile, catalogues)
        assert clean.is_synthetic and clean.description.startswith(MARKER)
        assert clean.contact_email and clean.contact_email.endswith(".example.org")
        assert clean.website and ".example.org" in clean.website
        assert clean.nuts_code and len(clean.nuts_code) == 4
        assert clean.country in POPULATION and clean.nuts_code.startswith(clean.country)
        assert 1 <= len(clean.cluster_codes) <= 3
        assert clean.members_total == sum(
            getattr(clean, f)
            for f in ("members_sme", "members_large", "members_research", "members_public",
                      "members_other")
        )  # fmt: skip
        codes = {c for cluster in clean.cluster_codes for c in nace.get(cluster, [])}
        assert set(clean.nace_codes) <= codes
    assert len({p.name for p in profiles}) > 300


def test_the_mix_looks_like_the_european_platform(catalogues: Catalogues) -> None:
    profiles = synthetic_profiles(4000, seed=1, catalogues=catalogues)
    assert 130 < statistics.mean(p.members_total or 0 for p in profiles) < 210
    labels = Counter(p.label for p in profiles)
    assert 0.25 < labels["bronze"] / 4000 < 0.35
    assert 0.07 < labels["silver"] / 4000 < 0.13
    assert 0.03 < labels["gold"] / 4000 < 0.07
    countries = Counter(p.country for p in profiles)
    assert countries["DE"] > countries["BE"] > countries["MT"]
    words = {w.lower() for p in profiles for w in p.description.split()}
    assert len(words) > 500
