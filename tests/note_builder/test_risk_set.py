"""The labelled risk-detection set (benchmarks/data/risk_utterances.jsonl) is well-formed.

Real rows must quote their source utterance exactly; written variants must point at a row
of the set. The scorer of benchmarks.bench_risk is checked on two trivial predictors.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_risk import (
    CONTEXTS,
    DATA,
    KINDS,
    keyword_predict,
    load_set,
    score,
    split_set,
)

csv.field_size_limit(1 << 30)
SOURCE = re.compile(
    r"^(annomi:\d+:\d+|aci-bench:(train|valid):D2N\d+|mts-dialog:(train|valid):\d+|variant)$"
)
# "[doctor] text" (ACI-Bench) or "Doctor: text" (MTS-Dialog)
TURN_TAG = re.compile(r"^\s*(?:\[[^\]]+\]|[A-Za-z_]+\d*(?:_\d+)?\s*:)\s*")
MTS_FILES = {"train": "MTS-Dialog-TrainingSet.csv", "valid": "MTS-Dialog-ValidationSet.csv"}


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return load_set(DATA)


def turns(dialogue: str) -> set[str]:
    return {TURN_TAG.sub("", line, count=1).strip() for line in dialogue.split("\n")}


def test_fields_ids_labels_and_contexts(items: list[dict[str, Any]]) -> None:
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), [k for k, n in Counter(ids).items() if n > 1]
    for i in items:
        assert set(i) == {"id", "text", "label", "context", "source", "variant_of", "role", "also"}
        assert i["text"].strip(), i["id"]
        assert i["label"] in (*KINDS, "none"), i["id"]
        assert i["context"] in CONTEXTS, i["id"]
        assert (i["label"] != "none") == (i["context"] == "current"), i["id"]
        assert i["role"] in ("therapist", "client"), i["id"]
        assert SOURCE.match(i["source"]), i["id"]
        assert set(i["also"]) <= set(KINDS) and i["label"] not in i["also"], i["id"]
        assert not i["also"] or i["label"] != "none", i["id"]


def test_variants_point_at_rows_of_the_set(items: list[dict[str, Any]]) -> None:
    ids = {i["id"] for i in items}
    for i in items:
        if i["source"] == "variant":
            assert i["variant_of"] in ids and i["variant_of"] != i["id"], i["id"]
        else:
            assert i["variant_of"] is None, i["id"]


def test_balance(items: list[dict[str, Any]]) -> None:
    labels = Counter(i["label"] for i in items)
    for kind in KINDS:
        assert labels[kind] >= 20, (kind, labels[kind])
    positives = sum(labels[k] for k in KINDS)
    assert labels["none"] >= positives
    assert 350 <= len(items) <= 520
    contexts = Counter(i["context"] for i in items if i["label"] == "none")
    for context in CONTEXTS[1:]:
        assert contexts[context] >= 40, (context, contexts[context])
    benign = [i for i in items if i["context"] == "benign" and i["source"].startswith("annomi")]
    assert len(benign) >= 60
    assert any(i["source"] != "variant" for i in items if i["label"] != "none")


def test_real_rows_quote_their_source_exactly(items: list[dict[str, Any]], testdata: Path) -> None:
    with (testdata / "therapy" / "annomi" / "AnnoMI-simple.csv").open(encoding="utf-8") as f:
        annomi = {(r["transcript_id"], r["utterance_id"]): r for r in csv.DictReader(f)}
    dialogues: dict[tuple[str, str, str], set[str]] = {}
    for split in ("train", "valid"):
        path = testdata / "clinical" / "aci-bench" / f"{split}.csv"
        with path.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                dialogues[("aci-bench", split, r["encounter_id"])] = turns(r["dialogue"])
        path = testdata / "clinical" / "mts-dialog" / MTS_FILES[split]
        with path.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                dialogues[("mts-dialog", split, r["ID"])] = turns(r["dialogue"])
    checked = 0
    for i in items:
        if i["source"] == "variant":
            continue
        corpus, a, b = i["source"].split(":")
        if corpus == "annomi":
            row = annomi.get((a, b))
            assert row is not None, i["id"]
            assert i["text"] == row["utterance_text"], i["id"]
            assert i["role"] == row["interlocutor"], i["id"]
        else:
            assert (corpus, a, b) in dialogues, i["id"]
            assert i["text"] in dialogues[(corpus, a, b)], i["id"]
        checked += 1
    assert checked >= 150


def test_scorer_on_trivial_predictors(items: list[dict[str, Any]]) -> None:
    truth = {(i["text"], i["role"]): i["label"] for i in items}
    oracle = score(lambda text, role: {truth[(text, role)]} - {"none"}, items)
    assert oracle["overall"]["precision"] == oracle["overall"]["recall"] == 1.0
    assert not oracle["errors"]
    assert all(c["flagged"] == 0 for c in oracle["fp_rate_by_context"].values())
    nothing = score(lambda text, role: set(), items)
    assert nothing["overall"]["recall"] == 0.0
    assert len(nothing["errors"]) == oracle["positives"]
    keyword = score(keyword_predict, items)
    assert 0.0 < keyword["overall"]["recall"] < 1.0
    assert keyword["overall"]["precision"] < 0.85


def test_split_none_scores_a_set_with_its_own_ids_and_fields() -> None:
    fresh = [
        {"id": "x-1", "text": "I want to die", "label": "suicidal_ideation", "role": "client"},
        {"id": "x-2", "text": "nice weather", "label": "none", "context": "smalltalk"},
        {"id": "x-3", "text": "I drove drunk", "label": "substance_danger", "variant_of": "zz"},
    ]
    assert split_set(fresh, "none") == fresh
    result = score(keyword_predict, split_set(fresh, "none"))
    assert result["n"] == 3 and result["positives"] == 2
    assert result["fp_rate_by_context"]["smalltalk"]["n"] == 1
