"""Train the risk classifier (:mod:`note_builder.risk_classifier`) and choose its settings.

    python -m note_builder.train risk               # train every member, choose, write
    python -m note_builder.train --add-member SEED  # train one member, put it beside the rest
    python -m note_builder.train --reselect         # only choose the settings again

Data (every row a labelled utterance, ``label`` a kind or ``none``; ``also`` kinds count
as positives too), by pool:

* ``set``: the labelled set ``benchmarks/data/risk_utterances.jsonl`` (real utterances and
  their negated / hypothetical / third-person / historical variants);
* ``probe``: rows written while probing the rules;
* ``written``, ``diverse``: written training sets (many voices and registers; current
  positives and hard negatives sharing their vocabulary);
* ``contrast``: 2,400 written rows, most of them minimal pairs (a current positive and
  negatives that keep its situation and words but deny it, date it, give it to someone
  else, make it a figure of speech or ordinary talk), four writers each on one source of
  false alerts (figures of speech and ordinary talk; denials and the past; other people
  and hypotheticals; abuse, neglect and substance use);
* ``targeted``: 1,600 written rows (four writers, half current positives, half hard
  negatives in the same situations) on what the classifier missed in ``fresh11`` …
  ``fresh14``, described to the writers on a sheet
  (``benchmarks/data/risk_training_sheet.md``) that quotes a few phrases of the missed rows
  but no row: risk stated through preparations, plans, weapons, places and times; abuse and
  neglect reported by a carer; substance danger shown by its consequences, in dialect;
  turns with two risks (the development pools flatter the classifier a little since; the
  blind sets, written before the sheet, do not);
* ``fresh`` … ``fresh14``: the first fourteen blind sets, each scored once (see
  ``benchmarks/bench_risk.py``) before it became training data (``fresh`` … ``fresh10``)
  or development data (``fresh11`` … ``fresh14``, below);
* ``benign``: 1,500 AnnoMI utterances without a risk word.

``risk_utterances_fresh15.jsonl`` … ``fresh18`` are the blind sets of this classifier,
written from a label sheet alone: training reads only their texts, to leave out every row
that repeats one (a few real AnnoMI turns are in older sets too).

The members (:data:`MEMBERS`, three seeds) are trained on every pool but the development
pools, ``fresh11`` … ``fresh14`` (1,000 rows), about 18 minutes each on two cores; the
classifier averages their probabilities. (``--add-member SEED`` trains one member and keeps
the others as stored: three members trained with ``fresh6`` … ``fresh10`` and
``targeted`` were measured this way against the two before them, which had not read
those pools, on the development pools, each at the settings :func:`best_settings` gives
it: the two old ones P 0.842 R 0.943, one new alone 0.858 / 0.955, the two old ones and
one new 0.861 / 0.963, three new 0.869 / 0.978.) The stored
members, as the service loads them, then score the development pools: the precision and
recall of the rules and the classifier together, as the service alerts, per threshold,
override (the bar for a kind the rules found only out of context), secondary bar (for any
kind but the classifier's most probable one) and confirmation bar (below it the
classifier rules out a rule finding); :func:`best_settings` picks the settings farthest
inside both targets there. ``--reselect`` chooses them again with the stored members,
without training (it refuses members that read a development pool). (Five epochs instead
of three, and more than one member, came from development runs of single members: three
epochs gave F2 0.867 and 0.875 on two seeds, five 0.892 and 0.896, rank 16 0.880 and
0.869, learning rate 1e-3 0.876; the two five-epoch members together 0.905.)

Training: AdamW, one-cycle learning rate, binary cross-entropy per kind, batches of
similar length, a fixed seed (on one machine and thread count the result repeats).
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import re
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from note_builder import risk_classifier as rc
from note_builder.embeddings import WEIGHTS_DIR
from note_builder.risk import KINDS, RiskFinding, detect_risk
from note_builder.risk_model import model_kinds, unconfirmed, vetted

NONE = "none"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
POOL_FILES = {
    "set": DATA / "risk_utterances.jsonl",
    "probe": DATA / "risk_probe_utterances.jsonl",
    "written": DATA / "risk_training_written.jsonl",
    "diverse": DATA / "risk_training_diverse.jsonl",
    "contrast": DATA / "risk_training_contrast.jsonl",
    "fresh": DATA / "risk_utterances_fresh.jsonl",
    "fresh2": DATA / "risk_utterances_fresh2.jsonl",
    "fresh3": DATA / "risk_utterances_fresh3.jsonl",
    "fresh4": DATA / "risk_utterances_fresh4.jsonl",
    "fresh5": DATA / "risk_utterances_fresh5.jsonl",
    "fresh6": DATA / "risk_utterances_fresh6.jsonl",
    "fresh7": DATA / "risk_utterances_fresh7.jsonl",
    "fresh8": DATA / "risk_utterances_fresh8.jsonl",
    "fresh9": DATA / "risk_utterances_fresh9.jsonl",
    "fresh10": DATA / "risk_utterances_fresh10.jsonl",
    "fresh11": DATA / "risk_utterances_fresh11.jsonl",
    "fresh12": DATA / "risk_utterances_fresh12.jsonl",
    "fresh13": DATA / "risk_utterances_fresh13.jsonl",
    "fresh14": DATA / "risk_utterances_fresh14.jsonl",
    "targeted": DATA / "risk_training_targeted.jsonl",
}
DEV_POOLS = ("fresh11", "fresh12", "fresh13", "fresh14")
# The blind sets of this classifier: only their texts are read here, to keep every row
# that repeats one (a real AnnoMI turn shared with an older set) out of training.
BLIND_SETS = tuple(DATA / f"risk_utterances_fresh{n}.jsonl" for n in (15, 16, 17, 18))
# The members: one network per seed, each trained on every pool but the development pools
# and its own ``without`` (none now: ``--add-member`` can train one on other pools). The
# classifier averages their probabilities.
MEMBERS: tuple[dict[str, Any], ...] = (
    {"seed": 0, "without": ()},
    {"seed": 1, "without": ()},
    {"seed": 2, "without": ()},
)
N_BENIGN = 1500
TARGET_PRECISION, TARGET_RECALL = 0.85, 0.95  # the alerts' targets (issue 6)

# Training settings; the alert settings below them are chosen again on the development
# pools by every training run (see the module doc) and kept in the weights' JSON.
SETTINGS: dict[str, Any] = {
    "rank": 8,
    "alpha": 16.0,
    "epochs": 5,
    "batch_size": 16,
    "learning_rate": 5e-4,
    "weight_decay": 0.01,
    "threshold": 0.4,
    "override": 0.9,
    "secondary": None,
    "confirm": None,
}
THRESHOLDS = tuple(round(0.1 + 0.05 * i, 2) for i in range(18))  # 0.10 … 0.95
# The bar for a kind the rules found only out of context (None: the threshold itself).
OVERRIDES = (None, 0.7, 0.9)
# The bar for a kind other than the classifier's most probable one (None: the threshold).
SECONDARIES = (None, 0.3, 0.4, 0.5, 0.6, 0.7)
# The probability below which the classifier rules out a rule finding (None: never).
CONFIRMS = (None, 0.01, 0.02, 0.05, 0.1, 0.15)

# Probe inputs whose probabilities the weights' JSON keeps (the tests compare).
PROBES = (
    "I've been thinking about offing myself lately.",
    "I would never off myself, I love my kids too much.",
    "My roommate woke up on the bathroom floor after snorting way too much.",
    "We went to the lake on Sunday and had a picnic.",
)

# Rows of the labelled set whose text also appears in the first blind set: left out so
# that no text is in two groups (the blind set's copies are kept).
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


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    role: str | None
    label: str  # NONE or a kind
    also: tuple[str, ...]
    pool: str

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds this row states as current risk (its label and ``also``)."""
        return frozenset(k for k in (self.label, *self.also) if k in KINDS)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def normalized(text: str) -> str:
    """Lower case, runs of non-word characters as one space: for comparing texts."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def held_out_texts() -> frozenset[str]:
    """The normalized texts of the blind sets (none of them is trained on)."""
    return frozenset(
        normalized(r["text"]) for path in BLIND_SETS if path.exists() for r in read_jsonl(path)
    )


def load_examples(
    pools: Sequence[str] = tuple(POOL_FILES), n_benign: int = N_BENIGN
) -> list[Example]:
    """The rows of the named pools (and ``n_benign`` AnnoMI negatives), in a fixed order,
    without any row whose text is in the blind set."""
    held_out = held_out_texts()
    out: list[Example] = []
    taken: set[str] = set()
    for pool in pools:
        for r in read_jsonl(POOL_FILES[pool]):
            taken.add(str(r.get("source")))
            if pool == "set" and r["id"] in HELD_OUT_DUPLICATES:
                continue
            if normalized(r["text"]) in held_out:
                continue
            also = tuple(r.get("also") or ())
            out.append(Example(r["id"], r["text"], r.get("role", "client"), r["label"], also, pool))
    if n_benign:
        out += [e for e in benign_annomi(n_benign, taken) if normalized(e.text) not in held_out]
    return out


def benign_annomi(n: int, taken: set[str]) -> list[Example]:
    """``n`` AnnoMI utterances (a fixed crc32 order) with no risk word and no rule finding."""
    from note_builder.train import testdata

    with (testdata() / "therapy/annomi/AnnoMI-simple.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keyed = sorted(
        (zlib.crc32(key.encode()), key, r)
        for r in rows
        for key in [f"annomi:{r['transcript_id']}:{r['utterance_id']}"]
    )
    out: list[Example] = []
    for _, key, r in keyed:
        text, role = r["utterance_text"].strip(), r["interlocutor"]
        if key in taken or len(text.split()) < 2 or _RISK_WORDS.search(text):
            continue
        if detect_risk(text, role):
            continue
        out.append(Example(key, text, role, NONE, (), "benign"))
        if len(out) == n:
            break
    return out


def targets(examples: Sequence[Example]) -> NDArray[np.float32]:
    """(n, len(KINDS)) 0/1: the kinds each row states."""
    y = np.zeros((len(examples), len(KINDS)), dtype=np.float32)
    for i, e in enumerate(examples):
        for k in e.kinds:
            y[i, KINDS.index(k)] = 1.0
    return y


def batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of rows of similar length (sorted within windows of 20 batches)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out: list[list[int]] = []
    window = size * 20
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def fit(examples: Sequence[Example], settings: Mapping[str, Any], log: bool = True) -> Any:
    """A trained :class:`note_builder.risk_classifier` network (in eval mode, not merged)."""
    import torch

    torch.manual_seed(int(settings["seed"]))
    rng = random.Random(int(settings["seed"]))
    tok = rc.tokenizer()
    net = rc.build(int(settings["rank"]), float(settings["alpha"]))
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        params, lr=float(settings["learning_rate"]), weight_decay=float(settings["weight_decay"])
    )
    texts = [e.text for e in examples]
    y = torch.from_numpy(targets(examples))
    size, epochs = int(settings["batch_size"]), int(settings["epochs"])
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=float(settings["learning_rate"]),
        total_steps=epochs * math.ceil(len(texts) / size),
        pct_start=0.1,
    )
    lengths = [len(t) for t in texts]
    net.train()
    started = time.monotonic()
    for epoch in range(epochs):
        total, plan = 0.0, batches(lengths, size, rng)
        for rows in plan:
            enc = tok(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=rc.MAX_TOKENS,
                return_tensors="pt",
            )
            logits = net(enc["input_ids"], enc["attention_mask"])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[rows])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            total += float(loss.item())
        if log:
            elapsed = time.monotonic() - started
            print(f"  epoch {epoch + 1}/{epochs}: loss {total / len(plan):.4f} ({elapsed:.0f} s)")
    net.eval()
    return net


def member_pools(member: Mapping[str, Any]) -> list[str]:
    """The pools a member is trained on: every pool but the development pools and its own
    ``without``."""
    return [p for p in POOL_FILES if p not in DEV_POOLS and p not in member["without"]]


def predicted(
    e: Example,
    rules: Sequence[RiskFinding],
    proba: Mapping[str, float],
    threshold: float,
    override: float | None = None,
    secondary: float | None = None,
    confirm: float | None = None,
) -> set[str]:
    """The kinds alerted for a row, as the service decides: the rules' current findings
    that the classifier does not rule out (below ``confirm``) plus the classifier's own
    (:func:`note_builder.risk_model.model_kinds`)."""
    # (a therapist's findings are never current: nothing of theirs is checked)
    rules = vetted(rules, unconfirmed([f.kind for f in rules if f.current], proba, confirm))
    found = {f.kind for f in rules if f.current}
    thresholds = dict.fromkeys(KINDS, threshold)
    added = model_kinds(e.text, e.role, proba, thresholds, rules, override, secondary)
    return found | set(added)


def score(
    examples: Sequence[Example],
    rules: Sequence[Sequence[RiskFinding]],
    proba: Sequence[Mapping[str, float]] | None,
    threshold: float = 0.5,
    override: float | None = None,
    secondary: float | None = None,
    confirm: float | None = None,
) -> dict[str, float]:
    """Micro precision / recall as ``benchmarks.bench_risk`` counts them (``proba`` None:
    the rules alone)."""
    tp = fp = fn = 0
    for i, e in enumerate(examples):
        if proba is None:
            found = {f.kind for f in rules[i] if f.current}
        else:
            found = predicted(e, rules[i], proba[i], threshold, override, secondary, confirm)
        fp += len(found - e.kinds)
        if e.label in KINDS:
            tp += e.label in found
            fn += e.label not in found
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f2 = 5 * p * r / (4 * p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f2": f2, "tp": tp, "fp": fp, "fn": fn}


def development_table(
    dev: Sequence[Example], proba: Sequence[Mapping[str, float]]
) -> list[dict[str, Any]]:
    """Precision and recall of the rules, and of rules + classifier per threshold,
    override, secondary bar and confirmation bar."""
    rules = [detect_risk(e.text, e.role) for e in dev]
    none = {"threshold": None, "override": None, "secondary": None, "confirm": None}
    table: list[dict[str, Any]] = [{"system": "rules", **none, **score(dev, rules, None)}]
    for c in CONFIRMS:
        for sec in SECONDARIES:
            for o in OVERRIDES:
                for t in THRESHOLDS:
                    s = score(dev, rules, proba, t, o, sec, c)
                    chosen = {"threshold": t, "override": o, "secondary": sec, "confirm": c}
                    table.append({"system": "rules+classifier", **chosen, **s})
    classifier = [r for r in table if r["threshold"] is not None]
    shown = sorted(classifier, key=_margin, reverse=True)[:10]
    print(f"  {len(classifier)} classifier settings; the rules and the best ten:")
    for row in table[:1] + shown:
        print(
            f"  {row['system']:16s} t {row['threshold']!s:5s} override {row['override']!s:5s} "
            f"secondary {row['secondary']!s:5s} confirm {row['confirm']!s:5s} "
            f"P {row['precision']:.3f} R {row['recall']:.3f} F2 {row['f2']:.3f} "
            f"(fp {row['fp']} fn {row['fn']})"
        )
    return table


def _margin(row: Mapping[str, Any]) -> tuple[float, float]:
    """How far a row is inside both targets (the smaller of its two margins; negative when
    it misses one), then its recall."""
    precision, recall = float(row["precision"]), float(row["recall"])
    return min(precision - TARGET_PRECISION, recall - TARGET_RECALL), recall


def best_settings(table: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """The threshold, override, secondary and confirmation bars that are farthest inside
    both targets on the development pools: the highest of the smaller margin, precision
    above :data:`TARGET_PRECISION` and recall above :data:`TARGET_RECALL` (ties: the
    higher recall). A setting just over one bar and far over the other is likely to fall
    under the first on new data; when no setting reaches both, this is the one that misses
    by least."""
    best = max((r for r in table if r["threshold"] is not None), key=_margin)
    return {
        "threshold": float(best["threshold"]),
        "override": best["override"],
        "secondary": best["secondary"],
        "confirm": best["confirm"],
    }


def _dicts(proba: NDArray[np.float32]) -> list[dict[str, float]]:
    return [{k: float(p) for k, p in zip(KINDS, row, strict=True)} for row in proba]


def _probes(nets: Sequence[Any]) -> list[dict[str, Any]]:
    probes = rc.merged_probabilities(nets, rc.tokenizer(), list(PROBES))
    return [
        {"text": t, "proba": [round(float(v), 6) for v in row]}
        for t, row in zip(PROBES, probes, strict=True)
    ]


def _pool_counts(examples: Sequence[Example]) -> dict[str, int]:
    return {p: int(sum(e.pool == p for e in examples)) for p in (*POOL_FILES, "benign")}


def _fit_member(member: Mapping[str, Any]) -> tuple[NDArray[np.float32], list[Any], dict[str, Any]]:
    """Train one member on its pools: its packed parameters, their layout, and what it
    read."""
    examples = load_examples(member_pools(member))
    counts = {k: int(sum(k in e.kinds for e in examples)) for k in KINDS}
    print(f"member {member['seed']}: {len(examples)} rows, positives {counts}")
    net = fit(examples, {**SETTINGS, "seed": member["seed"]})
    flat, layout = rc.pack(rc.trained_arrays(net))
    read = {"seed": member["seed"], "n_examples": len(examples), "positives": counts}
    return flat, layout, {**read, "pools": _pool_counts(examples)}


def _meta_text(meta: Mapping[str, Any]) -> str:
    """The weights' JSON: indented, the development table one row to a line."""
    rows = meta.get("development") or []
    text = json.dumps({**meta, "development": None}, indent=1)
    table = "[\n" + ",\n".join(f"  {json.dumps(r)}" for r in rows) + "\n ]"
    return text.replace('"development": null', f'"development": {table if rows else "null"}') + "\n"


def _choose(predict: Callable[[list[str]], Sequence[Mapping[str, float]]]) -> dict[str, Any]:
    """Score the development pools with ``predict`` (the members as the service loads
    them), print the table's best rows, and return the settings :func:`best_settings`
    picks there with the table (``development``) and one threshold per kind."""
    dev = load_examples(DEV_POOLS, n_benign=0)
    print(f"development: {len(dev)} rows ({'+'.join(DEV_POOLS)})")
    development = development_table(dev, predict([e.text for e in dev]))
    best = best_settings(development)
    print(f"  chosen on the development pools: {best}")
    threshold = best["threshold"]
    assert threshold is not None  # every classifier row of the table has one
    return {
        "settings": best,
        "thresholds": dict.fromkeys(KINDS, threshold),
        "development_pools": list(DEV_POOLS),
        "development": development,
    }


def _store(
    rows: NDArray[np.float16], layout: Sequence[Any], members: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Choose the settings on the development pools with ``rows`` (one stored member each)
    as the service loads them; write ``weights/risk_lora.{npz,json}``; return the meta."""
    unpacked = [rc.unpack(row, layout) for row in rc.loaded(rows)]
    nets = rc.merged_nets(unpacked, int(SETTINGS["rank"]), float(SETTINGS["alpha"]))
    tok = rc.tokenizer()
    chosen = _choose(lambda texts: _dicts(rc.merged_probabilities(nets, tok, texts)))
    settings = {**SETTINGS, **chosen.pop("settings"), "members": [dict(m) for m in MEMBERS]}
    pools = {p: max(int(m["pools"].get(p, 0)) for m in members) for p in (*POOL_FILES, "benign")}
    meta = {
        "kinds": list(KINDS),
        "rank": SETTINGS["rank"],
        "alpha": SETTINGS["alpha"],
        "targets": list(rc.TARGETS),
        "max_tokens": rc.MAX_TOKENS,
        "layout": list(layout),
        "thresholds": chosen.pop("thresholds"),
        "settings": settings,
        "members": list(members),
        "pools": pools,  # the rows of each pool that some member read
        **chosen,
        "probes": _probes(nets),
    }
    WEIGHTS_DIR.mkdir(exist_ok=True)
    np.savez_compressed(WEIGHTS_DIR / f"{rc.NAME}.npz", params=rows)
    (WEIGHTS_DIR / f"{rc.NAME}.json").write_text(_meta_text(meta))
    print(f"{rc.NAME}: {len(rows)} x {len(layout)} arrays, {rows.size:,} trained parameters")
    return meta


def train() -> dict[str, Any]:
    """Train every member of :data:`MEMBERS` on its pools, choose the settings on the
    development pools, write ``weights/risk_lora.{npz,json}``."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    fitted = [_fit_member(m) for m in MEMBERS]
    layout = fitted[0][1]
    rows = rc.stored(np.stack([flat for flat, _, _ in fitted]))
    return _store(rows, layout, [read for _, _, read in fitted])


def add_member(seed: int) -> dict[str, Any]:
    """Train the member of :data:`MEMBERS` with ``seed`` and put it beside the stored ones
    (in place of a stored member with that seed), then choose the settings again: a member
    trained on new pools without training the others again."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    (member,) = [m for m in MEMBERS if m["seed"] == seed]
    meta = json.loads((WEIGHTS_DIR / f"{rc.NAME}.json").read_text())
    with np.load(WEIGHTS_DIR / f"{rc.NAME}.npz", allow_pickle=False) as npz:
        stored_rows = np.atleast_2d(npz["params"])
    flat, layout, read = _fit_member(member)
    if layout != meta["layout"]:
        raise ValueError("the new member's layout differs from the stored members'")
    by_seed = {m["seed"]: (m, r) for m, r in zip(meta["members"], stored_rows, strict=True)}
    by_seed[seed] = (read, rc.stored(flat))
    order = [m["seed"] for m in MEMBERS if m["seed"] in by_seed]
    rows = np.stack([by_seed[s][1] for s in order])
    return _store(rows, layout, [by_seed[s][0] for s in order])


def reselect(write: bool = True) -> dict[str, Any]:
    """Choose the settings again on the development pools with the stored members, as the
    service loads them (no training): for when the pools grew (a blind set, once scored,
    joins them; the members never read it). Rewrites the settings, thresholds and
    development table of ``weights/risk_lora.json``; the weights stay as they are."""
    path = WEIGHTS_DIR / f"{rc.NAME}.json"
    meta: dict[str, Any] = json.loads(path.read_text())
    if read := [p for p in DEV_POOLS if meta["pools"].get(p)]:
        raise ValueError(f"the stored members were trained on {', '.join(read)}")
    chosen = _choose(rc.RiskClassifier().predict)
    meta["settings"].update(chosen.pop("settings"))
    meta.update(chosen)
    if write:
        path.write_text(_meta_text(meta))
    return meta
