"""``companion``: serve, transcribe a file, or stream a file to a running service."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from companion.errors import CompanionError
from companion.settings import AsrConfig, Settings

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from session_server.app import create_app

    overrides = {
        k: v
        for k, v in {"host": args.host, "port": args.port, "data_dir": args.data}.items()
        if v is not None
    }
    settings = Settings(**overrides)
    if settings.host not in LOOPBACK and not settings.tls and not settings.allow_insecure_bind:
        print(
            "companion: refusing to serve PHI without TLS on a non-loopback address; set "
            "COMPANION_TLS_CERT and COMPANION_TLS_KEY (or COMPANION_ALLOW_INSECURE_BIND=1 "
            "behind a TLS-terminating proxy)",
            file=sys.stderr,
        )
        return 2
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws_max_size=1 << 20,
        log_level="info",
        ssl_certfile=str(settings.tls_cert) if settings.tls else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls else None,
    )
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from asr.model import load_model
    from asr.offline import load_audio, render, transcribe_file

    settings = Settings()
    config = AsrConfig(
        model=args.model or settings.model,
        device=settings.device,
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
    )
    model = load_model(config)
    audio = load_audio(Path(args.file))
    total = round(len(audio) / 16000, 1)
    with tqdm(
        total=total,
        unit="s",
        disable=not sys.stderr.isatty() and not args.progress,
        file=sys.stderr,
    ) as bar:

        def progress(done: float) -> None:
            bar.update(max(0.0, min(done, total) - bar.n))

        segments = list(transcribe_file(model, audio, args.beam_size, progress))
        bar.update(total - bar.n)
    sys.stdout.write(render(segments, args.format))
    return 0


def _stream(args: argparse.Namespace) -> int:
    import getpass
    import os

    from session_server.client import login, stream_file

    tracks = args.tracks.split(",")
    token = os.environ.get("COMPANION_TOKEN", "")
    if not token:
        password = os.environ.get("COMPANION_PASSWORD") or getpass.getpass("password: ")
        token = asyncio.run(login(args.url, args.user, password))
    asyncio.run(
        stream_file(
            args.url,
            token,
            args.session,
            Path(args.file),
            tracks=tracks,
            realtime=args.realtime,
            printer=lambda e: print(json.dumps(e), flush=True),
        )
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="companion", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the service")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--data", type=Path, help="data folder (SQLite database)")
    s.set_defaults(run=_serve)
    t = sub.add_parser("transcribe", help="transcribe an audio file offline")
    t.add_argument("file")
    t.add_argument("--format", choices=["txt", "json", "srt", "vtt"], default="txt")
    t.add_argument("--model", help="CTranslate2 Whisper model folder (default tiny.en)")
    t.add_argument("--beam-size", type=int, default=5)
    t.add_argument("--progress", action="store_true", help="progress bar even when piped")
    t.set_defaults(run=_transcribe)
    c = sub.add_parser("stream", help="stream a file to a running service, print events")
    c.add_argument("file")
    c.add_argument("--url", default="http://127.0.0.1:8000")
    c.add_argument("--session", required=True)
    c.add_argument(
        "--tracks",
        default="mixed",
        help="track name, or two names for a stereo file's channels (e.g. therapist,client)",
    )
    c.add_argument("--realtime", action="store_true", help="pace the audio in real time")
    c.add_argument(
        "--user",
        default=os.environ.get("USER", ""),
        help="account to sign in as (password from COMPANION_PASSWORD or a prompt; "
        "or set COMPANION_TOKEN)",
    )
    c.set_defaults(run=_stream)
    from session_server.cli_admin import add_parsers

    add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CompanionError as exc:
        print(f"companion: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
