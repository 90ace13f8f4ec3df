"""Shared by the benchmarks: test data, text normalization, WER, the model, the server."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import uvicorn
from fastapi import FastAPI
from faster_whisper import WhisperModel

from asr.model import load_model
from asr.offline import load_audio
from asr.recognizer import WhisperRecognizer
from asr.scheduler import InferenceScheduler
from companion.settings import TARGET_SAMPLE_RATE, AsrConfig, Settings
from session_server.app import create_app
from session_server.bootstrap import ensure_account
from session_server.client import login
from streaming.audio import Samples

ROOT = Path(__file__).resolve().parents[1]
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
CORPORA = ("librispeech", "ljspeech", "jfk")


def testdata() -> Path:
    path = Path(os.environ.get("COMPANION_TESTDATA", ROOT.parent / "shared" / "testdata"))
    if not path.is_dir():
        raise SystemExit(f"test data not found at {path}; set COMPANION_TESTDATA")
    return path


@dataclass(frozen=True, slots=True)
class Utterance:
    id: str
    corpus: str
    audio: Samples  # 16 kHz mono float32
    text: str

    @property
    def seconds(self) -> float:
        return len(self.audio) / TARGET_SAMPLE_RATE


def load_utterances(corpora: Sequence[str] = CORPORA) -> list[Utterance]:
    """The read-speech files with their reference text, in a fixed order."""
    root = testdata() / "asr"
    out: list[Utterance] = []
    for corpus in corpora:
        if corpus == "librispeech":
            for trans in sorted((root / "librispeech-1089").rglob("*.trans.txt")):
                for line in trans.read_text().splitlines():
                    uid, text = line.split(" ", 1)
                    audio = load_audio(trans.parent / f"{uid}.flac")
                    out.append(Utterance(uid, corpus, audio, text))
        elif corpus == "ljspeech":
            for line in (root / "ljspeech" / "transcripts.psv").read_text().splitlines():
                uid, text = line.split("|")[:2]
                audio = load_audio(root / "ljspeech" / "wavs" / f"{uid}.wav")
                out.append(Utterance(uid, corpus, audio, text))
        elif corpus == "jfk":
            out.append(Utterance("jfk", corpus, load_audio(root / "jfk" / "jfk.flac"), JFK_TEXT))
        else:
            raise ValueError(f"unknown corpus {corpus}")
    return out


# --- text normalization: lower case, no punctuation, numbers spelled out -----------------

# fmt: off
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# fmt: on
_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))


def number_words(n: int) -> str:
    """Cardinal number in words: 1455 → 'one thousand four hundred fifty five'."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, name in _SCALES:
        if n >= size:
            rest = n % size
            return f"{number_words(n // size)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


def _year_words(n: int) -> str:
    """A year as read aloud: 1455 → 'fourteen fifty five', 1905 → 'nineteen oh five'."""
    hi, lo = divmod(n, 100)
    if lo == 0:
        return f"{number_words(hi)} hundred"
    return f"{number_words(hi)} {'oh ' if lo < 10 else ''}{number_words(lo)}"


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def _spell(match: re.Match[str]) -> str:
    digits, frac, suffix = match.group(1), match.group(2), match.group(3)
    n = int(digits)
    if suffix:
        return " " + _ordinal(number_words(n)) + " "
    if frac:
        return f" {number_words(n)} point {' '.join(_ONES[int(d)] for d in frac)} "
    if 1100 <= n <= 1999 or 2010 <= n <= 2099:
        return " " + _year_words(n) + " "
    return " " + number_words(n) + " "


def normalize(text: str) -> str:
    """The same normalization for references and hypotheses."""
    t = text.lower().replace("%", " percent")
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    t = re.sub(r"(\d+)(?:\.(\d+))?(st|nd|rd|th)?\b", _spell, t)
    t = re.sub(r"[^a-z' ]+", " ", t)
    t = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", t)
    return " ".join(t.split())


def wer(references: Iterable[str], hypotheses: Iterable[str]) -> float:
    """WER of the concatenated references against the concatenated hypotheses."""
    ref = normalize(" ".join(references))
    hyp = normalize(" ".join(hypotheses))
    return float(jiwer.wer(ref, hyp)) if hyp else 1.0


# --- figures ----------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}" if base > 0 else "n/a"


def cpu_s() -> float:
    """CPU seconds of this process so far (server, client and model threads together)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_note() -> str:
    """The machine's load: figures from a shared, busy machine read high."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# --- the model, the scheduler and an in-process server -----------------------------------


def load_shared_model() -> tuple[WhisperModel, AsrConfig]:
    config = AsrConfig()
    return load_model(config), config


def start_scheduler(model: WhisperModel, config: AsrConfig) -> InferenceScheduler:
    """The live path's scheduler, warmed up (the first decode pays one-off costs)."""
    recognizer = WhisperRecognizer(model, config)
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(TARGET_SAMPLE_RATE * 2) * 0.01).astype(np.float32)
    recognizer.recognize(noise, final=True)
    recognizer.recognize(noise, final=False)
    scheduler = InferenceScheduler(recognizer)
    scheduler.start()
    return scheduler


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BENCH_PASSWORD = "benchmark clinician password"
TOKENS: dict[str, str] = {}  # base URL -> bearer token of the benchmark clinician
READY_S: dict[str, float] = {}  # base URL -> seconds from start until its models were loaded


@contextmanager
def running_server(
    scheduler: InferenceScheduler,
    configure: Callable[[FastAPI], None] | None = None,
    **overrides: Any,
) -> Iterator[str]:
    """The real server (uvicorn in a thread) on a free port; yields its base URL.

    ``overrides`` are settings; ``configure`` may add routes to the app before it starts.
    """
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="companion-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), port=port, **overrides)
        app = create_app(settings, scheduler)
        if configure is not None:
            configure(app)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws_max_size=1 << 22,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="bench-server", daemon=True)
        thread.start()
        began = time.monotonic()
        deadline = began + 30
        loaded_by = began + 600
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        # Measured from a started service, as a practice runs it: the models loaded.
        while httpx.get(f"{url}/healthz", timeout=10).json().get("models") == "loading":
            if time.monotonic() > loaded_by:
                raise RuntimeError("the models did not load")
            time.sleep(0.2)
        READY_S[url] = time.monotonic() - began
        try:
            ensure_account(settings, "bench", "clinician", BENCH_PASSWORD)
            TOKENS[url] = asyncio.run(login(url, "bench", BENCH_PASSWORD))
            yield url
        finally:
            server.should_exit = True
            thread.join(timeout=30)
