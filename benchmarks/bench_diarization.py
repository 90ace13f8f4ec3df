"""Who spoke when: DER of the live and post-session passes, with same-run baselines.

DER is ``pyannote.metrics``' DiarizationErrorRate with a 0.25 s collar and overlapped
speech scored (``skip_overlap=False``), as in the published tables. Cases:

* ``pyannote-sample``: a real two-person telephone call (30 s), one channel.
* ``ami-tst00``: 30 s of an AMI meeting, four speakers, one channel (``--speakers 4``).
* ``stereo``: the two-channel file, each channel a track (speaker = track).
* AnnoMI sessions rendered with espeak-ng (``benchmarks.sessions``): mixed into one
  channel, and as two tracks, with and without the client leaking into the therapist's
  microphone (-18 dB, 80 ms).

One-channel rows print the live labels (final as emitted), the post-session refinement,
and two baselines over the same VAD and embeddings: every frame one speaker, and plain
average-linkage clustering of the live pass's embeddings. Two-track rows print the
track-as-speaker labels with leakage suppression and the same without it.
Role accuracy is the share of reference speech time whose role (therapist/client, from
an enrolment recording of the therapist's voice) is right.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from asr.offline import load_audio
from benchmarks.common import testdata
from benchmarks.sessions import ENROLMENT_TEXT, render_session, render_voice, session_ids
from diarization.clustering import plain_clustering
from diarization.embedder import SpeakerEmbedder
from diarization.leakage import LeakageDetector
from diarization.online import (
    FRAME_S,
    NO_SPEAKER,
    DiarizationConfig,
    OnlineDiarizer,
    bridge_gaps,
)
from diarization.roles import assign_roles, profile_from_audio
from streaming.audio import Samples
from streaming.vad import VAD_FRAME, SileroVad

CHUNK = 320  # 20 ms, as the live path receives audio
LEAK_GAIN_DB = -18.0
LEAK_DELAY_MS = 80.0

warnings.filterwarnings("ignore", message=".*'uem' was approximated.*")


def der(reference: Annotation, hypothesis: Annotation) -> float:
    metric = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    return float(metric(reference, hypothesis))


def read_rttm(path: str) -> Annotation:
    ann = Annotation()
    for line in open(path):  # noqa: SIM115 - a small file read once
        p = line.split()
        start, dur = float(p[3]), float(p[4])
        ann[Segment(start, start + dur)] = p[7]
    return ann


def frames_annotation(labels: NDArray[np.int64], names: Callable[[int], str] = str) -> Annotation:
    labels = bridge_gaps(labels)
    ann = Annotation()
    run, current = 0, NO_SPEAKER
    for i, lab in enumerate([*labels.tolist(), NO_SPEAKER - 1]):
        if lab != current:
            if current >= 0:
                ann[Segment(run * FRAME_S, i * FRAME_S)] = names(int(current))
            run, current = i, lab
    return ann


@dataclass
class OneChannel:
    online: NDArray[np.int64]
    refined: NDArray[np.int64]
    plain: NDArray[np.int64]
    one: NDArray[np.int64]
    compute_s: float
    max_delay_s: float
    diarizer: OnlineDiarizer


def run_one_channel(audio: Samples, config: DiarizationConfig, emb: SpeakerEmbedder) -> OneChannel:
    """Stream the file in 20 ms chunks through the live diarizer, then refine."""
    d = OnlineDiarizer(config, emb)
    for i in range(0, len(audio), CHUNK):
        if d.feed(audio[i : i + CHUNK]):
            d.step()
    d.flush()
    d.step()
    began = time.perf_counter()
    refined = d.refine()
    refine_s = time.perf_counter() - began
    vectors, _ = d.block_vectors()
    plain = d.labels.copy()
    if len(vectors):
        labels = plain_clustering(vectors, config.expected_speakers)
        for block, lab in zip(d._blocks, labels, strict=True):
            seg = plain[block.start : block.end]
            seg[seg >= 0] = int(lab)
    one = np.where(d.labels >= 0, 0, NO_SPEAKER)
    return OneChannel(
        d.labels.copy(),
        refined,
        plain,
        one,
        d.stats.compute_s + refine_s,
        max(d.stats.label_delays, default=0.0),
        d,
    )


def speech_frames(audio: Samples) -> NDArray[np.bool_]:
    vad = SileroVad()
    n = len(audio) // VAD_FRAME
    return np.array(
        [vad.prob(audio[i * VAD_FRAME : (i + 1) * VAD_FRAME]) >= 0.5 for i in range(n)], bool
    )


def run_two_track(
    tracks: dict[str, Samples], suppress: bool, block_s: float = 0.32
) -> tuple[Annotation, float]:
    """Speaker = track; with ``suppress``, speech the detector calls leakage is dropped."""
    began = time.perf_counter()
    detector = LeakageDetector()
    for name, audio in tracks.items():
        for i in range(0, len(audio), CHUNK):
            detector.push(name, i, audio[i : i + CHUNK])
    ann = Annotation()
    step = round(block_s / FRAME_S)
    for name, audio in tracks.items():
        speech = speech_frames(audio)
        labels = np.where(speech, 0, NO_SPEAKER)
        for b in range(0, len(speech), step):
            sel = speech[b : b + step]
            start, end = b * FRAME_S, (b + len(sel)) * FRAME_S
            if sel.any() and suppress and detector.is_leak(name, start, end):
                labels[b : b + step] = NO_SPEAKER
        for seg, _, _ in frames_annotation(labels).itertracks(yield_label=True):
            ann[seg] = name
    return ann, time.perf_counter() - began


def role_accuracy(reference: Annotation, hypothesis: Annotation) -> float:
    """Share of reference speech time whose hypothesis label is the same role."""
    total = right = 0.0
    for seg, _, role in reference.itertracks(yield_label=True):
        total += seg.duration
        for hseg, _, hrole in hypothesis.crop(seg).itertracks(yield_label=True):
            if hrole == role:
                right += hseg.duration
    return right / total if total else 0.0


def print_row(name: str, seconds: float, cells: Sequence[tuple[str, float]], extra: str) -> None:
    body = "  ".join(f"{k} {v * 100:5.1f} %" for k, v in cells)
    print(f"{name:28s} {seconds:6.1f} s  {body}  {extra}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=4, help="AnnoMI renders per variant")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each render")
    args = parser.parse_args(argv)
    emb = SpeakerEmbedder()
    emb.warm_up()
    root = testdata() / "diarization"
    print("DER (collar 0.25 s, overlap scored); one-channel rows: live / refined / baselines")

    totals: dict[str, list[float]] = {}

    def one_channel(name: str, audio: Samples, ref: Annotation, speakers: int) -> OneChannel:
        r = run_one_channel(audio, DiarizationConfig(expected_speakers=speakers), emb)
        seconds = len(audio) / 16000
        cells = [
            ("live", der(ref, frames_annotation(r.online))),
            ("refined", der(ref, frames_annotation(r.refined))),
            ("one-speaker", der(ref, frames_annotation(r.one))),
            ("plain-AHC", der(ref, frames_annotation(r.plain))),
        ]
        for k, v in cells:
            totals.setdefault(f"{name.split(':')[0]}:{k}", []).append(v)
        compute = r.compute_s / seconds
        totals.setdefault("compute", []).append(compute)
        print_row(
            name,
            seconds,
            cells,
            f"compute {compute:.3f} s/s, labels final ≤ {r.max_delay_s:.2f} s",
        )
        return r

    sample = root / "pyannote-sample"
    one_channel(
        "pyannote-sample",
        load_audio(sample / "sample.wav"),
        read_rttm(str(sample / "sample.rttm")),
        2,
    )
    ami = root / "ami"
    one_channel(
        "ami-tst00 (4 speakers)",
        load_audio(ami / "tst00.wav"),
        read_rttm(str(ami / "tst00.rttm")),
        4,
    )

    import soundfile as sf

    stereo, _ = sf.read(str(root / "stereo" / "stereo_diarization.wav"), dtype="float32")
    tracks = {"left": stereo[:, 0].copy(), "right": stereo[:, 1].copy()}
    ref = Annotation()
    for name, audio in tracks.items():
        speech = speech_frames(audio)
        idx = np.flatnonzero(speech)
        ref[Segment(idx[0] * FRAME_S, (idx[-1] + 1) * FRAME_S)] = name
    ann, _ = run_two_track(tracks, suppress=True)
    print_row("stereo (two tracks)", len(stereo) / 16000, [("two-track", der(ref, ann))], "")

    enrol = profile_from_audio(render_voice(ENROLMENT_TEXT, "therapist"), emb)
    for sid in session_ids(args.sessions):
        s = render_session(sid, max_seconds=args.seconds)
        ref = s.annotation()
        r = one_channel(f"annomi:{sid} mixed", np.asarray(s.mixed), ref, 2)
        roles = assign_roles(r.diarizer.centroids, enrol)
        accs = []
        for kind, labels in (("live", r.online), ("refined", r.refined)):
            hyp = frames_annotation(labels, lambda k, roles=roles: roles.get(k, "unknown"))
            accs.append(role_accuracy(ref, hyp))
            totals.setdefault(f"role:{kind}", []).append(accs[-1])
        print(
            f"{'':28s} role right for {accs[0] * 100:.1f} % (live) / "
            f"{accs[1] * 100:.1f} % (refined) of speech time"
        )
        for leak in (False, True):
            therapist = s.therapist_with_leak(LEAK_GAIN_DB, LEAK_DELAY_MS) if leak else s.therapist
            tracks = {"therapist": np.asarray(therapist), "client": np.asarray(s.client)}
            ours, cost = run_two_track(tracks, suppress=True)
            plain_tracks, _ = run_two_track(tracks, suppress=False)
            tag = "two-track+leak" if leak else "two-track"
            cells = [(tag, der(ref, ours)), ("no-suppression", der(ref, plain_tracks))]
            for k, v in cells:
                totals.setdefault(f"annomi:{tag}:{k}", []).append(v)
            print_row(f"annomi:{sid} {tag}", s.seconds, cells, f"{cost / s.seconds:.3f} s/s")
    print("\nmeans over the AnnoMI renders and overall:")
    for key, values in totals.items():
        print(
            f"  {key:32s} {np.mean(values) * (1 if key == 'compute' else 100):7.3f}"
            f"{'' if key == 'compute' else ' %'}"
        )


if __name__ == "__main__":
    main()
