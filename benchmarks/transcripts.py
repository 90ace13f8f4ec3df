"""Real transcripts replayed as final segments: AnnoMI therapy sessions and ACI-Bench
encounters, for the note builder's tests and benchmarks (text only, no audio).

Times: AnnoMI's utterance timestamps where they exist; otherwise 2.5 words a second,
one turn after another (what speech recognition would give for a normal pace).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from note_builder.engine import Segment

WORDS_PER_S = 2.5
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Encounter:
    id: str
    segments: list[Segment]
    note: str  # the clinician-written reference note (ACI-Bench)


def _seconds(stamp: str) -> float | None:
    parts = stamp.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in parts)
    return h * 3600.0 + m * 60.0 + s


def annomi_sessions(testdata: Path) -> dict[str, list[Segment]]:
    """Every AnnoMI transcript as segments in order, one per utterance."""
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(testdata / "therapy" / "annomi" / "AnnoMI-simple.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows[row["transcript_id"]].append(row)
    out = {}
    for tid, utts in rows.items():
        utts.sort(key=lambda r: int(r["utterance_id"]))
        segs: list[Segment] = []
        clock = 0.0
        for r in utts:
            text = r["utterance_text"].strip()
            length = max(len(text.split()) / WORDS_PER_S, 0.5)
            stamp = _seconds(r["timestamp"])
            start = max(clock, stamp) if stamp is not None else clock
            segs.append(
                Segment(
                    segment_id=f"annomi-{tid}-{r['utterance_id']}",
                    text=text,
                    start=round(start, 3),
                    end=round(start + length, 3),
                    role=r["interlocutor"],
                )
            )
            clock = start + length
        out[tid] = segs
    return out


def annomi_labels(testdata: Path) -> dict[str, str]:
    """segment id → AnnoMI's main therapist behaviour (therapist utterances only)."""
    out = {}
    with open(testdata / "therapy" / "annomi" / "AnnoMI-simple.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["interlocutor"] == "therapist":
                out[f"annomi-{r['transcript_id']}-{r['utterance_id']}"] = r[
                    "main_therapist_behaviour"
                ]
    return out


TURN = re.compile(r"\[(doctor|patient|patient_guest|doctor_guest|guest_family|guest_clinician)\]")
ROLE = {"doctor": "therapist", "doctor_guest": "therapist", "guest_clinician": "therapist"}


def detokenize(text: str) -> str:
    """ACI-Bench's tokenized text ("i do n't , okay ?") as a recognizer would write it."""
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    text = re.sub(r" ([.,?!;:%])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def aci_encounters(testdata: Path, split: str = "valid") -> list[Encounter]:
    """ACI-Bench encounters: the doctor's turns as the clinician's, the patient's (and
    family's) as the client's."""
    out = []
    with open(testdata / "clinical" / "aci-bench" / f"{split}.csv", newline="") as f:
        for row in csv.DictReader(f):
            segs: list[Segment] = []
            clock = 0.0
            parts = TURN.split(row["dialogue"])
            for i in range(1, len(parts) - 1, 2):
                text = detokenize(parts[i + 1])
                if not text:
                    continue
                length = max(len(text.split()) / WORDS_PER_S, 0.5)
                segs.append(
                    Segment(
                        segment_id=f"aci-{row['encounter_id']}-{len(segs)}",
                        text=text,
                        start=round(clock, 3),
                        end=round(clock + length, 3),
                        role=ROLE.get(parts[i], "client"),
                    )
                )
                clock += length + 0.3
            out.append(Encounter(row["encounter_id"], segs, row["note"]))
    return out
