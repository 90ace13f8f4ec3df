"""Risk detection in session transcripts: precision and recall on a labelled utterance set.

The set (``benchmarks/data/risk_utterances.jsonl``) was built apart from the detector, by
hand: real utterances from AnnoMI, ACI-Bench and MTS-Dialog (``source`` names the row),
labelled after reading the turns around them, and written variants of them (``source`` =
``variant``, ``variant_of`` the original): spoken first-person current-risk utterances for
the categories the real sets barely have, and for each real positive a negated, a
hypothetical, a third-person and a historical version. Each line holds ``id``, ``text``,
``label`` (one of :data:`KINDS` when the utterance states a current risk of the speaker,
else ``none``), ``context`` (``current`` for positives; for negatives why it is not current
risk: negated, hypothetical, other_person, historical, screening_question, figurative,
benign), ``source``, ``variant_of``, ``role`` (therapist|client, passed to the detector) and
``also`` (further kinds the utterance also states: neither required nor counted as false
positives).

Blind sets, same format, each written by someone who saw neither the detector nor the
other sets, and each scored once (see :mod:`note_builder.risk_tuning`):
``risk_utterances_fresh.jsonl`` (243 rows) … ``risk_utterances_fresh14.jsonl`` (about 250
each) are now the classifier's training and development data;
``risk_utterances_fresh15.jsonl`` … ``risk_utterances_fresh18.jsonl`` (250 each) are the
blind sets of the current classifier. The newest sets were written from
``benchmarks/data/risk_label_sheet.md`` alone, and the classifier's ``targeted`` training
rows from ``risk_training_sheet.md``.
Score one with ``--set PATH --split none``.
``--second-opinion`` adds "detector+model": the rules and the risk classifier
(:mod:`note_builder.risk_classifier`) together, as the service raises alerts.

A prediction for an utterance is the set of kinds the detector reports with
``current=True``. Per kind and overall (micro): a positive is found when its label is in
the prediction; every predicted kind other than the label (and ``also``) is a false
positive. Two same-run baselines: a fixed keyword list with no context handling, and
"always none". Only ids, kinds and contexts are printed, never the text.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import zlib
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

KINDS = (
    "suicidal_ideation",
    "homicidal_ideation",
    "self_harm",
    "abuse_neglect",
    "substance_danger",
)
CONTEXTS = (
    "current",
    "negated",
    "hypothetical",
    "other_person",
    "historical",
    "screening_question",
    "figurative",
    "benign",
)
DATA = Path(__file__).resolve().parent / "data" / "risk_utterances.jsonl"
SPLITS = ("dev", "test")
WRITTEN = ("variant", "written")  # sources of rows written for a set (not real utterances)
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.85

# text, role -> the kinds reported as current risk
Predict = Callable[[str, str | None], Collection[str]]

# The keyword baseline: any of these, anywhere, flags the kind (no negation, tense or
# speaker handling).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "suicidal_ideation": (
        r"suicid",
        r"kill(ing)? myself",
        r"end (my|it all|my life)\b",
        r"take my (own )?life",
        r"wan(t to|na) die",
        r"better off without me",
        r"not (want|wanting) to (be alive|live)",
        r"don'?t want to (live|be here)",
    ),
    "homicidal_ideation": (
        r"\bkill (him|her|them|you|my)\b",
        r"\bmurder",
        r"homicid",
        r"\bhurt (him|her|them)\b",
        r"\bstab",
        r"\bshoot(ing)? (him|her|them|my)\b",
        r"want (him|her|them) dead",
    ),
    "self_harm": (
        r"\bcut(ting)? myself",
        r"\bhurt(ing)? myself",
        r"\bharm(ing)? myself",
        r"self[- ]?harm",
        r"burn(ed|ing)? myself",
        r"\bcutting\b",
    ),
    "abuse_neglect": (
        r"\babus",
        r"\bneglect",
        r"\b(hit|hits|hitting|beat|beats|slap|slaps|kick|kicked|choked) (me|her|him|my)\b",
        r"domestic violence",
        r"\brape",
        r"touch(es|ing)? me",
    ),
    "substance_danger": (
        r"overdos",
        r"\bod'?(d|ing)\b",
        r"drunk[- ]driv",
        r"drink(ing)? and driv",
        r"\bdui\b",
        r"under the influence",
        r"black(ed)? ?out",
        r"passed out",
        r"withdrawal",
        r"seizure",
        r"too drunk",
        r"(pills|xanax).{0,30}(alcohol|wine|drinks?|beer)",
    ),
}
_KEYWORD_RES = {kind: re.compile("|".join(pats), re.IGNORECASE) for kind, pats in KEYWORDS.items()}


def load_set(path: Path | str = DATA) -> list[dict[str, Any]]:
    """The labelled utterances, one dict per line of the JSONL file."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def group_of(item: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    """The id at the root of the item's ``variant_of`` chain (its own id for a real row)."""
    seen = {item["id"]}
    while item.get("variant_of") and item["variant_of"] in by_id:
        item = by_id[item["variant_of"]]
        if item["id"] in seen:  # a cycle: stop at the first repeat
            break
        seen.add(item["id"])
    return str(item["id"])


def split_of(group: str) -> str:
    """``dev`` or ``test``: fixed by the group id, so variants never straddle the split."""
    return "dev" if zlib.crc32(group.encode("utf-8")) % 2 == 0 else "test"


def split_set(items: Sequence[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """The rows of one split (``dev``, ``test``, ``all`` or ``none``), in file order.

    ``none`` and ``all`` are every row: ``none`` is for a set that has no dev/test split
    (a held-out set written apart, whose ids need not follow this set's).
    """
    if split in ("all", "none"):
        return list(items)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    by_id = {i["id"]: i for i in items}
    return [i for i in items if split_of(group_of(i, by_id)) == split]


def keyword_predict(text: str, role: str | None = "client") -> set[str]:
    return {kind for kind, rx in _KEYWORD_RES.items() if rx.search(text)}


def none_predict(text: str, role: str | None = "client") -> set[str]:
    return set()


def detector_predict() -> Predict | None:
    """The detector under test, or None (with the reason printed) when it does not import."""
    try:
        from note_builder import risk
        from note_builder.risk import detect_risk
    except Exception as e:  # a detector still being written must not stop the baselines
        print(f"detector: note_builder.risk.detect_risk not importable ({type(e).__name__}: {e})")
        return None
    warm_up = getattr(risk, "warm_up", None)
    if callable(warm_up):
        warm_up()  # compile the patterns once, outside the timed loop

    def predict(text: str, role: str | None = "client") -> set[str]:
        return {f.kind for f in detect_risk(text, role) if f.current}

    return predict


def second_opinion_predict() -> Predict | None:
    """Rules ∪ classifier (``note_builder.risk_model.detect_risk_with_model``: the rules'
    findings the classifier does not rule out, and its own), as the service alerts; None
    (reason printed) when it does not load."""
    try:
        from note_builder import risk, risk_classifier, risk_model
    except Exception as e:
        print(f"second opinion: note_builder.risk_model not importable ({type(e).__name__})")
        return None
    risk.warm_up()
    model = risk_classifier.shared_risk_classifier()
    model.warm_up()  # load the weights outside the timed loop

    def predict(text: str, role: str | None = "client") -> set[str]:
        found = risk_model.detect_risk_with_model(text, role, model=model)
        return {f.kind for f in found if f.current}

    return predict


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else (1.0 if tp + fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def score(predict: Predict, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-kind and micro precision/recall/F1, FP rate per context, and the errors (ids)."""
    tp = dict.fromkeys(KINDS, 0)
    fp = dict.fromkeys(KINDS, 0)
    fn = dict.fromkeys(KINDS, 0)
    flagged: dict[str, list[int]] = {c: [0, 0] for c in CONTEXTS if c != "current"}
    found: dict[str, list[int]] = {"real": [0, 0], "variant": [0, 0]}
    errors: list[dict[str, Any]] = []
    began = time.perf_counter()
    for item in items:
        predicted = {k for k in predict(item["text"], item.get("role", "client")) if k in KINDS}
        label = item["label"]
        # A set written apart may leave out the context or the source (or name a context
        # of its own): negatives are then counted under what they give, else "benign".
        context = item.get("context") or ("current" if label in KINDS else "benign")
        allowed = {label, *item.get("also", [])}
        wrong = sorted(predicted - allowed)
        for kind in wrong:
            fp[kind] += 1
        missed = False
        if label in KINDS:
            hit = label in predicted
            tp[label] += hit
            fn[label] += not hit
            missed = not hit
            origin = "variant" if item.get("source") in WRITTEN else "real"
            found[origin][0] += hit
            found[origin][1] += 1
        else:
            flagged.setdefault(context, [0, 0])
            flagged[context][0] += bool(predicted)
            flagged[context][1] += 1
        if missed or wrong:
            errors.append(
                {
                    "id": item["id"],
                    "label": label,
                    "context": context,
                    "predicted": sorted(predicted),
                    "missed": missed,
                    "false_kinds": wrong,
                }
            )
    elapsed = time.perf_counter() - began
    return {
        "n": len(items),
        "positives": sum(tp.values()) + sum(fn.values()),
        "per_kind": {k: {"n": tp[k] + fn[k], **_prf(tp[k], fp[k], fn[k])} for k in KINDS},
        "overall": _prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "fp_rate_by_context": {
            c: {"flagged": a, "n": n, "rate": a / n if n else 0.0} for c, (a, n) in flagged.items()
        },
        "recall_by_origin": {o: (a / n if n else 0.0) for o, (a, n) in found.items()},
        "errors": errors,
        "ms_per_utterance": 1000 * elapsed / max(len(items), 1),
    }


def passes(result: dict[str, Any]) -> bool:
    o = result["overall"]
    return bool(o["recall"] >= TARGET_RECALL and o["precision"] >= TARGET_PRECISION)


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}" if base > 0 else "n/a"


def _cells(m: dict[str, float]) -> str:
    return f"{m['precision']:5.2f} {m['recall']:5.2f} {m['f1']:5.2f}"


def print_table(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    first = results[names[0]]
    head = "".join(f"  {name:^17s}" for name in names)
    print(f"{'kind':20s} {'n':>4s}{head}")
    print(f"{'':20s} {'':>4s}" + "  {:>5s} {:>5s} {:>5s}".format("P", "R", "F1") * len(names))
    for kind in KINDS:
        row = "".join(f"  {_cells(results[n]['per_kind'][kind])}" for n in names)
        print(f"{kind:20s} {first['per_kind'][kind]['n']:4d}{row}")
    row = "".join(f"  {_cells(results[n]['overall'])}" for n in names)
    print(f"{'overall (micro)':20s} {first['positives']:4d}{row}")


def print_fp_rates(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    first = next(iter(results.values()))["fp_rate_by_context"]
    print("\nnegatives flagged (share with any current-risk kind), by context:")
    print(f"{'context':20s} {'n':>4s}" + "".join(f"  {n:>17s}" for n in names))
    for ctx, cell in first.items():
        row = "".join(f"  {results[n]['fp_rate_by_context'][ctx]['rate']:17.2f}" for n in names)
        print(f"{ctx:20s} {cell['n']:4d}{row}")


def print_errors(name: str, result: dict[str, Any]) -> None:
    errors = result["errors"]
    print(f"\n{name}: {len(errors)} misclassified (ids only)")
    for e in errors:
        what = f"missed {e['label']}" if e["missed"] else f"{e['label']}"
        extra = f" false: {','.join(e['false_kinds'])}" if e["false_kinds"] else ""
        got = ",".join(e["predicted"]) or "-"
        print(f"  {e['id']:24s} {what:28s} context {e['context']:18s} predicted {got}{extra}")


def print_split_summary(by_split: dict[str, dict[str, dict[str, Any]]]) -> None:
    """One line per split and system: micro P/R/F1, then per-kind P/R (aggregates only)."""
    if set(by_split) == {"all"}:
        print("\nwhole set (no dev/test split):")
    else:
        print("\nby split (group = root of the variant_of chain; crc32(group) even -> dev):")
    short = {k: "".join(w[0] for w in k.split("_")).upper() for k in KINDS}
    for split in (s for s in (*SPLITS, "all") if s in by_split):
        for name, result in by_split[split].items():
            o = result["overall"]
            kinds = " ".join(
                f"{short[k]} {m['precision']:.2f}/{m['recall']:.2f}"
                for k, m in result["per_kind"].items()
            )
            print(
                f"  {split:4s} {name:17s} n {result['n']:3d} pos {result['positives']:3d}  "
                f"P {o['precision']:.3f}  R {o['recall']:.3f}  F1 {o['f1']:.3f}  "
                f"{'PASS' if passes(result) else 'FAIL'}  [P/R {kinds}]"
            )


def real_talk(systems: dict[str, Predict]) -> None:
    """How often each system alerts on ordinary session talk: the AnnoMI client turns of
    three words or more that the classifier was not trained on (its ``benign`` pool is left
    out). A few of these turns do state a current risk (those in the labelled set are
    counted apart); the rest of the alerts are false ones, the kind a therapist sees in a
    session that holds no risk at all."""
    import csv

    from benchmarks.common import testdata
    from note_builder.risk_tuning import load_examples, normalized

    trained = {normalized(e.text) for e in load_examples() if e.pool == "benign"}
    risky = {normalized(i["text"]) for i in load_set(DATA) if i["label"] in KINDS}
    path = testdata() / "therapy/annomi/AnnoMI-simple.csv"
    with path.open(newline="", encoding="utf-8") as f:
        turns = [
            r["utterance_text"]
            for r in csv.DictReader(f)
            if r["interlocutor"] == "client" and len(r["utterance_text"].split()) >= 3
        ]
    turns = [t for t in turns if normalized(t) not in trained]
    print(f"\nreal talk: {len(turns)} AnnoMI client turns (3+ words, not trained on)")
    for name, predict in systems.items():
        alerted = [t for t in turns if predict(t, "client")]
        real = sum(normalized(t) in risky for t in alerted)
        rate = 100 * len(alerted) / len(turns)
        print(
            f"  {name:17s} alerts on {len(alerted):4d} turns ({rate:.1f} per 100; "
            f"{real} of them labelled current risk in the labelled set)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--set",
        type=Path,
        action="append",
        help="a labelled JSONL set (default: the labelled set); repeated, the sets are scored "
        "as one",
    )
    parser.add_argument(
        "--split",
        choices=("dev", "test", "all", "none"),
        default="dev",
        help="list the misclassified ids of this split only (default dev, so that the test "
        "split is seen only as aggregates unless asked for; the tables show all three); "
        "'none': the set has no split (e.g. a held-out set with its own ids): score and list "
        "every row, with no dev/test lines",
    )
    parser.add_argument(
        "--baseline-errors", action="store_true", help="also list the keyword baseline's errors"
    )
    parser.add_argument(
        "--second-opinion",
        action="store_true",
        help="also score rules ∪ model (note_builder.risk_model), as 'detector+model'",
    )
    parser.add_argument(
        "--real-talk",
        action="store_true",
        help="also count the alerts on ordinary session talk (AnnoMI client turns)",
    )
    args = parser.parse_args(argv)
    items = [item for path in args.set or [DATA] for item in load_set(path)]
    positives = sum(1 for i in items if i["label"] in KINDS)
    real = sum(1 for i in items if i.get("source") not in WRITTEN)
    print(
        f"risk detection: {len(items)} utterances ({positives} current risk, "
        f"{len(items) - positives} not; {real} real, {len(items) - real} written variants)"
    )
    systems: dict[str, Predict] = {}
    detector = detector_predict()
    if detector is not None:
        systems["detector"] = detector
    if args.second_opinion and (union := second_opinion_predict()) is not None:
        systems["detector+model"] = union
    systems["keyword baseline"] = keyword_predict
    systems["always none"] = none_predict
    results = {name: score(predict, items) for name, predict in systems.items()}
    print()
    print_table(results)
    print_fp_rates(results)
    print(
        f"\ntarget: overall recall ≥ {TARGET_RECALL} with precision ≥ {TARGET_PRECISION} "
        "(micro, over the five kinds)"
    )
    for name, result in results.items():
        o = result["overall"]
        origin = result["recall_by_origin"]
        print(
            f"  {name:17s} P {o['precision']:.3f}  R {o['recall']:.3f}  F1 {o['f1']:.3f}  "
            f"{'PASS' if passes(result) else 'FAIL'}  (recall on real {origin['real']:.2f}, "
            f"on written {origin['variant']:.2f}; {result['ms_per_utterance']:.2f} ms/utterance)"
        )
    if "detector" in results:
        det, kw = results["detector"]["overall"], results["keyword baseline"]["overall"]
        print(
            f"  detector / keyword: F1 {ratio(det['f1'], kw['f1'])}, "
            f"precision {ratio(det['precision'], kw['precision'])}, "
            f"recall {ratio(det['recall'], kw['recall'])}"
        )
    by_split: dict[str, dict[str, dict[str, Any]]] = {"all": results}
    if args.split != "none":
        for split in SPLITS:
            part = split_set(items, split)
            by_split[split] = {name: score(predict, part) for name, predict in systems.items()}
    print_split_summary(by_split)
    shown = by_split["all" if args.split == "none" else args.split]
    for name in ("detector", "detector+model"):
        if name in shown:
            print_errors(f"{name} [{args.split}]", shown[name])
    if args.real_talk:
        real_talk({n: p for n, p in systems.items() if n != "always none"})
    if args.baseline_errors or "detector" not in shown:
        print_errors(f"keyword baseline [{args.split}]", shown["keyword baseline"])


if __name__ == "__main__":
    main()
