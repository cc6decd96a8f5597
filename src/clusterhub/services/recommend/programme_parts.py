"""Which Horizon 2020 programme parts a profile without a CORDIS history would work in.

A directory profile that never took part in Horizon 2020 (most cluster organisations and their
members) has no programme parts, yet the newcomer ranker finds candidates through them. Its
parts are inferred here, and always said to be inferred: those whose themes its own text
(description, technologies, keywords, cluster categories) names, by content words
(``classify.words``), plus "Innovation in SMEs" for cluster organisations and members, the
part that funds cluster internationalisation and SME support (INNOSUP). When no theme shares
enough words with the text, the profile's sentence embedding (MiniLM, as the directory's
semantic search has it) is compared with each theme's: the closest part counts if its cosine
reaches ``MIN_COSINE`` (measured on short descriptions: "vaccines, diagnostics..." → health
0.35, "a supplier of gearboxes for the car industry" → transport 0.39, "offshore wind turbine
makers" → energy 0.25; unrelated parts stay below 0.2).

The themes paraphrase the specific objectives of Council Decision 2013/743/EU (the specific
programme implementing Horizon 2020, Annex I); the parts that fund research whatever its
theme (ERC, MSCA, research infrastructures...) are never inferred from a text.
"""

from __future__ import annotations

import threading

import numpy as np

from clusterhub.classify.words import words
from clusterhub.services.directory.cordis import PROGRAMME_PARTS
from clusterhub.services.embeddings import Embedder, Vectors

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
#: Cosine from which a theme is close in meaning, and how near the best a second part must be.
MIN_COSINE, NEAR_BEST = 0.25, 0.05
_STEMS = {part: frozenset(words(text)) for part, text in THEMES.items()}
_THEME_VECTORS: dict[str, Vectors] = {}
_LOCK = threading.Lock()


def matching(
    text: str, vector: Vectors | None = None, embedder: Embedder | None = None
) -> tuple[str, ...]:
    """The parts (at most ``MAX_PARTS``, best first) whose themes share at least
    ``MIN_SHARED`` content words with ``text``; if none does and the profile's embedding
    ``vector`` (by ``embedder``) is given, those closest to it in meaning."""
    mine = set(words(text))
    scored = [(len(mine & stems), part) for part, stems in _STEMS.items()]
    ranked = sorted((s for s in scored if s[0] >= MIN_SHARED), key=lambda s: (-s[0], s[1]))
    if ranked or vector is None or embedder is None:
        return tuple(part for _, part in ranked[:MAX_PARTS])
    return _closest(vector, embedder)


def _closest(vector: Vectors, embedder: Embedder) -> tuple[str, ...]:
    cosines = _theme_vectors(embedder) @ vector
    order = np.argsort(-cosines, kind="stable")
    best = float(cosines[order[0]])
    parts = list(THEMES)
    return tuple(parts[i] for i in order[:MAX_PARTS]
                 if cosines[i] >= MIN_COSINE and cosines[i] >= best - NEAR_BEST)  # fmt: skip


def _theme_vectors(embedder: Embedder) -> Vectors:
    """Each theme's embedding (its part's name and themes), once per model."""
    with _LOCK:
        if embedder.name not in _THEME_VECTORS:
            texts = [f"{PROGRAMME_PARTS[p]}: {t}" for p, t in THEMES.items()]
            _THEME_VECTORS[embedder.name] = embedder.encode(texts)
        return _THEME_VECTORS[embedder.name]


def by_kind(profile_type: str) -> tuple[str, ...]:
    """The parts a directory profile of this kind takes part in whatever its theme."""
    return BY_KIND.get(profile_type, ())


def name(part: str) -> str:
    """The part's name in the Horizon 2020 regulation, with its code when that differs."""
    full = PROGRAMME_PARTS.get(part, part)
    return full if full == part else f"{full} ({part})"
