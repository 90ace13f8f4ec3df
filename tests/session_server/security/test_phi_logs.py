"""With every logger at INFO, a transcribed session puts no transcript word and no client
name in any log record; nor does it put them in the audit log."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.models import AuditRow
from tests.conftest import JFK_TEXT, _free_port, database_url, serve, wer
from tests.session_server.helpers import (
    auth,
    capture_logs,
    finals_text,
    http_client,
    transcribed_session,
)

LABEL = "Wilhelmina Achterberg-Szabo"
PHI = ("Americans", "fellow", "country", LABEL, "Wilhelmina", "Achterberg")


def found(texts: list[str]) -> dict[str, list[str]]:
    return {w: [t[:200] for t in texts if w.lower() in t.lower()] for w in PHI}


async def test_no_phi_in_logs_at_info_or_in_the_audit_log(
    tmp_path: Path, scheduler: InferenceScheduler, jfk: np.ndarray
) -> None:
    settings = Settings(data_dir=tmp_path, port=_free_port(), database_url=database_url(tmp_path))
    with serve(settings, scheduler) as url, capture_logs(logging.INFO) as logs:
        done = await transcribed_session(url, jfk, LABEL)
        async with http_client(url) as http:
            transcript = await http.get(f"/v1/sessions/{done.session_id}/transcript")
            client = await http.get(f"/v1/clients/{done.client_id}")
            clients = await http.get("/v1/clients")
            consents = await http.get(f"/v1/sessions/{done.session_id}/consents")
            codes = {r.status_code for r in (transcript, client, clients, consents)}
            assert codes == {200}
        # A request that fails, on the same client (a body the schema refuses).
        bad = httpx.post(f"{url}/v1/clients", json={"label": LABEL, "extra": 1}, headers=auth(url))
        assert bad.status_code == 422
    # There was PHI to leak.
    assert wer(JFK_TEXT, finals_text(done.events)) <= 0.15
    assert "americans" in transcript.text.lower() and client.json()["label"] == LABEL
    # Logging really was on at INFO, the server's own loggers included.
    names = {r.name for r in logs.records}
    assert "uvicorn.access" in names and "uvicorn.error" in names, names
    assert any(done.session_id in t for t in logs.texts), "the session's requests were logged"
    assert all(r.levelno >= logging.INFO for r in logs.records)
    leaked = {w: hits for w, hits in found(logs.texts).items() if hits}
    assert leaked == {}, f"PHI in log records: {leaked}"

    engine = sqlalchemy.create_engine(settings.resolved_database_url())
    try:
        with engine.connect() as db:
            rows = [r._asdict() for r in db.execute(sqlalchemy.select(AuditRow.__table__))]
    finally:
        engine.dispose()
    actions = {(r["action"], r["resource"]) for r in rows}
    sid = done.session_id
    for expected in (
        ("client.create", f"client:{done.client_id}"),
        ("client.read", f"client:{done.client_id}"),
        ("session.create", f"session:{sid}"),
        ("audio.stream", f"session:{sid}"),
        ("events.subscribe", f"session:{sid}"),
        ("transcript.read", f"session:{sid}"),
    ):
        assert expected in actions, f"{expected} was audited"
    audit_texts = [" ".join(str(v) for v in r.values()) for r in rows]
    leaked = {w: hits for w, hits in found(audit_texts).items() if hits}
    assert leaked == {}, f"PHI in the audit log: {leaked}"
