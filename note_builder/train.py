"""Retrain the note builder's classifiers from the test data; writes ``note_builder/weights``.

    python -m note_builder.train            # fit the chosen settings, write the weights
    python -m note_builder.train --select   # first print the 5-fold CV that chose them

* ``headers``: MTS-Dialog training set only (validation is for the benchmark).
* ``soap``: ACI-Bench train and MTS-Dialog training sentences, weakly labelled
  (``soap_examples``: each sentence aligned to its own reference note), never the validation sets.
* ``interventions``: every AnnoMI therapist utterance (the benchmark does its own CV).
* ``risk``: the fine-tuned risk classifier, ``note_builder.risk_tuning.train`` (its own
  data; it then scores the development pools and chooses its settings there;
  ``--reselect`` only chooses them again, with the stored members; ``--add-member SEED``
  trains one member and puts it beside the stored ones).

Deterministic: fixed folds, lbfgs (no randomness), the encoder in inference mode. The
numpy TF-IDF is checked against scikit-learn's on ~600 training texts per model, and a few
probe inputs' scikit-learn probabilities are stored for the tests to compare with.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, hstack, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, StratifiedKFold

from note_builder.embeddings import (
    TOKEN_PATTERN,
    WEIGHTS_DIR,
    SentenceEncoder,
    TfidfFeatures,
    shared_encoder,
)
from note_builder.sections import (
    MTS_HEADERS,
    SOAP_CLASSES,
    SOAP_OF_HEADER,
    Turn,
    dialogue_embeddings,
    dialogue_words,
    parse_dialogue,
    role_onehot,
)

ROOT = Path(__file__).resolve().parents[1]
Folds = list[tuple[NDArray[np.int64], NDArray[np.int64]]]
Dense = NDArray[np.float32]

# --- the corpora, read from $COMPANION_TESTDATA ---------------------------------------

ALIGN_MIN_COSINE = 0.5  # a dialogue sentence this close to a note sentence takes its label
MIN_WORDS = 3  # shorter sentences ("okay.", "yes, no") are "none": alone they say nothing
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# fmt: off
_SUBJECTIVE = (
    "CHIEF COMPLAINT", "CC", "HISTORY OF PRESENT ILLNESS", "HPI", "REVIEW OF SYSTEMS", "ROS",
    "SOCIAL HISTORY", "FAMILY HISTORY", "MEDICATIONS", "CURRENT MEDICATIONS", "ALLERGIES",
    "MEDICAL HISTORY", "PAST HISTORY", "PAST MEDICAL HISTORY", "SURGICAL HISTORY",
    "PAST SURGICAL HISTORY", "BIRTH HISTORY",
)
_OBJECTIVE = (
    "PHYSICAL EXAM", "PHYSICAL EXAMINATION", "EXAM", "RESULTS", "VITALS", "VITALS REVIEWED",
    "PROCEDURE",
)
# fmt: on
DIVISION_OF_NOTE_HEADER: dict[str, str] = {
    **dict.fromkeys(_SUBJECTIVE, "subjective"),
    **dict.fromkeys(_OBJECTIVE, "objective"),
    "ASSESSMENT": "assessment",
    "IMPRESSION": "assessment",
    "PLAN": "plan",
    "INSTRUCTIONS": "plan",
    "ASSESSMENT AND PLAN": "",  # split per sentence: see ``_assessment_or_plan``
}
# ACI-Bench's labelled items under ASSESSMENT AND PLAN; only the reasoning is assessment.
_AP_ITEM = re.compile(
    r"^[•*-]?\s*(medical reasoning|additional testing|medical treatment|specialist referrals?"
    r"|patient education and counseling|patient agreements|diagnostic testing"
    r"|surgical intervention)\s*:\s*",
    re.IGNORECASE,
)
_PLAN_CUE = re.compile(
    r"\b(will|plan|recommend|advis|continu|start|initiat|order|prescri|refer|follow[- ]?up"
    r"|schedul|return|increas|decreas|discontinu|stop|counsel|encourag|educat|instruct"
    r"|obtain|repeat)",
    re.IGNORECASE,
)


def testdata() -> Path:
    path = Path(os.environ.get("COMPANION_TESTDATA", ROOT.parent / "shared" / "testdata"))
    if not path.is_dir():
        raise SystemExit(f"test data not found at {path}; set COMPANION_TESTDATA")
    return path


def _rows(relative: str) -> list[dict[str, str]]:
    with (testdata() / relative).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True, slots=True)
class MtsDialogue:
    header: str
    section_text: str
    turns: list[Turn]


def load_mts(split: str) -> list[MtsDialogue]:
    """MTS-Dialog ``train`` (1,201) or ``valid`` (100) dialogues."""
    name = {"train": "TrainingSet", "valid": "ValidationSet"}[split]
    rows = _rows(f"clinical/mts-dialog/MTS-Dialog-{name}.csv")
    return [
        MtsDialogue(r["section_header"], r["section_text"], parse_dialogue(r["dialogue"]))
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class AciEncounter:
    turns: list[Turn]
    note: str


def detokenize(text: str) -> str:
    """ACI-Bench's tokenized turns ("i do n't know .") as ordinary text."""
    text = re.sub(r"\s+([.,?!;:])", r"\1", text)
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    return re.sub(r"\b(gon|wan) na\b", r"\1na", text)


def load_aci(split: str) -> list[AciEncounter]:
    """ACI-Bench ``train`` (67) or ``valid`` (20) encounters."""
    out = []
    for r in _rows(f"clinical/aci-bench/{split}.csv"):
        turns = [Turn(t.role, detokenize(t.text)) for t in parse_dialogue(r["dialogue"])]
        out.append(AciEncounter(turns, r["note"]))
    return out


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _assessment_or_plan(sentence: str, item: str | None) -> str:
    if item is not None:
        return "assessment" if item == "medical reasoning" else "plan"
    return "plan" if _PLAN_CUE.search(sentence) else "assessment"


def note_divisions(note: str) -> list[tuple[str, str]]:
    """(division, sentence) for each sentence of an ACI-Bench note under a known header."""
    out: list[tuple[str, str]] = []
    division: str | None = None
    for line in note.replace("\r", "").split("\n"):
        line = line.strip()
        key = line.rstrip(":").strip()
        if key.isupper() and key in DIVISION_OF_NOTE_HEADER:
            division = DIVISION_OF_NOTE_HEADER[key]
            continue
        if division is None or not line:
            continue
        item: str | None = None
        for sentence in split_sentences(line):
            if m := _AP_ITEM.match(sentence):
                item, sentence = m.group(1).lower(), sentence[m.end() :]
            sentence = re.sub(r"^[•*\-\d.)\s]+", "", sentence)
            if sentence:
                out.append((division or _assessment_or_plan(sentence, item), sentence))
    return out


@dataclass(frozen=True, slots=True)
class SoapExamples:
    texts: list[str]
    roles: list[str | None]
    labels: list[str]
    groups: list[int]  # the encounter or dialogue each sentence comes from
    embeddings: Dense

    def __add__(self, other: SoapExamples) -> SoapExamples:
        shift = max(self.groups, default=-1) + 1
        return SoapExamples(
            self.texts + other.texts,
            self.roles + other.roles,
            self.labels + other.labels,
            self.groups + [g + shift for g in other.groups],
            np.vstack([self.embeddings, other.embeddings]),
        )


def _reference(item: AciEncounter | MtsDialogue) -> list[tuple[str, str]]:
    if isinstance(item, AciEncounter):
        return note_divisions(item.note)
    label = SOAP_OF_HEADER[item.header]
    return [(label, s) for s in split_sentences(" ".join(item.section_text.split()))]


def soap_examples(
    items: Sequence[AciEncounter | MtsDialogue], enc: SentenceEncoder
) -> SoapExamples:
    """Each dialogue sentence, labelled with the division of the most similar sentence of
    its own reference note (cosine ≥ ``ALIGN_MIN_COSINE``), else ``none``."""
    sents = [[(t.role, s) for t in it.turns for s in split_sentences(t.text)] for it in items]
    refs = [_reference(it) for it in items]
    emb = enc.encode([s for ss in sents for _, s in ss])
    ref_emb = enc.encode([s for rr in refs for _, s in rr])
    labels: list[str] = []
    i = j = 0
    for ss, rr in zip(sents, refs, strict=True):
        sim = emb[i : i + len(ss)] @ ref_emb[j : j + len(rr)].T
        for k, (_, s) in enumerate(ss):
            best = int(sim[k].argmax()) if rr else -1
            ok = best >= 0 and sim[k, best] >= ALIGN_MIN_COSINE and len(s.split()) >= MIN_WORDS
            labels.append(rr[best][0] if ok else "none")
        i, j = i + len(ss), j + len(rr)
    flat = [x for ss in sents for x in ss]
    groups = [g for g, ss in enumerate(sents) for _ in ss]
    return SoapExamples([s for _, s in flat], [r for r, _ in flat], labels, groups, emb)


@dataclass(frozen=True, slots=True)
class TherapistTurn:
    transcript_id: int
    text: str
    label: str  # AnnoMI main_therapist_behaviour
    previous_client: str  # the client's utterance just before, "" if the therapist spoke


def annomi_therapist_turns() -> list[TherapistTurn]:
    """Every AnnoMI therapist utterance, in transcript order."""
    rows = _rows("therapy/annomi/AnnoMI-simple.csv")
    rows.sort(key=lambda r: (int(r["transcript_id"]), int(r["utterance_id"])))
    out: list[TherapistTurn] = []
    previous: dict[int, str] = {}
    for r in rows:
        tid = int(r["transcript_id"])
        if r["interlocutor"] == "client":
            previous[tid] = r["utterance_text"]
            continue
        text, label = r["utterance_text"], r["main_therapist_behaviour"]
        out.append(TherapistTurn(tid, text, label, previous.pop(tid, "")))
    return out


# --- fitting ----------------------------------------------------------------------------

# Chosen by ``--select``: 5-fold CV on the training data only; the highest accuracy, and
# within 0.005 of it the highest macro-F1. (Scaling the embedding by 0.7 or 2 never won.)
HEADERS: dict[str, Any] = {
    "blocks": ["whole", "mean"],
    "C": 10.0,
    "embedding_scale": 1.0,
    "balanced": True,
}
SOAP: dict[str, Any] = {"C": 1.0, "embedding_scale": 1.0, "mts_weight": 0.2}
# The client's previous utterance as a feature lowered CV accuracy (--select shows it).
INTERVENTIONS: dict[str, Any] = {"C": 1.0, "embedding_scale": 1.0}


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True, min_df=2
    )


def design(tfidf_rows: spmatrix, dense: Dense) -> csr_matrix:
    """The training-time twin of the numpy feature builders: [TF-IDF | dense blocks]."""
    return hstack([tfidf_rows, csr_matrix(dense)]).tocsr()


def fit(
    texts: Sequence[str],
    dense: Dense,
    y: NDArray[np.str_],
    c: float,
    weight: Dense | None = None,
    balanced: bool = False,
) -> tuple[TfidfVectorizer, LogisticRegression]:
    vec = vectorizer()
    x = design(vec.fit_transform(texts), dense)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit(x, np.asarray(y), sample_weight=weight)
    return vec, model


def cross_validate(
    texts: Sequence[str],
    dense: Dense,
    y: NDArray[np.str_],
    folds: Folds,
    c: float,
    weight: Dense | None = None,
    balanced: bool = False,
) -> tuple[float, float]:
    """Accuracy and macro-F1 over the pooled out-of-fold predictions."""
    pred: list[str] = []
    gold: list[str] = []
    for tr, te in folds:
        w = None if weight is None else weight[tr]
        vec, model = fit([texts[i] for i in tr], dense[tr], y[tr], c, w, balanced)
        pred += list(model.predict(design(vec.transform([texts[i] for i in te]), dense[te])))
        gold += list(y[te])
    return float(accuracy_score(gold, pred)), float(f1_score(gold, pred, average="macro"))


def export(
    name: str,
    vec: TfidfVectorizer,
    model: LogisticRegression,
    settings: dict[str, Any],
    probes: list[dict[str, Any]],
    probe_x: csr_matrix,
    texts: Sequence[str],
) -> None:
    """Write ``<name>.npz`` (coef, intercept, idf) and ``<name>.json`` (the rest)."""
    terms = [""] * len(vec.vocabulary_)
    for term, col in vec.vocabulary_.items():
        terms[col] = term
    ours = TfidfFeatures.from_weights(terms, vec.idf_)
    sample = list(texts[:: max(1, len(texts) // 600)])
    gap = max(
        float(np.abs(ours.transform(chunk) - vec.transform(chunk).toarray()).max())
        for chunk in (sample[i : i + 100] for i in range(0, len(sample), 100))
    )
    if gap > 1e-5:
        raise AssertionError(f"numpy TF-IDF differs from scikit-learn's by {gap:g}")
    for probe, p in zip(probes, model.predict_proba(probe_x), strict=True):
        probe["proba"] = [round(float(v), 6) for v in p]
    WEIGHTS_DIR.mkdir(exist_ok=True)
    np.savez_compressed(
        WEIGHTS_DIR / f"{name}.npz",
        coef=model.coef_.astype(np.float32),
        intercept=model.intercept_.astype(np.float32),
        idf=vec.idf_.astype(np.float32),
    )
    meta = {
        **settings,
        "classes": [str(c) for c in model.classes_],
        "tfidf": {"ngram_max": 2, "sublinear": True, "terms": terms},
        "probes": probes,
    }
    (WEIGHTS_DIR / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False) + "\n")
    print(f"{name}: {len(model.classes_)} classes, {len(terms)} terms", flush=True)


def header_dense(
    turns: Sequence[Sequence[Turn]], enc: SentenceEncoder, cfg: dict[str, Any]
) -> Dense:
    blocks = dialogue_embeddings(turns, enc, cfg["blocks"])
    return np.hstack([cfg["embedding_scale"] * blocks[b] for b in cfg["blocks"]])


HEADER_PROBES = [
    "Doctor: Are you allergic to any medications?\nPatient: Yes, penicillin gives me hives.",
    "Doctor: What medications are you taking?\nPatient: Lisinopril and metformin.",
    "Doctor: Did anyone in your family have cancer?\nPatient: My mother had breast cancer.",
]


def train_headers(enc: SentenceEncoder, select: bool) -> None:
    data = load_mts("train")
    turns = [d.turns for d in data]
    words = [dialogue_words(t) for t in turns]
    y = np.array([d.header for d in data])
    if select:
        parts = dialogue_embeddings(turns, enc)
        folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(words, y))
        blocks_c_balanced = product(
            (["whole"], ["mean"], ["whole", "mean"]), (10.0, 30.0), (False, True)
        )
        for blocks, c, balanced in blocks_c_balanced:
            dense = np.hstack([parts[b] for b in blocks])
            acc, f1 = cross_validate(words, dense, y, folds, c, balanced=balanced)
            print(
                f"headers CV {'+'.join(blocks):10s} C {c:4.0f} balanced {balanced!s:5s}: "
                f"acc {acc:.3f} macro-F1 {f1:.3f}",
                flush=True,
            )
    dense = header_dense(turns, enc, HEADERS)
    vec, model = fit(words, dense, y, HEADERS["C"], balanced=HEADERS["balanced"])
    assert set(model.classes_) == set(MTS_HEADERS)
    probe_turns = [parse_dialogue(p) for p in HEADER_PROBES]
    probe_x = design(
        vec.transform([dialogue_words(t) for t in probe_turns]),
        header_dense(probe_turns, enc, HEADERS),
    )
    probes = [{"dialogue": p} for p in HEADER_PROBES]
    export("headers", vec, model, HEADERS, probes, probe_x, words)


def soap_dense(embeddings: Dense, roles: Sequence[str | None], scale: float) -> Dense:
    return np.hstack([scale * embeddings, role_onehot(roles)])


SOAP_PROBES = [
    ("The plan is to start sertraline 50 mg.", "clinician"),
    ("On exam your lungs are clear.", "clinician"),
    ("I've been having headaches for two weeks.", "patient"),
    ("How was the traffic?", "clinician"),
]


def train_soap(enc: SentenceEncoder, select: bool) -> None:
    aci = soap_examples(load_aci("train"), enc)
    mts = soap_examples(load_mts("train"), enc)
    ex = aci + mts
    y = np.array(ex.labels)
    weight = np.ones(len(ex.texts), dtype=np.float32)
    weight[len(aci.texts) :] = SOAP["mts_weight"]
    dense = soap_dense(ex.embeddings, ex.roles, SOAP["embedding_scale"])
    if select:
        # Folds over ACI encounters; MTS sentences only ever train (they are scored on ACI).
        n_aci = len(aci.texts)
        mts_idx = np.arange(n_aci, len(ex.texts))
        gkf = GroupKFold(5).split(aci.texts, aci.labels, aci.groups)
        folds = [(np.concatenate([tr, mts_idx]), te) for tr, te in gkf]
        aci_only = [(tr[tr < n_aci], te) for tr, te in folds]
        for label, fl, w in (("ACI only", aci_only, None), ("ACI+MTS", folds, weight)):
            for c in (1.0, 10.0):
                acc, f1 = cross_validate(ex.texts, dense, y, fl, c, w)
                print(f"soap CV {label:8s} C {c:4.0f}: acc {acc:.3f} macro-F1 {f1:.3f}", flush=True)
    vec, model = fit(ex.texts, dense, y, SOAP["C"], weight)
    assert tuple(sorted(model.classes_)) == tuple(sorted(SOAP_CLASSES))
    texts, roles = [t for t, _ in SOAP_PROBES], [r for _, r in SOAP_PROBES]
    probe_dense = soap_dense(enc.encode(texts), roles, SOAP["embedding_scale"])
    probe_x = design(vec.transform(texts), probe_dense)
    probes = [{"text": t, "role": r} for t, r in SOAP_PROBES]
    export("soap", vec, model, SOAP, probes, probe_x, ex.texts)


INTERVENTION_PROBES = [
    "So you're feeling stuck between wanting to quit and needing it to cope.",
    "What brings you in today?",
    "Drinking more than four drinks a day raises the risk of liver disease.",
    "Hi, nice to meet you.",
]


def train_interventions(enc: SentenceEncoder, select: bool) -> None:
    turns = annomi_therapist_turns()
    texts = [t.text for t in turns]
    y = np.array([t.label for t in turns])
    emb = enc.encode(texts)
    if select:
        prev = enc.encode([t.previous_client for t in turns])
        prev *= np.array([[bool(t.previous_client)] for t in turns], dtype=np.float32)
        folds = list(GroupKFold(5).split(texts, y, [t.transcript_id for t in turns]))
        for context in (False, True):
            for c in (0.5, 1.0, 4.0):
                dense = np.hstack([emb, prev]) if context else emb
                acc, f1 = cross_validate(texts, dense, y, folds, c)
                print(
                    f"interventions CV context {context!s:5s} C {c}: "
                    f"acc {acc:.3f} macro-F1 {f1:.3f}",
                    flush=True,
                )
    scale = INTERVENTIONS["embedding_scale"]
    vec, model = fit(texts, scale * emb, y, INTERVENTIONS["C"])
    probe_x = design(vec.transform(INTERVENTION_PROBES), scale * enc.encode(INTERVENTION_PROBES))
    probes = [{"text": t} for t in INTERVENTION_PROBES]
    export("interventions", vec, model, INTERVENTIONS, probes, probe_x, texts)


def train_risk(enc: SentenceEncoder, select: bool) -> None:
    """The risk classifier (``note_builder.risk_tuning``): ``risk_lora``."""
    from note_builder.risk_tuning import train

    del enc, select  # it fine-tunes its own copy of the encoder; it always selects
    train()


TRAINERS: dict[str, Callable[[SentenceEncoder, bool], None]] = {
    "headers": train_headers,
    "soap": train_soap,
    "interventions": train_interventions,
    "risk": train_risk,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", action="store_true", help="print the CV that chose settings")
    parser.add_argument(
        "--reselect",
        action="store_true",
        help="no training: choose the risk classifier's settings again on its development "
        "pools with the stored members",
    )
    parser.add_argument(
        "--add-member",
        type=int,
        metavar="SEED",
        help="train only the risk classifier's member with this seed (note_builder."
        "risk_tuning.MEMBERS), put it beside the stored ones, choose the settings again",
    )
    parser.add_argument("models", nargs="*", help=f"some of {', '.join(TRAINERS)} (default: all)")
    args = parser.parse_args(argv)
    if args.reselect:
        from note_builder.risk_tuning import reselect

        reselect()
        return
    if args.add_member is not None:
        from note_builder.risk_tuning import add_member

        add_member(args.add_member)
        return
    if unknown := set(args.models) - set(TRAINERS):
        parser.error(f"unknown model(s): {', '.join(sorted(unknown))}")
    enc = shared_encoder()
    for name in args.models or TRAINERS:
        TRAINERS[name](enc, args.select)


if __name__ == "__main__":
    main()
