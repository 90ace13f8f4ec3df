"""Note sections: MTS-Dialog header classification and SOAP sentence labels, with baselines.

Headers: accuracy and macro-F1 on the MTS-Dialog validation set (100 dialogues, never used
in training or model selection) of the shipped ``HeaderClassifier`` and three same-run
baselines: the majority class of the training set, hand-written keyword lists (first
match wins, else the majority class), and TF-IDF + linear SVM trained here on the
training set (scikit-learn defaults on the raw dialogue: the published baseline's recipe).
Published figures are printed beside them.

SOAP sentences: the shipped ``SoapSentenceClassifier`` on every ACI-Bench *valid* dialogue
sentence, weakly labelled as in training (``note_builder.train.soap_examples``: the
division of the most similar sentence of the encounter's own note, cosine ≥ 0.5, else
``none``); baseline: always the training set's majority label. Only figures are printed.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from note_builder.embeddings import shared_encoder
from note_builder.sections import (
    SOAP_CLASSES,
    HeaderClassifier,
    SoapSentenceClassifier,
    render_dialogue,
)
from note_builder.train import load_aci, load_mts, soap_examples

PUBLISHED = (
    ("TF-IDF + linear SVM, test set 1 / 2", "0.695 / 0.675"),
    ("MEDIQA-Chat 2023 Task A winner, test set 1", "0.78"),
    ("best MEDIQA-Sum 2023, test set 2", "≈ 0.80"),
    ("majority class, test set 1 / 2", "0.225 / 0.235"),
)
# Hand-written before looking at any result; the first header whose pattern matches wins.
KEYWORDS = (
    ("ALLERGY", r"allerg"),
    ("IMMUNIZATIONS", r"vaccin|immuniz|tetanus|flu shot"),
    ("MEDICATIONS", r"medication|medicine|taking|prescri|pills?\b|\bdose"),
    ("PASTSURGICAL", r"surger|operation|operated"),
    ("GYNHX", r"menstru|period|pregnan|pap smear|menopaus"),
    ("FAM/SOCHX", r"family|mother|father|sister|brother|smok|alcohol|drink|married|for work"),
    ("PASTMEDICALHX", r"medical history|medical problems|history of|diabetes|hypertension"),
    ("ROS", r"fever|chills|nausea|vomit|shortness of breath|cough|chest pain"),
    ("EXAM", r"examin|let me (check|look|listen|feel)|tender|palpat"),
    ("LABS", r"\blabs?\b|blood work|blood test"),
    ("IMAGING", r"x-ray|xray|\bmri\b|\bct\b|ultrasound|imaging|scan"),
    ("DIAGNOSIS", r"diagnos"),
    ("DISPOSITION", r"discharg|go home|admit"),
    ("EDCOURSE", r"emergency|\ber\b|ambulance"),
    ("PROCEDURES", r"procedure|incision|sutur"),
    ("PLAN", r"\bplan\b|we will|we'll|recommend|follow up"),
    ("ASSESSMENT", r"assess|i think you have|looks like"),
    ("CC", r"what brings you|chief complaint|what's wrong"),
)


def keyword_header(text: str, majority: str) -> str:
    lower = text.lower()
    return next((h for h, pat in KEYWORDS if re.search(pat, lower)), majority)


def scores(gold: Sequence[str], pred: Sequence[str]) -> tuple[float, float]:
    return float(accuracy_score(gold, pred)), float(f1_score(gold, pred, average="macro"))


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}" if base > 0 else "n/a"


def print_rows(rows: dict[str, tuple[float, float]], baseline: str) -> None:
    base_acc, base_f1 = rows[baseline]
    print(f"{'system':34s} {'accuracy':>8s} {'macro-F1':>8s}  ratio to {baseline} (acc, F1)")
    for name, (acc, f1) in rows.items():
        print(
            f"{name:34s} {acc:8.3f} {f1:8.3f}  {ratio(acc, base_acc):>5s} {ratio(f1, base_f1):>5s}"
        )


def bench_headers() -> None:
    train, valid = load_mts("train"), load_mts("valid")
    gold = [d.header for d in valid]
    majority = Counter(d.header for d in train).most_common(1)[0][0]
    t = time.perf_counter()
    ours = HeaderClassifier().classify([d.turns for d in valid])
    took = time.perf_counter() - t
    vec = TfidfVectorizer()
    x_train = vec.fit_transform([render_dialogue(d.turns) for d in train])
    svm = LinearSVC().fit(x_train, [d.header for d in train])
    keywords = [keyword_header(render_dialogue(d.turns), majority) for d in valid]
    svm_pred = svm.predict(vec.transform([render_dialogue(d.turns) for d in valid]))
    rows = {
        "HeaderClassifier (shipped)": scores(gold, ours),
        "TF-IDF + linear SVM (this run)": scores(gold, list(svm_pred)),
        "keyword lists": scores(gold, keywords),
        f"majority class ({majority})": scores(gold, [majority] * len(valid)),
    }
    print(f"MTS-Dialog validation: {len(valid)} dialogues, 20 headers; ours took {took:.1f} s")
    print_rows(rows, "TF-IDF + linear SVM (this run)")
    print("\npublished (MTS-Dialog test sets, accuracy):")
    for name, figure in PUBLISHED:
        print(f"  {name:44s} {figure}")


def bench_soap() -> None:
    enc = shared_encoder()
    train_labels = soap_examples(load_aci("train"), enc).labels
    majority = Counter(train_labels).most_common(1)[0][0]
    ex = soap_examples(load_aci("valid"), enc)
    pred = SoapSentenceClassifier(enc).classify(ex.texts, ex.roles)
    counts = Counter(ex.labels)
    print(
        f"\nACI-Bench valid: {len(ex.texts)} dialogue sentences in {len(set(ex.groups))} "
        "encounters, weakly labelled: " + ", ".join(f"{c} {counts[c]}" for c in SOAP_CLASSES)
    )
    rows = {
        "SoapSentenceClassifier (shipped)": scores(ex.labels, pred),
        f"majority ({majority})": scores(ex.labels, [majority] * len(ex.labels)),
    }
    print_rows(rows, f"majority ({majority})")
    f1 = f1_score(ex.labels, pred, labels=list(SOAP_CLASSES), average=None)
    print(
        "per-class F1: " + ", ".join(f"{c} {v:.2f}" for c, v in zip(SOAP_CLASSES, f1, strict=True))
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    bench_headers()
    bench_soap()


if __name__ == "__main__":
    main()
