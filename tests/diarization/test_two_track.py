"""Two tracks: speaker = track, with the client's voice leaking into the therapist's mic."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from benchmarks.bench_diarization import der, run_two_track, speech_frames
from benchmarks.sessions import render_session, session_ids
from diarization.online import FRAME_S


def test_stereo_file_is_exact(testdata) -> None:
    from pyannote.core import Annotation, Segment

    stereo, _ = sf.read(
        str(testdata / "diarization/stereo/stereo_diarization.wav"), dtype="float32"
    )
    tracks = {"left": stereo[:, 0].copy(), "right": stereo[:, 1].copy()}
    ref = Annotation()
    for name, audio in tracks.items():
        idx = np.flatnonzero(speech_frames(audio))
        ref[Segment(idx[0] * FRAME_S, (idx[-1] + 1) * FRAME_S)] = name
    ann, _ = run_two_track(tracks, suppress=True)
    assert der(ref, ann) <= 0.01


def test_leakage_is_suppressed_on_a_rendered_session() -> None:
    s = render_session(session_ids(4)[2], max_seconds=60.0)
    ref = s.annotation()
    tracks = {"therapist": np.asarray(s.therapist_with_leak(-18.0, 80.0)), "client": s.client}
    ours, _ = run_two_track(tracks, suppress=True)
    plain, _ = run_two_track(tracks, suppress=False)
    clean, _ = run_two_track({"therapist": s.therapist, "client": s.client}, suppress=True)
    assert der(ref, clean) <= 0.01, "no leak: suppression removes nothing"
    assert der(ref, plain) >= 0.1, "the leak is audible without suppression"
    assert der(ref, ours) <= 0.10
