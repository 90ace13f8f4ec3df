"""A learned second opinion next to the rule risk detector (:func:`note_builder.risk.detect_risk`).

The rules are precise on the phrasings they know and miss novel ones ("offing myself", "I
wouldn't mind not waking up"). :class:`RiskModel` is a multinomial logistic regression over
the MiniLM sentence embedding the engine already computes (plus the speaker's role, the
ConText cue categories of the sentence, a "someone else is the subject" cue and a past-time
cue) with the classes ``none`` and the five risk kinds.
:func:`second_opinion` turns its probabilities into findings, and only where the rules have
nothing to say:

* a therapist's sentence never yields a finding (screening questions are not risk);
* a kind the rules already reported, current or not, is left to the rules: their context
  handling (negated, hypothetical, historical, other person, question) wins;
* when the rules found any kind in a non-current context (and, if the trained settings say
  so, when the sentence carries a negation, hypothetical or historical cue, or someone
  other than the speaker is its subject), the model adds nothing: the sentence is about
  risk, but not the speaker's present one;
* otherwise each kind whose probability reaches its threshold becomes a finding, quoting the
  whole sentence (``cue`` / ``span``), ``modifiers == ("model",)``, severity ``moderate``.

:func:`detect_risk_with_model` is the union the engine should use: the rules' findings plus
the second opinion.

Training (``python -m note_builder.risk_model --train``, deterministic) writes
``weights/risk_head.npz`` (coef, intercept, thresholds) and ``weights/risk_head.json``
(classes, settings, the CV table, probe probabilities). Data: the labelled set
``benchmarks/data/risk_utterances.jsonl`` (``also`` kinds count as positives too), the
developer's probe rows (``benchmarks/data/risk_probe_utterances.jsonl``), the written
training set ``benchmarks/data/risk_training_written.jsonl`` (varied current positives and
hard negatives sharing their vocabulary), the first blind set
``benchmarks/data/risk_utterances_fresh.jsonl`` (training data since its one evaluation)
and ~1,500 AnnoMI utterances with no risk word as benign negatives. Settings and the
threshold are chosen only by grouped 5-fold CV (group = the root of a row's ``variant_of``
chain) of the union "rules OR model": the highest recall with CV precision ≥
:data:`MIN_CV_PRECISION`.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import threading
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from companion.errors import ConfigError
from note_builder import context
from note_builder.embeddings import WEIGHTS_DIR, LinearHead, Matrix, SentenceEncoder
from note_builder.embeddings import shared_encoder as _shared_encoder
from note_builder.risk import KINDS, RiskFinding, detect_risk
from note_builder.sections import role_onehot

NAME = "risk_head"
NONE = "none"
CLASSES = (NONE, *KINDS)
MODEL_MARK = "model"  # the one modifier of a model finding: its source
SEVERITY = "moderate"  # a model finding is never "high"
MIN_CV_PRECISION = 0.9
# ConText categories present anywhere in the sentence, as features (and for the gate).
CUE_CATEGORIES = (
    context.NEGATED,
    context.POSSIBLE,
    context.HYPOTHETICAL,
    context.HISTORICAL,
    context.OTHER_EXPERIENCER,
    context.CURRENT,
)
_NOT_CURRENT_CUES = frozenset({context.NEGATED, context.HYPOTHETICAL, context.HISTORICAL})
# "Someone else is the subject": a third-person subject at the start of the sentence (after
# fillers), or a possessive + kin / friend noun (or a name) acting as the subject.
_FILLERS = r"(?:(?:so|and|but|well|um+|uh+|like|yeah|okay|ok|honestly|anyway|i mean|you know)\W+)*"
_KIN = (
    r"(?:step|grand|half[- ]?)?(?:mom|mother|mum|dad|father|sister|brother|son|daughter|aunt"
    r"|uncle|cousin|niece|nephew|wife|husband|partner|boyfriend|girlfriend|ex|fianc[eé]+"
    r"|friend|buddy|roommate|flatmate|coworker|co-worker|neighbou?r|kid|child|teen(?:ager)?"
    r"|grandma|grandpa|in-law|sibling|client|student|patient|teammate|boss|coach|bestie)s?"
)
_OTHER_SUBJECT = re.compile(
    rf"^\W*{_FILLERS}(?:(?:he|she|they)(?:'s|'d|'ll)?\b(?!\s+(?:said|says|told|asked)\s+(?:me|i)\b)"
    rf"|(?:my|our|his|her|their|a|this)\s+(?:\w+\s+){{0,2}}?(?:best\s+)?{_KIN}\b(?:'s)?"
    rf"|[A-Z][a-z]+(?:'s)?\s+(?:has|had|is|was|keeps|kept|said|says|told|tried|got|started|went"
    rf"|been|wants|thinks|drinks|drives|uses|cuts|hits)\b)",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    [
        "i",
        "honestly",
        "yeah",
        "so",
        "and",
        "but",
        "well",
        "um",
        "uh",
        "like",
        "okay",
        "ok",
        "anyway",
        "lately",
        "sometimes",
        "everything",
        "nothing",
        "nobody",
        "everyone",
        "someone",
        "it",
        "that",
        "this",
        "there",
        "what",
        "when",
        "then",
        "now",
        "today",
        "last",
    ]
)
_PAST_TIME = re.compile(
    r"\b(?:years? ago|(?:a )?long time ago|ages ago|decades? ago|used to|as a (?:kid|child|teen"
    r"|teenager)|when i was (?:a |in |younger|little|\w+teen|twenty)|back (?:then|when|in)"
    r"|in (?:my|the) (?:teens|twenties|thirties|20s|30s|nineties|eighties)|in (?:high school"
    r"|middle school|college)|not since|haven'?t (?:since|in years)|(?:19[5-9]\d|20[01]\d)\b"
    r"|growing up|ancient history|that'?s (?:long )?(?:over|behind me|in the past))",
    re.IGNORECASE,
)


# The speaker as the object after the subject ("my husband hits me", "he takes my keys"):
# then the sentence is about the speaker.
_SPEAKER_OBJECT = re.compile(
    r"(?<!told )(?<!tell )(?<!asked )(?<!showed )(?<!texted )(?<!called )(?<!calls )"
    r"\b(?:me|my|myself|mine)\b",
    re.IGNORECASE,
)


def other_subject_cue(text: str) -> bool:
    """Whether the sentence's subject looks like someone other than the speaker (and the
    speaker is not its object, as in "my husband hits me")."""
    m = _OTHER_SUBJECT.match(text)
    if m is None or _SPEAKER_OBJECT.search(text, m.end()):
        return False
    first = re.sub(r"^\W*" + _FILLERS, "", m.group(0), flags=re.IGNORECASE).split()
    # A capitalised first word counts as a name only if it is not a filler / pronoun.
    return not first or first[0].lower().removesuffix("'s") not in _NOT_NAMES


def past_time_cue(text: str) -> bool:
    """Whether the sentence places itself in the past (years ago, as a teen, used to …)."""
    return _PAST_TIME.search(text) is not None


_THERAPIST = re.compile(
    r"^(therapist|clinician|provider|counsel+or|psycholog|psychiatr|social|doc)"
)


def _is_therapist(role: str | None) -> bool:
    return bool(_THERAPIST.match((role or "").strip().lower()))


N_CUE_FEATURES = len(CUE_CATEGORIES) + 3


def cue_features(texts: Sequence[str]) -> Matrix:
    """(n, N_CUE_FEATURES): which ConText categories the sentence holds, '?', someone else
    as the subject (:func:`other_subject_cue`) and a past time (:func:`past_time_cue`)."""
    out = np.zeros((len(texts), N_CUE_FEATURES), dtype=np.float32)
    for i, text in enumerate(texts):
        found = {m.category for m in context.analyze(text).all_modifiers()}
        for j, category in enumerate(CUE_CATEGORIES):
            out[i, j] = category in found
        out[i, -3] = "?" in text
        out[i, -2] = other_subject_cue(text)
        out[i, -1] = past_time_cue(text)
    return out


def features(
    embeddings: Matrix, roles: Sequence[str | None], texts: Sequence[str], cues: bool
) -> Matrix:
    """[embedding | role one-hot (3) | cue features (9), when ``cues``]."""
    blocks = [np.asarray(embeddings, dtype=np.float32), role_onehot(roles)]
    if cues:
        blocks.append(cue_features(texts))
    return np.hstack(blocks)


@dataclass(frozen=True, slots=True)
class _Parts:
    head: LinearHead
    thresholds: dict[str, float]
    settings: dict[str, Any]


class RiskModel:
    """The trained head; weights are read on first use (thread-safe)."""

    def __init__(self, encoder: SentenceEncoder | None = None, name: str = NAME) -> None:
        self._encoder = encoder
        self._name = name
        self._lock = threading.Lock()
        self._parts: _Parts | None = None

    def _get(self) -> _Parts:
        with self._lock:
            if self._parts is None:
                self._parts = _load(self._name)
            return self._parts

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._get().thresholds)

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self._get().settings)

    def predict(
        self,
        texts: Sequence[str],
        roles: Sequence[str | None],
        embeddings: Matrix | None = None,
    ) -> list[dict[str, float]]:
        """Per text, the probability of each class (``none`` and the five kinds)."""
        if len(texts) != len(roles):
            raise ValueError("texts and roles differ in length")
        if not texts:
            return []
        parts = self._get()
        if embeddings is None:
            embeddings = (self._encoder or _shared_encoder()).encode(texts)
        x = features(embeddings, roles, texts, bool(parts.settings["cues"]))
        proba = parts.head.proba(x)
        return [
            {c: float(p) for c, p in zip(parts.head.classes, row, strict=True)} for row in proba
        ]


def _load(name: str) -> _Parts:
    try:
        with np.load(WEIGHTS_DIR / f"{name}.npz", allow_pickle=False) as npz:
            coef, intercept, thr = npz["coef"], npz["intercept"], npz["thresholds"]
        meta: dict[str, Any] = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"cannot read the {name} weights: {type(exc).__name__}") from exc
    classes = tuple(meta["classes"])
    head = LinearHead(classes, coef, intercept)
    thresholds = {c: float(t) for c, t in zip(classes, thr, strict=True) if c != NONE}
    return _Parts(head, thresholds, meta["settings"])


@cache
def shared_risk_model() -> RiskModel:
    """The process's one risk head (it shares the engine's sentence encoder)."""
    return RiskModel()


# ----------------------------------------------------------------------------- combining


def _evidence(text: str) -> tuple[str, tuple[int, int]]:
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return text[start:end], (start, end)


def not_current_cue(text: str) -> bool:
    """Whether the sentence holds a negation, hypothetical or historical ConText cue."""
    return any(m.category in _NOT_CURRENT_CUES for m in context.analyze(text).all_modifiers())


def model_kinds(
    text: str,
    role: str | None,
    proba: Mapping[str, float],
    thresholds: Mapping[str, float],
    rule_findings: Sequence[RiskFinding],
    settings: Mapping[str, Any],
    cue: bool | None = None,
) -> list[str]:
    """The kinds the model adds to the rules' findings for one sentence (see the module doc).

    ``settings``: ``defer_all`` (a non-current rule finding of any kind silences the model),
    ``cue_gate`` (so does a negation / hypothetical / historical cue) and ``other_gate`` (so
    does someone else as the subject, :func:`other_subject_cue`); ``cue``: the
    value of :func:`not_current_cue` if already known.
    """
    if _is_therapist(role) or not text.strip():
        return []
    ruled = {f.kind for f in rule_findings}
    if settings["defer_all"] and any(not f.current for f in rule_findings):
        return []
    if settings["cue_gate"] and (not_current_cue(text) if cue is None else cue):
        return []
    if settings.get("other_gate") and other_subject_cue(text):
        return []
    return [k for k in KINDS if k not in ruled and proba.get(k, 0.0) >= thresholds[k]]


def second_opinion(
    text: str,
    role: str | None = "client",
    embedding: NDArray[np.float32] | None = None,
    *,
    model: RiskModel | None = None,
    rule_findings: Sequence[RiskFinding] | None = None,
) -> list[RiskFinding]:
    """The model's findings for one sentence that the rules do not already make.

    ``embedding``: the sentence's MiniLM vector if the caller has it (else it is computed);
    ``rule_findings``: ``detect_risk(text, role)`` if the caller has already run it.
    Each finding quotes the whole sentence and is marked ``modifiers == ("model",)``.
    """
    if _is_therapist(role) or not text.strip():
        return []
    model = model or shared_risk_model()
    rules = detect_risk(text, role) if rule_findings is None else rule_findings
    vectors = None if embedding is None else np.asarray(embedding, dtype=np.float32).reshape(1, -1)
    proba = model.predict([text], [role], vectors)[0]
    kinds = model_kinds(text, role, proba, model.thresholds, rules, model.settings)
    cue, span = _evidence(text)
    return [
        RiskFinding(
            kind=k,
            severity=SEVERITY,
            current=True,
            status="current",
            cue=cue,
            span=span,
            modifiers=(MODEL_MARK,),
        )
        for k in kinds
    ]


def detect_risk_with_model(
    text: str,
    role: str | None = "client",
    embedding: NDArray[np.float32] | None = None,
    *,
    model: RiskModel | None = None,
) -> list[RiskFinding]:
    """The rules' findings plus the model's second opinion, in text order."""
    rules = detect_risk(text, role)
    extra = second_opinion(text, role, embedding, model=model, rule_findings=rules)
    return sorted([*rules, *extra], key=lambda f: (f.span, f.kind))


def is_model_finding(finding: RiskFinding) -> bool:
    return MODEL_MARK in finding.modifiers


# ----------------------------------------------------------------------------- training

ROOT = Path(__file__).resolve().parents[1]
RISK_SET = ROOT / "benchmarks" / "data" / "risk_utterances.jsonl"
# Further labelled utterances written while probing the rules (training data only)
EXTRA_SET = ROOT / "benchmarks" / "data" / "risk_probe_utterances.jsonl"
# A large written training set (current positives in many spoken styles and, for most, hard
# negatives sharing their vocabulary; training data only)
WRITTEN_SET = ROOT / "benchmarks" / "data" / "risk_training_written.jsonl"
# The first blind set, used once for its evaluation and since then training data
FRESH_SET = ROOT / "benchmarks" / "data" / "risk_utterances_fresh.jsonl"
POOLS = ("set", "probe", "written", "fresh", "benign")
N_BENIGN = 1500
# Rows of the labelled set whose text also appears in the (formerly held-out) fresh set:
# left out so that no text sits in two CV groups (the fresh set's copies are kept).
HELD_OUT_DUPLICATES = frozenset(
    [
        "annomi-95-17",
        "annomi-107-15",
        "mts-valid-86-1",
        "annomi-95-5",
        "annomi-107-17",
        "annomi-98-35",
        "annomi-55-33",
        "mts-valid-30-3",
        "mts-train-895-24",
        "annomi-21-101",
        "annomi-85-109",
        "annomi-56-27",
        "annomi-68-121",
        "annomi-21-129",
        "mts-train-65-3",
        "mts-valid-32-5",
        "mts-train-178-10",
        "annomi-68-105",
        "mts-train-822-3",
        "mts-train-391-5",
        "mts-train-1137-6",
        "mts-train-687-4",
        "annomi-52-5",
        "annomi-111-28",
    ]
)
# A benign AnnoMI utterance has none of these (beyond the rules finding nothing in it).
_RISK_WORDS = re.compile(
    r"suicid|kill|die\b|dying|dead|death|end (?:it|my life)|harm|hurt|cut(?:s|ting)?\b|burn"
    r"|blood|bleed|wrist|razor|overdos|\bod\b|pills?\b|hang|jump|gun|knife|weapon|shoot|stab"
    r"|murder|violen|abus|neglect|hit(?:s|ting)?\b|beat|slap|punch|kick|chok|rape|touch"
    r"|molest|assault|threat|afraid|scared|unsafe|safe\b|drunk|blackout|black(?:ed)? out"
    r"|passed out|withdraw|seizure|heroin|fentanyl|meth\b|cocaine|driv|worthless|hopeless"
    r"|burden|disappear|gone\b|not here|wake up",
    re.IGNORECASE,
)

# Chosen by grouped 5-fold CV (``--train --select`` prints the grid; see the module doc).
SETTINGS: dict[str, Any] = {
    "C": 4.0,
    "cues": True,
    "defer_all": False,
    "cue_gate": False,
    "other_gate": True,
    "threshold": 0.9,
}
SELECT_GRID: dict[str, tuple[Any, ...]] = {
    "C": (1.0, 4.0, 16.0),
    "cues": (False, True),
    "defer_all": (False, True),
    "cue_gate": (False, True),
    "other_gate": (False, True),
}
THRESHOLDS = tuple(round(0.1 + 0.05 * i, 2) for i in range(18))  # 0.10 … 0.95

PROBES = [
    ("I've been thinking about offing myself lately.", "client"),
    ("I would never off myself, I love my kids too much.", "client"),
    ("Have you had thoughts of ending your life?", "therapist"),
    ("We went to the lake on Sunday and had a picnic.", "client"),
]


@dataclass(slots=True)
class Example:
    id: str
    text: str
    role: str | None
    label: str  # NONE or a kind
    also: tuple[str, ...]
    group: str
    scored: str  # one of POOLS: which CV pool it belongs to


def _group_of(item: dict[str, Any], by_id: Mapping[str, dict[str, Any]]) -> str:
    seen = {item["id"]}
    while item.get("variant_of") and item["variant_of"] in by_id:
        item = by_id[item["variant_of"]]
        if item["id"] in seen:
            break
        seen.add(item["id"])
    return str(item["id"])


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_examples(testdata: Path | None = None, n_benign: int = N_BENIGN) -> list[Example]:
    """The training examples, in a fixed order."""
    items = _read_jsonl(RISK_SET)
    by_id = {i["id"]: i for i in items}
    out = [
        Example(
            i["id"],
            i["text"],
            i.get("role", "client"),
            i["label"],
            tuple(i.get("also") or ()),
            "set:" + _group_of(i, by_id),
            "set",
        )
        for i in items
        if i["id"] not in HELD_OUT_DUPLICATES
    ]
    out += [
        Example(r["id"], r["text"], r["role"], r["label"], (), "probe:" + r["id"], "probe")
        for r in _read_jsonl(EXTRA_SET)
    ]
    taken = {i["source"] for i in items}
    for pool, path in (("written", WRITTEN_SET), ("fresh", FRESH_SET)):
        rows = _read_jsonl(path)
        ids = {r["id"]: r for r in rows}
        taken |= {str(r.get("source")) for r in rows}
        out += [
            Example(
                r["id"],
                r["text"],
                r.get("role", "client"),
                r["label"],
                tuple(r.get("also") or ()),
                f"{pool}:" + _group_of(r, ids),
                pool,
            )
            for r in rows
        ]
    out += benign_annomi(testdata, n_benign, taken)
    return out


def benign_annomi(testdata: Path | None, n: int, taken: set[str]) -> list[Example]:
    """``n`` AnnoMI utterances (a fixed crc32 order) with no risk word and no rule finding."""
    if testdata is None:
        from note_builder.train import testdata as _testdata

        testdata = _testdata()
    with (testdata / "therapy/annomi/AnnoMI-simple.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keyed = []
    for r in rows:
        key = f"annomi:{r['transcript_id']}:{r['utterance_id']}"
        keyed.append((zlib.crc32(key.encode()), key, r))
    keyed.sort(key=lambda x: (x[0], x[1]))
    out: list[Example] = []
    for _, key, r in keyed:
        text, role = r["utterance_text"].strip(), r["interlocutor"]
        if key in taken or len(text.split()) < 2 or _RISK_WORDS.search(text):
            continue
        if detect_risk(text, role):
            continue
        out.append(Example(key, text, role, NONE, (), f"annomi:{r['transcript_id']}", "benign"))
        if len(out) == n:
            break
    return out


def _fit(x: Matrix, y: NDArray[np.str_], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    return model


def _proba_dicts(model: Any, x: Matrix) -> list[dict[str, float]]:
    return [
        {str(c): float(p) for c, p in zip(model.classes_, row, strict=True)}
        for row in model.predict_proba(x)
    ]


def union_score(
    ex: Sequence[Example],
    rules: Sequence[Sequence[RiskFinding]],
    proba: Sequence[Mapping[str, float]] | None,
    settings: Mapping[str, Any],
    cues: Sequence[bool],
    pools: Sequence[str] = POOLS,
) -> dict[str, float]:
    """Micro P/R (as ``benchmarks.bench_risk`` scores) of the rules, or of rules OR model."""
    tp = fp = fn = alone = 0
    thresholds = dict.fromkeys(KINDS, float(settings["threshold"]))
    for i, e in enumerate(ex):
        if e.scored not in pools:
            continue
        predicted = {f.kind for f in rules[i] if f.current}
        if proba is not None:
            added = model_kinds(e.text, e.role, proba[i], thresholds, rules[i], settings, cues[i])
            predicted |= set(added)
            # as if the rules had not known the phrasing: the model's own recall
            unruled = [f for f in rules[i] if f.kind != e.label]
            alone += e.label in model_kinds(
                e.text, e.role, proba[i], thresholds, unruled, settings, cues[i]
            )
        allowed = {e.label, *e.also}
        fp += len(predicted - allowed)
        if e.label in KINDS:
            tp += e.label in predicted
            fn += e.label not in predicted
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    model_recall = alone / (tp + fn) if proba is not None and tp + fn else float("nan")
    return {"precision": p, "recall": r, "tp": tp, "fp": fp, "fn": fn, "model_recall": model_recall}


def _folds(ex: Sequence[Example]) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    from sklearn.model_selection import GroupKFold

    groups = [e.group for e in ex]
    return list(GroupKFold(5).split(np.zeros(len(ex)), groups=groups))


def out_of_fold(ex: Sequence[Example], emb: Matrix, c: float, cues: bool) -> list[dict[str, float]]:
    """Each example's probabilities from the head fitted on the other four folds."""
    x = features(emb, [e.role for e in ex], [e.text for e in ex], cues)
    out: list[dict[str, float]] = [{} for _ in ex]
    for tr, te in _folds(ex):
        model = _fit(*_expand_also([ex[i] for i in tr], x[tr]), c)
        for i, p in zip(te, _proba_dicts(model, x[te]), strict=True):
            out[int(i)] = p
    return out


def _target(e: Example) -> str:
    """The class an example trains as: its label, or for a ``none`` row its first ``also``."""
    return e.also[0] if e.label == NONE and e.also else e.label


def _expand_also(ex: Sequence[Example], x: Matrix) -> tuple[Matrix, NDArray[np.str_]]:
    """Each further ``also`` kind of a row is one more positive row (same features)."""
    extra = [(i, k) for i, e in enumerate(ex) for k in e.also if k != _target(e)]
    xs = [x, x[[i for i, _ in extra]]] if extra else [x]
    ys = [_target(e) for e in ex] + [k for _, k in extra]
    return np.vstack(xs), np.array(ys)


def select(
    ex: Sequence[Example],
    emb: Matrix,
    rules: Sequence[Sequence[RiskFinding]],
    cues: Sequence[bool],
) -> tuple[dict[str, Any], list[str]]:
    """The settings at which the union "rules OR model" keeps CV precision ≥ 0.9 (over all
    the pools) with the highest CV recall; ties: the higher recall of the model alone (gated
    as in :func:`model_kinds`, the rules' finding of the labelled kind set aside), then the
    higher precision, then the earlier grid point.

    On the labelled set alone the rules (written on those very rows) find all but one
    positive; the written and fresh pools hold phrasings the rules do not know, so the
    union's recall on the whole pool can choose."""
    lines: list[str] = []
    best: tuple[float, float, float] | None = None
    chosen = dict(SETTINGS)
    gates = product(SELECT_GRID["defer_all"], SELECT_GRID["cue_gate"], SELECT_GRID["other_gate"])
    gate_grid = list(gates)
    for c, with_cues in product(SELECT_GRID["C"], SELECT_GRID["cues"]):
        proba = out_of_fold(ex, emb, c, with_cues)
        for defer_all, cue_gate, other_gate in gate_grid:
            top: dict[str, Any] | None = None
            for t in THRESHOLDS:
                cfg = {
                    "C": c,
                    "cues": with_cues,
                    "defer_all": defer_all,
                    "cue_gate": cue_gate,
                    "other_gate": other_gate,
                    "threshold": t,
                }
                s = union_score(ex, rules, proba, cfg, cues)
                if s["precision"] < MIN_CV_PRECISION:
                    continue
                key = (s["recall"], s["model_recall"], s["precision"])
                if top is None or key > (top["recall"], top["model_recall"], top["precision"]):
                    top = {**s, "threshold": t}
                if best is None or key > best:
                    best, chosen = key, cfg
            at = (
                f"best t {top['threshold']:.2f}: P {top['precision']:.3f} R {top['recall']:.3f} "
                f"model-alone R {top['model_recall']:.3f}"
                if top
                else "no threshold reaches the precision"
            )
            lines.append(
                f"C {c:5.2f} cues {with_cues!s:5s} defer_all {defer_all!s:5s} "
                f"cue_gate {cue_gate!s:5s} other_gate {other_gate!s:5s} {at}"
            )
    return chosen, lines


def cv_table(
    ex: Sequence[Example],
    emb: Matrix,
    rules: Sequence[Sequence[RiskFinding]],
    cues: Sequence[bool],
    cfg: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """CV P/R of rules alone and of the union at the chosen settings, per pool."""
    proba = out_of_fold(ex, emb, cfg["C"], cfg["cues"])
    table = []
    for pools in (("set",), ("set", "probe"), ("written",), ("fresh",), POOLS):
        for name, pr in (("rules", None), ("rules+model", proba)):
            s = union_score(ex, rules, pr, cfg, cues, pools)
            table.append({"pool": "+".join(pools), "system": name, **s})
    return table


def train(
    encoder: SentenceEncoder | None = None, select_settings: bool = False, write: bool = True
) -> dict[str, Any]:
    """Fit the head on all the training examples; returns the metadata written."""
    enc = encoder or _shared_encoder()
    ex = load_examples()
    emb = enc.encode([e.text for e in ex])
    rules = [detect_risk(e.text, e.role) for e in ex]
    cues = [not_current_cue(e.text) for e in ex]
    counts = {k: int(sum(e.label == k for e in ex)) for k in CLASSES}
    print(f"risk_head: {len(ex)} examples {counts}", flush=True)
    cfg = dict(SETTINGS)
    if select_settings:
        cfg, lines = select(ex, emb, rules, cues)
        for line in lines:
            print(f"  select {line}", flush=True)
        print(f"  chosen {cfg}", flush=True)
    table = cv_table(ex, emb, rules, cues, cfg)
    for row in table:
        print(
            f"  CV {row['pool']:18s} {row['system']:12s} P {row['precision']:.3f} "
            f"R {row['recall']:.3f} (tp {row['tp']} fp {row['fp']} fn {row['fn']}) "
            f"model-alone R {row['model_recall']:.3f}",
            flush=True,
        )
    x = features(emb, [e.role for e in ex], [e.text for e in ex], cfg["cues"])
    xa, ya = _expand_also(ex, x)
    model = _fit(xa, ya, cfg["C"])
    classes = [str(c) for c in model.classes_]
    if sorted(classes) != sorted(CLASSES):
        raise AssertionError("a class is missing from the training data")
    texts, roles = [t for t, _ in PROBES], [r for _, r in PROBES]
    probe_x = features(enc.encode(texts), roles, texts, cfg["cues"])
    probes = [
        {"text": t, "role": r, "proba": [round(float(v), 6) for v in p]}
        for (t, r), p in zip(PROBES, model.predict_proba(probe_x), strict=True)
    ]
    meta = {
        "classes": classes,
        "settings": cfg,
        "n_examples": len(ex),
        "class_counts": counts,
        "cv": table,
        "probes": probes,
    }
    if write:
        thresholds = np.array(
            [0.0 if c == NONE else cfg["threshold"] for c in classes], dtype=np.float32
        )
        WEIGHTS_DIR.mkdir(exist_ok=True)
        np.savez_compressed(
            WEIGHTS_DIR / f"{NAME}.npz",
            coef=model.coef_.astype(np.float32),
            intercept=model.intercept_.astype(np.float32),
            thresholds=thresholds,
        )
        (WEIGHTS_DIR / f"{NAME}.json").write_text(json.dumps(meta, indent=1) + "\n")
        print(f"{NAME}: {len(classes)} classes, {model.coef_.shape[1]} features", flush=True)
    return meta


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--train", action="store_true", help="fit and write weights/risk_head")
    parser.add_argument("--select", action="store_true", help="first choose settings by CV")
    args = parser.parse_args(argv)
    if not args.train:
        parser.error("nothing to do: pass --train")
    train(select_settings=args.select)


if __name__ == "__main__":
    main()
