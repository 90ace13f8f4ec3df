"""Training data and scoring of the risk classifier (note_builder.risk_tuning)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_risk import CONTEXTS
from note_builder import risk_tuning
from note_builder.embeddings import WEIGHTS_DIR
from note_builder.risk import KINDS, detect_risk
from note_builder.risk_classifier import NAME
from note_builder.risk_tuning import (
    BLIND_SETS,
    DEV_POOLS,
    MEMBERS,
    POOL_FILES,
    Example,
    batches,
    best_settings,
    load_examples,
    member_pools,
    normalized,
    read_jsonl,
    score,
    targets,
)


def test_the_blind_sets_are_in_no_training_pool() -> None:
    trained = {normalized(e.text) for e in load_examples()}
    for path in BLIND_SETS:
        blind = {normalized(r["text"]) for r in read_jsonl(path)}
        assert len(blind) >= 240, path.name
        assert not blind & trained, path.name
        assert path not in POOL_FILES.values()
    assert set(DEV_POOLS) <= set(POOL_FILES)


def test_every_training_row_is_well_formed() -> None:
    for pool, path in POOL_FILES.items():
        rows = read_jsonl(path)
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), pool
        for r in rows:
            assert r["label"] in {"none", *KINDS}, (pool, r["id"])
            assert set(r.get("also") or ()) <= set(KINDS), (pool, r["id"])
            assert r.get("role", "client") in {"client", "therapist"}, (pool, r["id"])
            if "context" in r:
                assert r["context"] in CONTEXTS, (pool, r["id"])
                assert (r["context"] == "current") == (r["label"] != "none"), (pool, r["id"])


def test_the_diverse_pool_covers_every_kind_and_context() -> None:
    rows = read_jsonl(POOL_FILES["diverse"])
    assert len(rows) >= 2000
    labels = {r["label"] for r in rows}
    contexts = {r["context"] for r in rows}
    assert labels == {"none", *KINDS} and contexts == set(CONTEXTS)
    for kind in KINDS:
        assert sum(r["label"] == kind for r in rows) >= 150, kind


def test_targets_count_also_kinds() -> None:
    ex = [
        Example("a", "t", "client", "self_harm", ("suicidal_ideation",), "set"),
        Example("b", "t", "client", "none", (), "set"),
    ]
    y = targets(ex)
    assert y.shape == (2, len(KINDS))
    assert y[0, KINDS.index("self_harm")] == y[0, KINDS.index("suicidal_ideation")] == 1.0
    assert y[0].sum() == 2.0 and y[1].sum() == 0.0


def test_batches_cover_every_row_once_and_repeat_for_a_seed() -> None:
    lengths = [random.Random(1).randint(1, 300) for _ in range(1000)]
    a = batches(lengths, 16, random.Random(0))
    b = batches(lengths, 16, random.Random(0))
    assert a == b
    assert sorted(i for batch in a for i in batch) == list(range(1000))
    assert all(1 <= len(batch) <= 16 for batch in a)


def test_score_counts_as_the_benchmark_does() -> None:
    ex = [
        Example("p", "I have been cutting again.", "client", "self_harm", (), "x"),
        Example("n", "We had a picnic on Sunday.", "client", "none", (), "x"),
        Example("q", "Have you been cutting?", "therapist", "none", (), "x"),
    ]
    rules = [detect_risk(e.text, e.role) for e in ex]
    sure = [dict.fromkeys(KINDS, 1.0) for _ in ex]
    s = score(ex, rules, sure, 0.5)
    # every kind on the client's two turns: 1 tp; 4 + 5 false kinds; the therapist's none
    assert (s["tp"], s["fp"], s["fn"]) == (1, 9, 0)
    nothing = [dict.fromkeys(KINDS, 0.0) for _ in ex]
    rules_only = score(ex, rules, None)
    assert score(ex, rules, nothing, 0.5) == rules_only


def test_the_settings_are_the_farthest_inside_both_targets() -> None:
    def row(
        t: float,
        p: float,
        r: float,
        o: float | None = None,
        s: float | None = None,
        c: float | None = None,
    ) -> dict[str, Any]:
        f2 = 5 * p * r / (4 * p + r)
        chosen = {"threshold": t, "override": o, "secondary": s, "confirm": c}
        return {**chosen, "precision": p, "recall": r, "f2": f2}

    rules = {**row(0.0, 0.9, 0.4), "threshold": None}
    reached = [rules, row(0.3, 0.80, 0.97), row(0.5, 0.86, 0.93, 0.9), row(0.7, 0.90, 0.90)]
    assert best_settings(reached) == {
        "threshold": 0.5,
        "override": 0.9,
        "secondary": None,
        "confirm": None,
    }
    # neither bar reached: the one that misses by least (0.10 and 0.08 under)
    unreached = [rules, row(0.3, 0.70, 0.93), row(0.5, 0.75, 0.87, s=0.7), row(0.9, 0.82, 0.67)]
    assert best_settings(unreached) == {
        "threshold": 0.5,
        "override": None,
        "secondary": 0.7,
        "confirm": None,
    }
    # both reached: the balanced one, not the highest recall just over the precision bar
    both = [rules, row(0.25, 0.851, 0.970, c=0.15), row(0.25, 0.861, 0.963, s=0.4)]
    assert best_settings(both)["secondary"] == 0.4
    assert best_settings([rules, row(0.3, 0.72, 0.93, s=0.7)])["secondary"] == 0.7
    assert best_settings([rules, row(0.3, 0.72, 0.93), row(0.3, 0.8, 0.93, c=0.02)]) == {
        "threshold": 0.3,
        "override": None,
        "secondary": None,
        "confirm": 0.02,
    }


def test_the_classifier_rules_out_a_rule_finding_below_the_confirmation_bar() -> None:
    ex = [
        Example("p", "I want to kill myself.", "client", "suicidal_ideation", (), "x"),
        Example("f", "I could strangle him, honestly.", "client", "none", (), "x"),
        Example("q", "Do you want to kill yourself?", "therapist", "none", (), "x"),
    ]
    rules = [detect_risk(e.text, e.role) for e in ex]
    assert any(f.current for f in rules[0])
    low = [{**dict.fromkeys(KINDS, 0.0), "suicidal_ideation": 0.03} for _ in ex]
    kept = score(ex, rules, low, 0.5)
    assert (kept["tp"], kept["fn"]) == (1, 0)
    below = score(ex, rules, low, 0.5, confirm=0.02)  # the figure of speech is rated 0
    assert (below["tp"], below["fn"], below["fp"]) == (1, 0, 0)
    ruled_out = score(ex, rules, low, 0.5, confirm=0.05)
    assert (ruled_out["tp"], ruled_out["fn"], ruled_out["fp"]) == (0, 1, 0)


def test_a_rule_reading_out_of_context_raises_the_bar() -> None:
    ex = [Example("n", "My cousin tried to kill herself last month.", "client", "none", (), "x")]
    rules = [detect_risk(ex[0].text, "client")]
    assert rules[0] and not any(f.current for f in rules[0])
    fairly_sure = [{**dict.fromkeys(KINDS, 0.0), "suicidal_ideation": 0.8}]
    assert score(ex, rules, fairly_sure, 0.5)["fp"] == 1
    assert score(ex, rules, fairly_sure, 0.5, override=0.9)["fp"] == 0
    assert score(ex, rules, fairly_sure, 0.5, override=0.7)["fp"] == 1


def test_a_second_kind_needs_the_secondary_bar() -> None:
    text = "I've been cutting my arms again most nights since the funeral."
    ex = [Example("p", text, "client", "self_harm", (), "x")]
    nothing = [[]]  # the rules' findings do not matter here: the classifier's kinds do
    both = [{**dict.fromkeys(KINDS, 0.0), "self_harm": 0.95, "suicidal_ideation": 0.4}]
    plain = score(ex, nothing, both, 0.3)
    assert (plain["tp"], plain["fp"]) == (1, 1)
    barred = score(ex, nothing, both, 0.3, secondary=0.5)
    assert (barred["tp"], barred["fp"]) == (1, 0)
    assert score(ex, nothing, both, 0.3, secondary=0.35)["fp"] == 1


def test_the_shipped_settings_are_the_ones_the_development_pools_choose() -> None:
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    assert meta["development_pools"] == list(DEV_POOLS)
    assert not any(meta["pools"].get(p) for p in DEV_POOLS), "members trained on a dev pool"
    chosen = best_settings(meta["development"])
    assert {k: meta["settings"][k] for k in chosen} == chosen
    assert set(meta["thresholds"].values()) == {chosen["threshold"]}


def test_no_member_reads_a_development_pool() -> None:
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    assert [m["seed"] for m in meta["members"]] == [m["seed"] for m in MEMBERS]
    assert meta["settings"]["members"] == [
        {"seed": m["seed"], "without": list(m["without"])} for m in MEMBERS
    ]
    for member, read in zip(MEMBERS, meta["members"], strict=True):
        assert not set(DEV_POOLS) & set(member_pools(member))
        assert not any(read["pools"].get(p) for p in DEV_POOLS)
        assert not any(read["pools"].get(p) for p in member["without"])
        assert sum(read["pools"].values()) == read["n_examples"]


def test_the_weights_json_keeps_the_meta_as_it_is() -> None:
    text = (WEIGHTS_DIR / f"{NAME}.json").read_text()
    meta = json.loads(text)
    assert risk_tuning._meta_text(meta) == text
    assert json.loads(risk_tuning._meta_text({**meta, "development": None})) == {
        **meta,
        "development": None,
    }


def test_reselect_refuses_members_that_read_a_development_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    meta["pools"][DEV_POOLS[-1]] = 250
    (tmp_path / f"{NAME}.json").write_text(json.dumps(meta))
    monkeypatch.setattr(risk_tuning, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ValueError, match=DEV_POOLS[-1]):
        risk_tuning.reselect(write=False)
