"""Programme parts inferred for profiles outside CORDIS: by shared words first, by the real
sentence model's meaning when no theme shares enough words, never by a weak resemblance."""

from __future__ import annotations

import numpy as np

from clusterhub.services.embeddings import Embedder
from clusterhub.services.recommend import programme_parts


def test_words_place_a_profile_without_the_model() -> None:
    text = "Vaccines, diagnostics and biopharmaceutical research for hospitals."
    assert programme_parts.matching(text) == ("SC1",)
    assert programme_parts.matching("Bicycles") == ()  # one word is not enough
    assert programme_parts.by_kind("cluster_organisation") == ("Innovation in SMEs",)
    assert programme_parts.by_kind("project_partner") == ()


def test_the_model_places_a_profile_whose_words_match_no_theme(embedder: Embedder) -> None:
    gears = "A supplier of gearboxes for the car industry."
    assert programme_parts.matching(gears) == ()
    vector = embedder.encode([gears])[0]
    assert programme_parts.matching(gears, vector, embedder)[0] == "SC4"
    banks = "Software companies making apps for banks."
    assert programme_parts.matching(banks, embedder.encode([banks])[0], embedder) == ()
    # the words win when they suffice, whatever the vector says
    unrelated = np.zeros_like(vector)
    text = "Vaccines, diagnostics and biopharmaceutical research for hospitals."
    assert programme_parts.matching(text, unrelated, embedder) == ("SC1",)
