"""Therapist behaviour (AnnoMI): our classifier against TF-IDF + logistic regression.

Every AnnoMI therapist utterance is labelled reflection / question / therapist_input /
other (``main_therapist_behaviour``). Five-fold cross-validation split by transcript
(``GroupKFold(5)`` over ``transcript_id``, no shuffling: the same folds every run), as the
published baseline was measured. Within each fold, on the training transcripts only:

* ours: ``note_builder.train``'s recipe with the shipped settings (TF-IDF ⊕ MiniLM
  embedding, logistic regression); the sentence encoder itself is fixed, not trained here;
* the baseline: scikit-learn's default ``TfidfVectorizer`` + ``LogisticRegression``;
* the majority class.

Accuracy and macro-F1 are over the pooled out-of-fold predictions. Only figures print.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold

from note_builder.embeddings import shared_encoder
from note_builder.interventions import BEHAVIOURS
from note_builder.train import INTERVENTIONS, annomi_therapist_turns, design, fit

PUBLISHED_ACC, PUBLISHED_F1 = 0.721, 0.690  # TF-IDF + LR, 5-fold by transcript


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}" if base > 0 else "n/a"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    turns = annomi_therapist_turns()
    texts = [t.text for t in turns]
    y = np.array([t.label for t in turns])
    groups = [t.transcript_id for t in turns]
    t0 = time.perf_counter()
    emb = INTERVENTIONS["embedding_scale"] * shared_encoder().encode(texts)
    took = time.perf_counter() - t0
    print(
        f"AnnoMI: {len(texts)} therapist utterances, {len(set(groups))} transcripts ({took:.0f} s)"
    )
    pred: dict[str, list[str]] = {"ours": [], "TF-IDF + LR": [], "majority": []}
    gold: list[str] = []
    for tr, te in GroupKFold(5).split(texts, y, groups):
        train_texts, test_texts = [texts[i] for i in tr], [texts[i] for i in te]
        vec, model = fit(train_texts, emb[tr], y[tr], INTERVENTIONS["C"])
        pred["ours"] += list(model.predict(design(vec.transform(test_texts), emb[te])))
        base_vec = TfidfVectorizer()
        base = LogisticRegression(max_iter=2000).fit(base_vec.fit_transform(train_texts), y[tr])
        pred["TF-IDF + LR"] += list(base.predict(base_vec.transform(test_texts)))
        majority = Counter(y[tr]).most_common(1)[0][0]
        pred["majority"] += [majority] * len(te)
        gold += list(y[te])
    results = {
        name: (accuracy_score(gold, p), f1_score(gold, p, average="macro"))
        for name, p in pred.items()
    }
    base_acc, base_f1 = results["TF-IDF + LR"]
    print(f"{'system':14s} {'accuracy':>8s} {'macro-F1':>8s}  ratio to TF-IDF + LR (acc, F1)")
    for name, (acc, f1) in results.items():
        print(
            f"{name:14s} {acc:8.3f} {f1:8.3f}  {ratio(acc, base_acc):>5s} {ratio(f1, base_f1):>5s}"
        )
    print(f"published TF-IDF + LR: accuracy {PUBLISHED_ACC:.3f}, macro-F1 {PUBLISHED_F1:.3f}")
    per_class = f1_score(gold, pred["ours"], labels=list(BEHAVIOURS), average=None)
    print(
        "ours, per-class F1: "
        + ", ".join(f"{c} {v:.2f}" for c, v in zip(BEHAVIOURS, per_class, strict=True))
    )


if __name__ == "__main__":
    main()
