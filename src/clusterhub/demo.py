"""Deterministic synthetic cluster organisations for demos and load tests — clearly not real.

Every generated profile is marked three ways: ``is_synthetic=True``, a key ``synthetic:{seed}:{n}``
and a description that starts with "Synthetic demo profile". Contacts and websites use the
``example.org`` domain reserved for documentation (RFC 2606), so no real mailbox is ever
written to.

The shape follows the European Cluster Collaboration Platform's profiles: real NUTS 2 regions
of EU and EEA countries (more in populous countries), one to three related cluster categories
of the 51-category taxonomy with matching NACE classes, technologies and keywords from a
vocabulary per sector, members by type summing to the total (log-normal, mean about 170),
management staff, labels (about 30 % bronze, 10 % silver, 5 % gold, some expired). The same
``seed`` always gives the same profiles, so benchmarks are repeatable.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import polars as pl
from sqlalchemy.orm import Session

from clusterhub.classify.countries import country_names
from clusterhub.services import audit
from clusterhub.services.audit import Actor
from clusterhub.services.directory import indexing
from clusterhub.services.directory.facts import MEMBER_FIELDS
from clusterhub.services.directory.profiles import remove_all_from_source
from clusterhub.services.directory.schemas import Label, OrganisationInput, ProfileType
from clusterhub.services.directory.sources import upsert_records
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues, ReferenceData
from clusterhub.services.schemas import ImportReport

T = TypeVar("T")
MARKER = "Synthetic demo profile (not a real organisation)."
SOURCE = "synthetic"

#: Population in millions (Eurostat, 1 January 2021, rounded): how often a country is drawn.
POPULATION = {
    "DE": 83.2, "FR": 67.7, "IT": 59.2, "ES": 47.4, "PL": 37.8, "RO": 19.2, "NL": 17.5,
    "BE": 11.6, "EL": 10.7, "CZ": 10.7, "SE": 10.4, "PT": 10.3, "HU": 9.7, "AT": 8.9,
    "BG": 6.9, "DK": 5.8, "FI": 5.5, "SK": 5.5, "NO": 5.4, "IE": 5.0, "HR": 4.0, "LT": 2.8,
    "SI": 2.1, "LV": 1.9, "EE": 1.3, "CY": 0.9, "LU": 0.6, "MT": 0.5, "IS": 0.4, "LI": 0.04,
}  # fmt: skip
#: Official languages (ISO 639-1) profiles of each country list besides English.
LANGUAGES = {
    "AT": ["de"], "BE": ["nl", "fr"], "BG": ["bg"], "CY": ["el"], "CZ": ["cs"], "DE": ["de"],
    "DK": ["da"], "EE": ["et"], "EL": ["el"], "ES": ["es"], "FI": ["fi", "sv"], "FR": ["fr"],
    "HR": ["hr"], "HU": ["hu"], "IE": ["ga"], "IT": ["it"], "LT": ["lt"], "LU": ["fr", "de"],
    "LV": ["lv"], "MT": ["mt"], "NL": ["nl"], "PL": ["pl"], "PT": ["pt"], "RO": ["ro"],
    "SE": ["sv"], "SI": ["sl"], "SK": ["sk"], "NO": ["no"], "IS": ["is"], "LI": ["de"],
}  # fmt: skip
TARGET_COUNTRIES = (
    "US", "CN", "JP", "KR", "IN", "BR", "CA", "MX", "SG", "ZA", "MA", "TR", "UA", "AU", "CH",
    "UK", "VN", "CL", "AR", "EG", "IL", "TW", "TH", "ID", "NZ", "CO", "KE", "NG",
)  # fmt: skip


@dataclass(frozen=True)
class Sector:
    """A kind of cluster: its words, its cluster categories, and what its members do."""

    name: str
    clusters: tuple[str, ...]
    ecosystem: str
    nace: tuple[str, ...]
    technologies: tuple[str, ...]
    keywords: tuple[str, ...]
    activity: str


SECTORS = (
    Sector("Aerospace", ("1", "40", "32"), "Aerospace and defence", ("30.30", "33.16", "25.62"), ("composite materials", "additive manufacturing", "avionics", "satellite navigation", "drones", "non-destructive testing"), ("aircraft", "space", "MRO", "supply chain", "certification", "UAV"), "design, build and maintain aircraft, satellites and their components"),  # noqa: E501
    Sector("Automotive", ("4", "44", "38"), "Mobility - Transport - Automotive", ("29.10", "29.32", "22.29"), ("electric drivetrains", "battery systems", "lightweight design", "autonomous driving", "vehicle software"), ("e-mobility", "suppliers", "powertrain", "car", "charging"), "supply parts, systems and engineering to vehicle makers"),  # noqa: E501
    Sector("Agrifood", ("18", "2", "28"), "Agri-food", ("10.51", "10.71", "01.13"), ("precision farming", "food safety testing", "cold chain monitoring", "alternative proteins", "fermentation"), ("dairy", "organic", "food processing", "wine", "short supply chains"), "grow, process and distribute food and drink"),  # noqa: E501
    Sector("Digital", ("23", "8", "6"), "Digital", ("62.01", "62.02", "63.11"), ("artificial intelligence", "cybersecurity", "cloud computing", "internet of things", "big data analytics", "blockchain"), ("software", "SaaS", "data", "start-ups", "digital transformation"), "develop software, data services and digital infrastructure"),  # noqa: E501
    Sector("Health", ("5", "30", "13"), "Health", ("21.20", "32.50", "72.11"), ("medical imaging", "diagnostics", "biomarkers", "telemedicine", "cell therapy", "medical robotics"), ("medtech", "pharma", "clinical trials", "ageing", "biotech"), "research, develop and produce medicines and medical devices"),  # noqa: E501
    Sector("Energy", ("14", "35", "27"), "Renewable energy", ("35.11", "27.11", "43.21"), ("wind turbines", "photovoltaics", "hydrogen electrolysis", "smart grids", "energy storage", "heat pumps"), ("renewables", "energy efficiency", "offshore wind", "solar", "decarbonisation"), "generate, store and distribute clean energy"),  # noqa: E501
    Sector("Textile", ("42", "3", "19"), "Textile", ("13.20", "14.13", "15.20"), ("technical textiles", "smart fabrics", "textile recycling", "digital printing", "3D knitting"), ("fashion", "apparel", "circular textiles", "footwear", "design"), "design and make fabrics, clothing and footwear"),  # noqa: E501
    Sector("Logistics", ("45", "50", "10"), "Mobility - Transport - Automotive", ("52.10", "49.41", "52.24"), ("warehouse automation", "fleet telematics", "route optimisation", "RFID tracking", "intermodal terminals"), ("ports", "freight", "e-commerce", "last mile", "supply chain"), "move and store goods by road, rail, sea and air"),  # noqa: E501
    Sector("Construction", ("9", "49", "51"), "Construction", ("41.20", "23.61", "16.23"), ("building information modelling", "prefabrication", "timber construction", "energy-efficient renovation", "smart buildings"), ("housing", "renovation", "green building", "materials", "architecture"), "design, build and renovate buildings and infrastructure"),  # noqa: E501
    Sector("Maritime", ("50", "17", "45"), "Mobility - Transport - Automotive", ("30.11", "50.20", "03.11"), ("ship design", "underwater robotics", "aquaculture systems", "marine sensors", "LNG propulsion"), ("shipbuilding", "blue economy", "fisheries", "offshore", "ports"), "build ships and work on and from the sea"),  # noqa: E501
    Sector("Plastics", ("38", "46", "11"), "Energy-intensive industries", ("22.21", "22.22", "20.16"), ("bioplastics", "injection moulding", "polymer recycling", "compounding", "packaging design"), ("circular economy", "polymers", "packaging", "recycling", "chemicals"), "make polymers and plastic parts and recycle them"),  # noqa: E501
    Sector("Photonics", ("23", "27", "30"), "Electronics", ("26.70", "27.40", "26.11"), ("lasers", "optical sensors", "LED lighting", "integrated photonics", "machine vision"), ("optics", "microelectronics", "lighting", "sensors", "semiconductors"), "develop lasers, optics and electronic components"),  # noqa: E501
    Sector("Tourism", ("22", "37", "48"), "Tourism", ("55.10", "79.12", "90.04"), ("booking platforms", "visitor analytics", "virtual reality tours", "sustainable tourism certification"), ("hospitality", "culture", "events", "heritage", "sustainable tourism"), "welcome visitors and run hotels, events and cultural sites"),  # noqa: E501
    Sector("Creative Industries", ("29", "48", "39"), "Cultural and creative industries", ("73.11", "59.11", "58.21"), ("video games", "animation", "virtual reality", "user experience design", "digital publishing"), ("design", "media", "film", "advertising", "games"), "create films, games, designs and media content"),  # noqa: E501
    Sector("Advanced Manufacturing", ("40", "32", "12"), "Energy-intensive industries", ("28.41", "28.99", "25.62"), ("industrial robotics", "digital twins", "predictive maintenance", "additive manufacturing", "machine tools"), ("Industry 4.0", "automation", "mechatronics", "metalworking", "SMEs"), "build machines, tools and automated production lines"),  # noqa: E501
    Sector("Wood and Furniture", ("51", "21", "20"), "Construction", ("16.10", "31.09", "02.20"), ("CNC woodworking", "engineered wood", "bio-based coatings", "furniture design"), ("forestry", "timber", "furniture", "bioeconomy", "interior design"), "grow timber and make wood products and furniture"),  # noqa: E501
    Sector("Environmental Technologies", ("15", "14", "46"), "Energy-intensive industries", ("38.32", "37.00", "39.00"), ("water treatment", "waste sorting", "air quality monitoring", "soil remediation", "carbon capture"), ("cleantech", "circular economy", "water", "waste", "climate"), "treat water, air and waste and clean up sites"),  # noqa: E501
    Sector("Chemicals", ("46", "11", "5"), "Energy-intensive industries", ("20.14", "20.59", "20.42"), ("green chemistry", "catalysis", "biorefining", "specialty coatings", "process intensification"), ("chemistry", "bio-based", "cosmetics", "materials", "process industry"), "make basic and specialty chemicals and cosmetics"),  # noqa: E501
)  # fmt: skip

_NAMES = ("{place} {sector} Cluster", "{sector} Cluster {place}", "{place} {sector} Network",
          "{sector} Valley {place}", "{place} {sector} Alliance", "{place} {sector} Innovation Hub",
          "Cluster {sector} {place}", "{sector} Competence Centre {place}")  # fmt: skip
_OPENINGS = (
    "{name} brings together {members} companies, research centres and public bodies of {place} "
    "that {activity}.",
    "Founded in {founded}, {name} is the cluster organisation of the {sector_l} sector in "
    "{place}, with {members} members.",
    "{name} connects {members} organisations in {place} who {activity}.",
    "The {sector_l} cluster of {place}, {name}, represents {members} members since {founded}.",
)
_SERVICES = ("matchmaking and business-to-business meetings", "joint research and innovation "
             "projects", "internationalisation missions", "training and skills programmes",
             "access to finance and innovation vouchers", "test beds and pilot lines",
             "market intelligence", "technology transfer from universities",
             "public procurement of innovation", "start-up acceleration")  # fmt: skip
_MIDDLES = (
    "Its team of {fte} people offers {service1} and {service2}.",
    "Members work together on {tech1} and {tech2}, with {service1}.",
    "Current priorities are {tech1}, {tech2} and {keyword}.",
    "The cluster runs {service1}, {service2} and working groups on {tech1}.",
)
_ENDINGS = (
    "It seeks partners in {targets} for joint projects.",
    "The cluster is open to cooperation with clusters working on {tech2}.",
    "It takes part in European projects on {keyword} and {tech1}.",
    "",
)
_FIRST_NAMES = ("Anna", "Marco", "Sofia", "Jan", "Elena", "Lukas", "Marie", "Pavel", "Ines",
                "Mikkel", "Laura", "Tomás", "Eva", "Nikos", "Julia", "Matteo")  # fmt: skip
_LAST_NAMES = ("Novak", "Rossi", "Müller", "García", "Dubois", "Nowak", "Jansen", "Popescu",
               "Silva", "Nielsen", "Horvat", "Papadopoulos", "Virtanen", "Kovács")  # fmt: skip
_SHARES = (0.62, 0.1, 0.12, 0.08, 0.08)  # typical member mix: SMEs, large, research, public, other
_MEAN_MEMBERS = 170
_SIGMA = 0.9


def synthetic_profiles(
    count: int,
    *,
    seed: int = 0,
    catalogues: Catalogues,
    region_names: Mapping[str, str] | None = None,
    nace_by_cluster: Mapping[str, Sequence[str]] | None = None,
) -> list[OrganisationInput]:
    """``count`` synthetic cluster organisations, the same ones for the same ``seed``.

    Parameters
    ----------
    catalogues
        The NUTS 2 regions are drawn from its NUTS codes (EU and EEA countries).
    region_names
        NUTS code to region name, for names such as "Stuttgart Automotive Cluster"; without
        it profiles are named after their country.
    nace_by_cluster
        Cluster code to NACE classes (e.g. the NACE translation of the 51 clusters): NACE
        codes are then drawn from the profile's clusters instead of the sector's short list.
    """
    rng = random.Random(seed)
    regions = _regions(catalogues)
    per_country = Counter(code[:2] for code in regions)
    weights = [POPULATION[code[:2]] / per_country[code[:2]] for code in regions]
    names = region_names or {}
    return [
        _profile(
            rng,
            key=f"synthetic:{seed}:{n}",
            region=region,
            place=_place(region, names),
            nace_by_cluster=nace_by_cluster,
        )
        for n, region in enumerate(rng.choices(regions, weights=weights, k=count), start=1)
    ]


def _regions(catalogues: Catalogues) -> list[str]:
    """NUTS 2 regions of EU and EEA countries (without the extra-regio ``ZZ`` codes)."""
    return sorted(
        code
        for code in catalogues.nuts
        if len(code) == 4 and code[:2] in POPULATION and not code.endswith("ZZ")
    )


def _place(region: str, names: Mapping[str, str]) -> str:
    """A short region name: the first of bilingual names, without brackets."""
    name = names.get(region)
    if not name:
        return country_names().get(region[:2], region[:2])
    name = re.sub(r"\s*\(.*?\)", "", name.split("/")[0].split(",")[0]).strip()
    return name or region


def _profile(
    rng: random.Random,
    *,
    key: str,
    region: str,
    place: str,
    nace_by_cluster: Mapping[str, Sequence[str]] | None,
) -> OrganisationInput:
    sector = _one(rng, SECTORS)
    clusters = list(sector.clusters[: _one(rng, (1, 2, 2, 3))])
    name = _one(rng, _NAMES).format(place=place, sector=sector.name)
    acronym = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name) if w[0].isupper())[:8]
    members = _members(rng)
    total = sum(members.values())
    fte = round(max(0.2, total / 45 * rng.uniform(0.4, 1.6)), 1)
    founded = _between(rng, 1990, 2022)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{acronym}-{key.rsplit(':', 1)[1]}".lower()).strip("-")
    country = region[:2]
    label, valid_until = _label(rng)
    values: dict[str, Any] = {
        "key": key,
        "profile_type": ProfileType.CLUSTER_ORGANISATION,
        "name": name,
        "acronym": acronym or None,
        "country": country,
        "nuts_code": region,
        "website": f"https://{slug}.example.org",
        "description": _description(
            rng,
            sector,
            {
                "name": name,
                "place": place,
                "members": total,
                "fte": f"{fte:g}",
                "founded": founded,
            },
        ),
        "cluster_codes": clusters,
        "nace_codes": _nace(rng, sector, clusters, nace_by_cluster),
        "ecosystems": [sector.ecosystem],
        "technologies": _some(rng, sector.technologies, k=_between(rng, 2, 4)),
        "keywords": _some(rng, sector.keywords, k=_between(rng, 2, 4)),
        "languages": [*LANGUAGES[country], "en"]
        if country not in ("IE", "MT")
        else ["en", *LANGUAGES[country]],
        "target_countries": _some(rng, TARGET_COUNTRIES, k=_one(rng, (0, 1, 2, 3, 5))),
        **members,
        "members_total": total,
        "management_fte": fte,
        "founded_year": founded,
        "label": label,
        "label_valid_until": valid_until,
        "contact_name": f"{_one(rng, _FIRST_NAMES)} {_one(rng, _LAST_NAMES)}",
        "contact_email": f"contact@{slug}.example.org",
        "contact_phone": None,
        "s3_priorities": [],
        "city": None,
        "latitude": None,
        "longitude": None,
        "is_synthetic": True,
    }
    # Built without re-validation and with every field given (default factories are slow in
    # model_construct), so 100,000 take seconds; the tests check each passes validate().
    return OrganisationInput.model_construct(**values)


def _one(rng: random.Random, values: Sequence[T]) -> T:
    """``rng.choice`` without its per-call overhead (the generator makes millions of draws)."""
    return values[int(rng.random() * len(values))]


def _some(rng: random.Random, values: Sequence[T], k: int) -> list[T]:
    """``k`` distinct values in random order (like ``rng.sample``; ``k`` is small here)."""
    picked: list[int] = []
    while len(picked) < min(k, len(values)):
        index = int(rng.random() * len(values))
        if index not in picked:
            picked.append(index)
    return [values[i] for i in picked]


def _between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high], both included."""
    return low + int(rng.random() * (high - low + 1))


def _members(rng: random.Random) -> dict[str, int]:
    """Members by type: a log-normal total (mean about 170) split with random shares."""
    mu = math.log(_MEAN_MEMBERS) - _SIGMA**2 / 2
    total = max(3, min(5000, round(rng.lognormvariate(mu, _SIGMA))))
    draws = [rng.gammavariate(share * 20, 1) for share in _SHARES]
    counts = [math.floor(total * d / sum(draws)) for d in draws]
    counts[0] += total - sum(counts)
    return dict(zip(MEMBER_FIELDS, counts, strict=True))


def _label(rng: random.Random) -> tuple[Label | None, date | None]:
    """About 30 % bronze, 10 % silver, 5 % gold; validity 2019-2028, so some have expired."""
    draw = rng.random()
    label = (
        Label.GOLD
        if draw < 0.05
        else Label.SILVER
        if draw < 0.15
        else Label.BRONZE
        if draw < 0.45
        else None
    )
    if label is None:
        return None, None
    return label, date(_between(rng, 2019, 2028), _between(rng, 1, 12), 1)


def _nace(
    rng: random.Random,
    sector: Sector,
    clusters: list[str],
    nace_by_cluster: Mapping[str, Sequence[str]] | None,
) -> list[str]:
    if nace_by_cluster is None:
        return list(sector.nace[: _between(rng, 1, len(sector.nace))])
    pool = sorted({code for c in clusters for code in nace_by_cluster.get(c, ())})
    return _some(rng, pool, k=min(len(pool), _between(rng, 2, 5))) if pool else list(sector.nace)


def _description(rng: random.Random, sector: Sector, facts: dict[str, object]) -> str:
    """Two to four sentences from templates, so that texts vary like real ones do."""
    tech1, tech2 = _some(rng, sector.technologies, k=2)
    service1, service2 = _some(rng, _SERVICES, k=2)
    targets = _some(rng, TARGET_COUNTRIES, k=2)
    words = {
        **facts, "activity": sector.activity, "sector_l": sector.name.lower(),
        "service1": service1, "service2": service2, "tech1": tech1, "tech2": tech2,
        "keyword": _one(rng, sector.keywords),
        "targets": " and ".join(country_names().get(c, c) for c in targets),
    }  # fmt: skip
    sentences = [
        _one(rng, _OPENINGS),
        _one(rng, _MIDDLES),
        *_some(rng, _MIDDLES, k=_between(rng, 0, 1)),
        _one(rng, _ENDINGS),
    ]
    text = " ".join(dict.fromkeys(s.format(**words) for s in sentences if s))
    return f"{MARKER} {text}"


def load_demo(
    session: Session,
    *,
    reference: ReferenceData,
    count: int,
    seed: int = 0,
    embedder: Embedder | None,
    by: Actor,
    progress: indexing.Progress | None = None,
) -> ImportReport:
    """Add (or refresh) ``count`` synthetic profiles, with region names and NACE codes from
    the reference data, in the caller's transaction (one audit entry ``by`` whoever asked)."""
    catalogues = Catalogues.from_reference(reference)
    regions = reference.regions.frame.filter(pl.col("level") == 2)
    members = reference.nace_clusters.members.sort("weight", descending=True)
    nace = {
        str(code): [str(c) for c in codes]
        for code, codes in members.group_by("cluster_code", maintain_order=True)
        .agg(pl.col("code").head(8))
        .iter_rows()
    }
    records = synthetic_profiles(
        count,
        seed=seed,
        catalogues=catalogues,
        region_names=dict(regions.select("code", "name").iter_rows()),
        nace_by_cluster=nace,
    )
    report = upsert_records(
        session,
        records=records,
        facts={},
        source=SOURCE,
        catalogues=catalogues,
        embedder=embedder,
        progress=progress,
    )
    audit.record_import(
        session, by=by, action="directory.import", entity_type="organisation", report=report,
        file=None,
    )  # fmt: skip
    return report


def remove_demo(session: Session, *, by: Actor) -> int:
    """Delete every synthetic profile; how many there were (one audit entry)."""
    removed = remove_all_from_source(session, source=SOURCE)
    audit.record(
        session, actor=by, action="directory.remove_source", entity_type="organisation",
        entity_id=SOURCE, details={"removed": removed},
    )  # fmt: skip
    return removed
