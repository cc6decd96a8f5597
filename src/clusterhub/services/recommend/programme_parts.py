"""Which Horizon 2020 programme parts a profile without a CORDIS history would work in.

A directory profile that never took part in Horizon 2020 (most cluster organisations and their
members) has no programme parts, yet the newcomer ranker finds candidates through them. Its
parts are inferred here, and always said to be inferred: those whose themes its own text
(description, technologies, keywords, cluster categories) names, by content words
(``classify.words``), plus "Innovation in SMEs" for cluster organisations and members, the
part that funds cluster internationalisation and SME support (INNOSUP).

The themes paraphrase the specific objectives of Council Decision 2013/743/EU (the specific
programme implementing Horizon 2020, Annex I); the parts that fund research whatever its
theme (ERC, MSCA, research infrastructures...) are never inferred from a text.
"""

from __future__ import annotations

from clusterhub.classify.words import words
from clusterhub.services.directory.cordis import PROGRAMME_PARTS

THEMES = {
    "SC1": "health medicine medical devices pharmaceuticals biotechnology diagnostics vaccines "
    "ageing care hospitals e-health wellbeing",
    "SC2": "food agriculture farming forestry fisheries aquaculture marine maritime "
    "bioeconomy bio-based beverages nutrition",
    "SC3": "energy renewable electricity power grids wind solar photovoltaic batteries storage "
    "hydrogen fuels efficiency heating",
    "SC4": "transport automotive vehicles cars aviation aircraft aerospace rail railway "
    "shipping ships logistics mobility electric drivetrains",
    "SC5": "climate environment environmental water waste recycling circular economy raw "
    "materials mining resource efficiency pollution",
    "SC6": "society social education culture cultural creative industries tourism public "
    "sector inclusion",
    "SC7": "security defence cybersecurity crime border protection disaster resilience",
    "LEIT": "information communication technologies software electronics photonics robotics "
    "nanotechnologies advanced materials chemicals plastics metals manufacturing "
    "automation space satellites digital",
}
#: The part an organisation of each directory kind takes part in for what it is, not its theme.
BY_KIND = {
    "cluster_organisation": ("Innovation in SMEs",),
    "cluster_member": ("Innovation in SMEs",),
}
#: Parts kept per profile (the best matching), and the words a part must share to count.
MAX_PARTS, MIN_SHARED = 2, 2
_STEMS = {part: frozenset(words(text)) for part, text in THEMES.items()}


def matching(text: str) -> tuple[str, ...]:
    """The parts (at most ``MAX_PARTS``, best first) whose themes share at least
    ``MIN_SHARED`` content words with ``text``."""
    mine = set(words(text))
    scored = [(len(mine & stems), part) for part, stems in _STEMS.items()]
    ranked = sorted((s for s in scored if s[0] >= MIN_SHARED), key=lambda s: (-s[0], s[1]))
    return tuple(part for _, part in ranked[:MAX_PARTS])


def by_kind(profile_type: str) -> tuple[str, ...]:
    """The parts a directory profile of this kind takes part in whatever its theme."""
    return BY_KIND.get(profile_type, ())


def name(part: str) -> str:
    """The part's name in the Horizon 2020 regulation, with its code when that differs."""
    full = PROGRAMME_PARTS.get(part, part)
    return full if full == part else f"{full} ({part})"
